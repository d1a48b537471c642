"""Callbacks: thin wiring from controls to plain functions; stepping lives in assets/atlas.js.

Server callbacks: controls -> validated config -> engine -> views -> stores. Each does one
thing, keeps no state between requests (any worker can serve any request) and turns every
bad value into a message on the page. The helpers below the decorators hold the logic so
tests can call them without a browser or a server.
"""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashapp import ids
from dashapp.export import register_export_callbacks
from dashapp.pretrained import (
    PretrainedUnavailable,
    focus_view,
    grid_view,
    metric_grid_view,
    pretrained_explanation,
    pretrained_trace,
    rollout_view,
    run_pretrained,
)
from dashapp.settings import (
    config_from_controls,
    config_from_settings,
    settings_of,
    whole_number,
)
from dashapp.share import register_share_callbacks
from dashapp.toolkit import mask_lab_view, metrics_rows, metrics_table
from dashapp.traces import trace_for
from dashapp.views import (
    array_csv,
    detail_view,
    inspectable,
    head_options,
    inspector_options,
    inspector_view,
    main_view,
)
from dashapp.weight_panel import average_panel, explanation_panel
from engine import ConfigError
from engine.explain import explain_weight

CONTROLS = (ids.MODE, ids.TEXT, ids.SEQ_LEN, ids.D_MODEL, ids.N_HEADS, ids.SEED, ids.MASK,
            ids.N_PAD, ids.POSITIONAL, ids.SCALE)
CONTROL_PROPS = ("value",) * len(CONTROLS)


def main_update(*control_values):
    """(settings, main view, error text, error shown): the last good picture stays on error."""
    try:
        config = config_from_controls(*control_values)
    except ConfigError as error:
        return no_update, no_update, str(error), True
    trace = trace_for(config)
    return settings_of(config), main_view(trace), "", False


def detail_update(settings):
    try:
        return detail_view(trace_for(config_from_settings(settings)))
    except ConfigError:
        return no_update


def _inspected(settings, name, head):
    """The trace and the (array, head) of it the inspector shows; raises ConfigError."""
    trace = trace_for(config_from_settings(settings))
    return (trace, *inspectable(trace, name, whole_number("head", head)))


def inspector_update(settings, name, head):
    """(figure, table, note, array options, array, head options, head) for the inspector:
    the choices follow the trace, so an array or head that no longer exists is replaced."""
    try:
        trace, name, head = _inspected(settings, name, head)
    except ConfigError as error:
        return no_update, no_update, str(error), no_update, no_update, no_update, no_update
    figure, table, note = inspector_view(trace, name, head)
    return (figure, dcc.Markdown(table, className="atlas-md-table"), note,
            inspector_options(trace), name, head_options(trace.n_heads), str(head))


def csv_download(settings, name, head):
    try:
        trace, name, head = _inspected(settings, name, head)
    except ConfigError:
        return no_update
    return dcc.send_string(*reversed(array_csv(trace, name, head)))


def pretrained_update(active_tab, model, text):
    """(grid, summary, settings, error text, error shown) for the pretrained-model view."""
    if active_tab != ids.TAB_PRETRAINED:
        raise PreventUpdate  # models load only when someone opens the tab
    try:
        view = grid_view(run_pretrained(model, text))
    except PretrainedUnavailable as error:
        return no_update, no_update, no_update, str(error), True
    return view["grid"], view["summary"], {"model": model, "text": text}, "", False


def pretrained_focus(settings, selection):
    if not isinstance(settings, dict) or not isinstance(selection, dict):
        raise PreventUpdate
    try:
        return focus_view(pretrained_trace(settings), selection.get("layer"), selection.get("head"))
    except (PretrainedUnavailable, ConfigError):
        return no_update


def _cell_indices(selection, n_tokens: int) -> tuple[int, int]:
    query, key = (whole_number(name, selection.get(name)) for name in ("query", "key"))
    if not (0 <= query < n_tokens and 0 <= key < n_tokens):
        raise ConfigError("that cell is not in the current picture; click a cell again")
    return query, key


def explain_update(settings, selection):
    """The explain-one-weight panel for a clicked cell {head (None = average), query, key}."""
    if not isinstance(selection, dict) or not selection.get("valid"):
        raise PreventUpdate  # a click on a picture without heads (the mask, a matrix)
    try:
        trace = trace_for(config_from_settings(settings))
        query, key = _cell_indices(selection, len(trace.tokens))
        if selection.get("head") is None:
            return average_panel(trace.weights[:, query, key], float(trace.mean_weights[query, key]),
                                 trace.tokens, query, key)
        explanation = explain_weight(trace.q_heads, trace.k_heads, trace.v_heads, trace.mask,
                                     whole_number("head", selection["head"]), query, key,
                                     scale=trace.scale)
    except ValueError as error:  # ConfigError included
        return html.P(str(error), className="small text-danger mb-0")
    return explanation_panel(explanation, trace.tokens)


def metrics_update(settings, clicked, order):
    """The head-metrics table, sorted by the header button ``clicked`` (again: reverse)."""
    try:
        rows = metrics_rows(trace_for(config_from_settings(settings)))
    except ConfigError:
        raise PreventUpdate from None
    order = order if isinstance(order, dict) else {"by": "head", "descending": False}
    if clicked:
        same = clicked == order.get("by")
        order = {"by": clicked, "descending": not order.get("descending") if same else clicked != "head"}
    return metrics_table(rows, str(order.get("by")), bool(order.get("descending"))), order


def _clicked_metric() -> str | None:
    triggered = ctx.triggered_id
    return triggered.get("metric") if isinstance(triggered, dict) else None


def mask_lab_update(settings, head):
    try:
        config = config_from_settings(settings)
        figure, notes = mask_lab_view(config, None if head == "avg" else whole_number("head", head))
    except ConfigError as error:
        return no_update, [html.Li(str(error))], no_update
    return figure, [html.Li(note) for note in notes], head_options(config.n_heads, average=True)


def pretrained_metric(settings, metric):
    try:
        return metric_grid_view(pretrained_trace(settings), metric)
    except (PretrainedUnavailable, ConfigError):
        raise PreventUpdate from None


def pretrained_rollout(settings):
    try:
        return rollout_view(pretrained_trace(settings))
    except PretrainedUnavailable:
        raise PreventUpdate from None


def pretrained_explain(settings, selection, cell):
    """Explain a clicked cell of the opened pretrained map (layer and head from the selection)."""
    if not (isinstance(settings, dict) and isinstance(selection, dict) and isinstance(cell, dict)):
        raise PreventUpdate
    try:
        trace = pretrained_trace(settings)
        return pretrained_explanation(trace, selection, *_cell_indices(cell, trace.n_tokens))
    except (PretrainedUnavailable, ValueError) as error:
        return html.P(str(error), className="small text-danger mb-0")


def register_callbacks(app) -> None:
    app.callback(
        Output(ids.CONFIG_STORE, "data"), Output(ids.MAIN_STORE, "data"),
        Output(ids.CONTROL_ERROR, "children"), Output(ids.CONTROL_ERROR, "is_open"),
        *(Input(c, p) for c, p in zip(CONTROLS, CONTROL_PROPS)),
        prevent_initial_call=True,
    )(main_update)
    app.callback(Output(ids.DETAIL_STORE, "data"), Input(ids.CONFIG_STORE, "data"),
                 prevent_initial_call=True)(detail_update)
    app.callback(
        Output(ids.INSPECT_GRAPH, "figure"), Output(ids.INSPECT_TABLE, "children"),
        Output(ids.INSPECT_NOTE, "children"), Output(ids.INSPECT_ARRAY, "options"),
        Output(ids.INSPECT_ARRAY, "value"), Output(ids.INSPECT_HEAD, "options"),
        Output(ids.INSPECT_HEAD, "value"),
        Input(ids.CONFIG_STORE, "data"), Input(ids.INSPECT_ARRAY, "value"),
        Input(ids.INSPECT_HEAD, "value"),
    )(inspector_update)
    app.callback(
        Output(ids.INSPECT_DOWNLOAD, "data"), Input(ids.INSPECT_CSV, "n_clicks"),
        State(ids.CONFIG_STORE, "data"), State(ids.INSPECT_ARRAY, "value"),
        State(ids.INSPECT_HEAD, "value"), prevent_initial_call=True,
    )(lambda _clicks, settings, name, head: csv_download(settings, name, head))
    app.callback(
        Output(ids.PT_GRID, "figure"), Output(ids.PT_SUMMARY, "children"),
        Output(ids.PT_STORE, "data"), Output(ids.PT_ERROR, "children"),
        Output(ids.PT_ERROR, "is_open"),
        Input(ids.TABS, "active_tab"), Input(ids.PT_MODEL, "value"), Input(ids.PT_TEXT, "value"),
        prevent_initial_call=True,
    )(pretrained_update)
    app.callback(Output(ids.PT_FOCUS, "figure"), Input(ids.PT_STORE, "data"),
                 Input(ids.PT_SELECTION, "data"), prevent_initial_call=True)(pretrained_focus)
    app.callback(Output(ids.EXPLAIN_PANEL, "children"), Input(ids.CONFIG_STORE, "data"),
                 Input(ids.EXPLAIN_SELECTION, "data"), prevent_initial_call=True)(explain_update)
    app.callback(
        Output(ids.METRICS_TABLE, "children"), Output(ids.METRICS_ORDER, "data"),
        Input(ids.CONFIG_STORE, "data"), Input({"type": ids.METRICS_SORT, "metric": ALL}, "n_clicks"),
        State(ids.METRICS_ORDER, "data"),
    )(lambda settings, _clicks, order: metrics_update(settings, _clicked_metric(), order))
    app.callback(
        Output(ids.MASKLAB_GRAPH, "figure"), Output(ids.MASKLAB_NOTES, "children"),
        Output(ids.MASKLAB_HEAD, "options"),
        Input(ids.CONFIG_STORE, "data"), Input(ids.MASKLAB_HEAD, "value"),
    )(mask_lab_update)
    app.callback(Output(ids.PT_METRIC_GRAPH, "figure"), Input(ids.PT_STORE, "data"),
                 Input(ids.PT_METRIC, "value"), prevent_initial_call=True)(pretrained_metric)
    app.callback(Output(ids.PT_ROLLOUT_GRAPH, "figure"), Input(ids.PT_STORE, "data"),
                 prevent_initial_call=True)(pretrained_rollout)
    app.callback(Output(ids.PT_EXPLAIN_PANEL, "children"), Input(ids.PT_STORE, "data"),
                 Input(ids.PT_SELECTION, "data"), Input(ids.PT_EXPLAIN_SELECTION, "data"),
                 prevent_initial_call=True)(pretrained_explain)
    _register_clientside(app)
    register_share_callbacks(app)  # dashapp/share.py
    register_export_callbacks(app)  # dashapp/export.py


def _clientside(name: str) -> ClientsideFunction:
    return ClientsideFunction(namespace="atlas", function_name=name)


def _register_clientside(app) -> None:
    """Browser-only callbacks (assets/atlas.js): no request reaches the server for these."""
    app.clientside_callback(
        _clientside("renderStep"),
        Output(ids.STEP_TITLE, "children"), Output(ids.STEP_PLAIN, "children"),
        Output(ids.STEP_MATH, "children"), Output(ids.STEP_SHAPES, "children"),
        Output(ids.GRAPH_MAIN, "figure"), Output(ids.GRAPH_EXTRA, "figure"),
        Output(ids.GRAPH_EXTRA, "style"), Output(ids.STEP_STATUS, "children"),
        Input(ids.STEP, "value"), Input(ids.MAIN_STORE, "data"), State(ids.DETAIL_STORE, "data"),
        State(ids.TEXT_STORE, "data"), prevent_initial_call=True,  # the page arrives drawn
    )
    app.clientside_callback(
        _clientside("renderDetail"),
        Output(ids.GRAPH_MAIN, "figure", allow_duplicate=True),
        Output(ids.GRAPH_EXTRA, "figure", allow_duplicate=True),
        Output(ids.GRAPH_EXTRA, "style", allow_duplicate=True),
        Output(ids.STEP_STATUS, "children", allow_duplicate=True),
        Input(ids.DETAIL_STORE, "data"), State(ids.STEP, "value"), State(ids.MAIN_STORE, "data"),
        State(ids.TEXT_STORE, "data"), prevent_initial_call=True,
    )
    app.clientside_callback(
        _clientside("navigate"),
        Output(ids.STEP, "value"), Output(ids.TICKER, "disabled"), Output(ids.PLAY, "children"),
        Input(ids.PREV, "n_clicks"), Input(ids.NEXT, "n_clicks"), Input(ids.PLAY, "n_clicks"),
        Input(ids.TICKER, "n_intervals"),
        State(ids.STEP, "value"), State(ids.LOOP, "value"), State(ids.TICKER, "disabled"),
        prevent_initial_call=True,
    )
    app.clientside_callback(_clientside("pickCell"), Output(ids.EXPLAIN_SELECTION, "data"),
                            Input(ids.GRAPH_MAIN, "clickData"), State(ids.GRAPH_MAIN, "figure"),
                            prevent_initial_call=True)
    app.clientside_callback(_clientside("pickCell"), Output(ids.PT_EXPLAIN_SELECTION, "data"),
                            Input(ids.PT_FOCUS, "clickData"), State(ids.PT_FOCUS, "figure"),
                            prevent_initial_call=True)
    app.clientside_callback(_clientside("pickMap"), Output(ids.PT_SELECTION, "data"),
                            Input(ids.PT_GRID, "clickData"), State(ids.PT_GRID, "figure"),
                            prevent_initial_call=True)
    app.clientside_callback(_clientside("speed"), Output(ids.TICKER, "interval"),
                            Input(ids.SPEED, "value"))
    app.clientside_callback(
        _clientside("dModelChoices"),
        Output(ids.D_MODEL, "options"), Output(ids.D_MODEL, "value"),
        Input(ids.N_HEADS, "value"), State(ids.D_MODEL, "value"), State(ids.CHOICES_STORE, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _clientside("modeFields"),
        Output(ids.TEXT_GROUP, "style"), Output(ids.SEQ_LEN_GROUP, "style"),
        Output(ids.N_PAD, "disabled"),
        Input(ids.MODE, "value"), Input(ids.MASK, "value"),
    )
