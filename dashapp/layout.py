"""The page, as named pieces: controls, step navigator, explanation, figures, inspector.

Pieces are built by small functions and placed with ``dbc.Row``/``dbc.Col`` in
:func:`build_layout`. The default settings' figures are computed once, at start-up, and
placed in the stores, so the first heatmap appears with the page, with no callback.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp import figures, ids
from dashapp.lessons import step_texts
from dashapp.pretrained import DEFAULT_TEXT, MAX_TEXT_CHARS, install_hint, model_choices
from dashapp.settings import DEFAULTS, config_from_controls, settings_of
from dashapp.export import figure_buttons, trace_buttons
from dashapp.share import DEFAULT_STEP, copy_link_bar
from dashapp.views import detail_view, head_options, inspector_options, main_view
from engine import LIMITS, MASKS, STEPS, run_trace
from engine.metrics import METRIC_NAMES

D_MODEL_CHOICES = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
HEAD_CHOICES = (1, 2, 3, 4, 6, 8, 12, 16)
MODES = (("words", "Words"), ("numbers", "Numbers"), ("auto", "Auto"), ("random", "Random vectors"))
STEP_MARKS = {"input": "Input", "projections": "Q K V", "split": "Heads", "mask": "Mask",
              "attention": "Softmax", "output": "Output"}
SPEEDS = (("2000", "slow"), ("1200", "normal"), ("600", "fast"))


def d_model_options(n_heads: int) -> list[dict]:
    """Only d_model values the heads divide evenly (assets/atlas.js applies the same rule
    to the same list, which it reads from the choices store)."""
    return [{"label": str(c), "value": str(c)} for c in D_MODEL_CHOICES if c % n_heads == 0]


def _field(label: str, control, group_id: str | None = None, help_text: str | None = None):
    children = [dbc.Label(label, class_name="mb-1 small fw-semibold"), control]
    if help_text:
        children.append(dbc.FormText(help_text))
    return html.Div(children, id=group_id, className="mb-2") if group_id else \
        html.Div(children, className="mb-2")


def controls_card(d: dict = DEFAULTS, error: str | None = None) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Settings", className="h6 text-uppercase text-muted"),
        _field("Input", dbc.RadioItems(id=ids.MODE, value=d["mode"], inline=True,
                                       options=[{"label": l, "value": v} for v, l in MODES])),
        _field("Text", dbc.Textarea(id=ids.TEXT, value=d["text"], rows=2, debounce=True,
                                    maxlength=LIMITS.max_text_chars, spellcheck=False),
               ids.TEXT_GROUP, "Words and punctuation, or numbers like 1, 2.5 -3"),
        _field("Number of tokens", dbc.Input(id=ids.SEQ_LEN, type="number", value=d["seq_len"],
                                             min=1, max=LIMITS.max_tokens, step=1, debounce=True),
               ids.SEQ_LEN_GROUP),
        dbc.Row([
            dbc.Col(_field("Heads", dbc.Select(id=ids.N_HEADS, value=str(d["n_heads"]), options=[
                {"label": str(h), "value": str(h)} for h in HEAD_CHOICES]))),
            dbc.Col(_field("d_model", dbc.Select(id=ids.D_MODEL, value=str(d["d_model"]),
                                                 options=d_model_options(d["n_heads"])))),
        ], class_name="g-2"),
        _field("Seed", dbc.Input(id=ids.SEED, type="number", value=d["seed"], min=0,
                                 max=LIMITS.max_seed, step=1, debounce=True)),
        dbc.Row([
            dbc.Col(_field("Mask", dbc.Select(id=ids.MASK, value=d["mask"], options=[
                {"label": m, "value": m} for m in MASKS])), width=7),
            dbc.Col(_field("PAD keys", dbc.Input(id=ids.N_PAD, type="number", value=d["n_pad"],
                                                 min=0, max=LIMITS.max_tokens - 1, step=1,
                                                 debounce=True)), width=5),
        ], class_name="g-2"),
        dbc.Switch(id=ids.POSITIONAL, value=d["positional"], label="Positional encoding"),
        dbc.Switch(id=ids.SCALE, value=d["scale"], label="Scale scores by √d_k"),
        dbc.Alert(error, id=ids.CONTROL_ERROR, color="danger", is_open=bool(error),
                  class_name="mt-2 small mb-0"),
    ]), class_name="shadow-sm")


def navigator_card(step: int = DEFAULT_STEP) -> dbc.Card:
    marks = {s.number: {"label": f"{s.number} {STEP_MARKS[s.id]}"} for s in STEPS}
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col(dbc.ButtonGroup([
                dbc.Button("◀ Prev", id=ids.PREV, color="secondary", outline=True, size="sm"),
                dbc.Button("▶ Play", id=ids.PLAY, color="primary", size="sm"),
                dbc.Button("Next ▶", id=ids.NEXT, color="secondary", outline=True, size="sm"),
            ]), width="auto"),
            dbc.Col(dbc.Select(id=ids.SPEED, value="1200", size="sm", options=[
                {"label": f"speed: {l}", "value": v} for v, l in SPEEDS]), width="auto"),
            dbc.Col(dbc.Checkbox(id=ids.LOOP, value=True, label="loop"), width="auto",
                    class_name="pt-1"),
            dbc.Col(copy_link_bar(), width="auto", class_name="ms-auto"),
        ], class_name="g-2 align-items-center mb-2"),
        dcc.Slider(id=ids.STEP, min=1, max=len(STEPS), step=1, value=step, marks=marks,
                   updatemode="drag", allow_direct_input=False, className="atlas-steps"),
        dcc.Interval(id=ids.TICKER, interval=1200, disabled=True),
    ]), class_name="shadow-sm mb-3")


def step_view(step: int, main: dict, detail: dict, texts: list[dict]) -> dict:
    """What the step card shows first, so the page arrives drawn (assets/atlas.js's
    stepView picks the same figures for every later step or settings change)."""
    lesson = texts[step - 1]
    shown = main["steps"].get(lesson["id"], []) + detail["steps"].get(lesson["id"], [])
    return {"title": f"Step {lesson['number']} of {len(texts)} · {lesson['title']}",
            "plain": lesson["plain"], "math": lesson["math"], "shapes": main["shapes"][lesson["id"]],
            "main": shown[0] if shown else figures.BLANK,
            "extra": shown[1] if len(shown) > 1 else figures.BLANK}


def step_card(view: dict) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2(view["title"], id=ids.STEP_TITLE, className="h5"),
        dbc.Row([
            dbc.Col(dcc.Markdown(view["plain"], id=ids.STEP_PLAIN, mathjax=True,
                                 className="atlas-plain"), lg=6),
            dbc.Col(dcc.Markdown(view["math"], id=ids.STEP_MATH, mathjax=True,
                                 className="atlas-math"), lg=6),
        ]),
        html.P(view["shapes"], id=ids.STEP_SHAPES, className="font-monospace small text-muted mb-2"),
        html.Div(id=ids.STEP_STATUS, className="small text-muted"),
        dcc.Graph(id=ids.GRAPH_MAIN, figure=view["main"], config={"displaylogo": False},
                  className="atlas-graph"),
        figure_buttons(ids.GRAPH_MAIN),
        dcc.Graph(id=ids.GRAPH_EXTRA, figure=view["extra"], config={"displaylogo": False},
                  className="atlas-graph",
                  style={} if view["extra"] is not figures.BLANK else {"display": "none"}),
        figure_buttons(ids.GRAPH_EXTRA),  # hidden with the graph (assets/atlas.css)
    ]), class_name="shadow-sm mb-3")


def explain_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Explain one weight", className="h6 text-uppercase text-muted"),
        html.Div(html.P("Click any cell of an attention map (step 4 or 5) to see how its weight "
                        "came to be: q · k, the scale, the mask, the softmax and the mix of values.",
                        className="small text-muted mb-0"), id=ids.EXPLAIN_PANEL),
        dcc.Store(id=ids.EXPLAIN_SELECTION),
    ]), class_name="shadow-sm mb-3")


def metrics_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Head metrics", className="h6 text-uppercase text-muted"),
        html.P("Per head, averaged over its query rows. Click a column name to sort; hover a "
               "name for its definition.", className="small text-muted mb-1"),
        html.Div(id=ids.METRICS_TABLE, className="table-responsive"),
        dcc.Store(id=ids.METRICS_ORDER, data={"by": "head", "descending": False}),
    ]), class_name="shadow-sm mb-3")


def mask_lab_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col(html.H2("Mask lab", className="h6 text-uppercase text-muted"), width="auto"),
            dbc.Col(dbc.Select(id=ids.MASKLAB_HEAD, value="avg", size="sm",
                               options=head_options(DEFAULTS["n_heads"], average=True)),
                    width="auto"),
        ], class_name="g-2 align-items-center mb-1"),
        html.P("The same input and seed under all four masks; below, what each mask changed "
               "compared with no mask.", className="small text-muted mb-1"),
        dcc.Graph(id=ids.MASKLAB_GRAPH, figure=figures.BLANK, config={"displaylogo": False}),
        html.Ul(id=ids.MASKLAB_NOTES, className="small mb-0"),
    ]), class_name="shadow-sm mb-3")


def inspector_card(options: list[dict]) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2("Inspect any matrix", className="h6 text-uppercase text-muted"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=ids.INSPECT_ARRAY, options=options, value="weights",
                                 clearable=False), md=6),
            dbc.Col(dbc.Select(id=ids.INSPECT_HEAD, value="0",
                               options=head_options(DEFAULTS["n_heads"])), md=3),
            dbc.Col(dbc.Button("Download CSV", id=ids.INSPECT_CSV, color="secondary",
                               outline=True), md=3),
        ], class_name="g-2 mb-2"),
        html.Div(id=ids.INSPECT_NOTE, className="small text-muted mb-1"),
        dcc.Graph(id=ids.INSPECT_GRAPH, figure=figures.BLANK, config={"displaylogo": False}),
        figure_buttons(ids.INSPECT_GRAPH),
        html.Div(id=ids.INSPECT_TABLE, className="atlas-table"),
        dcc.Download(id=ids.INSPECT_DOWNLOAD),
        trace_buttons(),
    ]), class_name="shadow-sm mb-3")


def navbar() -> dbc.Navbar:
    return dbc.Navbar(dbc.Container([
        html.Span([html.Span("Attention Atlas", className="fw-bold"),
                   html.Span(" · multi-head self-attention, step by step",
                             className="text-white-50 d-none d-md-inline")],
                  className="navbar-brand"),
    ], fluid=True), color="dark", dark=True, class_name="mb-3")


def pretrained_card() -> dbc.Card:
    choices = model_choices()
    return dbc.Card(dbc.CardBody([
        html.H2("Real attention from small pretrained models", className="h5"),
        html.P("Trained weights, computed by our NumPy engine: look for heads that attend to "
               "the previous token, heads that park on [CLS] or [SEP], and the causal "
               "triangle of a decoder.", className="text-muted small"),
        dbc.Row([
            dbc.Col(_field("Model", dbc.Select(id=ids.PT_MODEL, options=choices,
                                               value=choices[0]["value"] if choices else None)),
                    md=4),
            dbc.Col(_field("Text", dbc.Textarea(id=ids.PT_TEXT, value=DEFAULT_TEXT, rows=2,
                                                debounce=True, maxlength=MAX_TEXT_CHARS,
                                                spellcheck=False)), md=8),
        ], class_name="g-2"),
        dbc.Alert(id=ids.PT_ERROR, color="warning", is_open=not choices,
                  children=None if choices else install_hint(), class_name="small"),
        dcc.Loading(html.Div([
            html.P(id=ids.PT_SUMMARY, className="small text-muted mb-1"),
            dcc.Graph(id=ids.PT_GRID, figure=figures.BLANK, config={"displayModeBar": False}),
        ]), delay_show=300),
        dcc.Graph(id=ids.PT_FOCUS, figure=figures.BLANK, config={"displaylogo": False}),
        html.Div(html.P("Click a cell of the map above to see how its weight came to be.",
                        className="small text-muted"), id=ids.PT_EXPLAIN_PANEL),
        dcc.Store(id=ids.PT_EXPLAIN_SELECTION),
        dbc.Row([
            dbc.Col([
                html.H3("Every head at a glance", className="h6 mt-2"),
                dbc.Select(id=ids.PT_METRIC, value="previous_token", size="sm", options=[
                    {"label": info.label, "value": name} for name, info in METRIC_NAMES.items()]),
                dcc.Graph(id=ids.PT_METRIC_GRAPH, figure=figures.BLANK, config={"displaylogo": False}),
            ], md=5),
            dbc.Col([
                html.H3("Attention rollout through all layers", className="h6 mt-2"),
                html.P("Abnar & Zuidema (2020): average the heads, add the residual, renormalise, "
                       "multiply through the layers.", className="small text-muted mb-0"),
                dcc.Graph(id=ids.PT_ROLLOUT_GRAPH, figure=figures.BLANK, config={"displaylogo": False}),
            ], md=7),
        ]),
        dcc.Store(id=ids.PT_STORE),
        dcc.Store(id=ids.PT_SELECTION, data={"layer": 0, "head": 0}),
    ]), class_name="shadow-sm mb-3")


def build_layout(settings: dict = DEFAULTS, step: int = DEFAULT_STEP,
                 error: str | None = None) -> html.Div:
    """The whole page for valid ``settings`` (a link's, see dashapp/page.py) and ``step``,
    with their figures already in the stores; ``error`` says what a link got wrong."""
    trace = run_trace(config_from_controls(**settings))
    main, detail, texts = main_view(trace), detail_view(trace), step_texts()
    return html.Div([
        navbar(),
        dbc.Container(dbc.Tabs(id=ids.TABS, active_tab=ids.TAB_WALKTHROUGH, class_name="mb-3",
                               children=[
            dbc.Tab(label="Step by step", tab_id=ids.TAB_WALKTHROUGH, children=dbc.Row([
                dbc.Col(controls_card(settings, error), lg=3, class_name="mb-3"),
                dbc.Col([navigator_card(step), step_card(step_view(step, main, detail, texts)),
                         explain_card(), metrics_card(),
                         mask_lab_card(), inspector_card(inspector_options(trace))], lg=9),
            ])),
            dbc.Tab(label="Pretrained models", tab_id=ids.TAB_PRETRAINED, children=pretrained_card()),
        ]), fluid=True),
        dcc.Store(id=ids.CONFIG_STORE, data=settings_of(trace.config)),
        dcc.Store(id=ids.MAIN_STORE, data=main),
        dcc.Store(id=ids.DETAIL_STORE, data=detail),
        dcc.Store(id=ids.TEXT_STORE, data=texts),
        dcc.Store(id=ids.CHOICES_STORE, data=list(D_MODEL_CHOICES)),
        dcc.Location(id=ids.LOCATION, refresh=False),
    ])
