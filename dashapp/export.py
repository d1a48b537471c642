"""Downloads: the whole current trace as ``.npz`` and as JSON, and file names for figures.

The trace is recomputed on the server from the config store, which is validated again
(``settings.config_from_settings``): forged settings get no download, never a 500. Figures
download as PNG and SVG in the browser (``downloadFigure`` in ``assets/atlas.js`` calls
``Plotly.downloadImage``; its file names follow :func:`figure_filename`, a test checks).

JSON has no infinities, so non-finite numbers are written as the strings ``"-Infinity"``,
``"Infinity"`` and ``"NaN"`` (only ``masked_scores`` has any: ``-Infinity`` where the mask
forbids a key). ``numpy.asarray(data, dtype)`` reads them back exactly. This module must not
compute attention or draw anything.
"""

from __future__ import annotations

import io
import json

import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html, no_update

from dashapp import ids
from dashapp.settings import CONTROL_NAMES, config_from_settings, settings_of
from dashapp.traces import trace_for
from engine import AttentionTrace, ConfigError

FORMAT = "attention-atlas-trace"
NON_FINITE = {-np.inf: "-Infinity", np.inf: "Infinity"}
MAX_JSON_NUMBERS = 1_000_000  # about 18 MB of JSON, 2 s; bigger traces download as .npz only


def export_stem(settings: dict) -> str:
    """A file name stem naming the settings, e.g. ``atlas_words_d64_h4_causal_seed0``."""
    s = {name: settings[name] for name in CONTROL_NAMES}
    parts = ["atlas", f"random{s['seq_len']}" if s["mode"] == "random" else s["mode"],
             f"d{s['d_model']}", f"h{s['n_heads']}", s["mask"].replace("+", "-")]
    if "padding" in s["mask"]:
        parts.append(f"pad{s['n_pad']}")
    parts.append(f"seed{s['seed']}")
    parts += [] if s["positional"] else ["nopos"]
    parts += [] if s["scale"] else ["noscale"]
    return "_".join(parts)


def figure_filename(settings: dict, what: str, extension: str) -> str:
    """``what`` names the picture: ``step5-attention``, ``step5-attention-2``, ``weights-head2``."""
    return f"{export_stem(settings)}_{what}.{extension}"


def trace_npz(trace: AttentionTrace, settings: dict) -> bytes:
    """Every array of the trace by name, the tokens, and the settings as a 0-d JSON string."""
    out = io.BytesIO()
    np.savez(out, **trace.arrays(), tokens=np.array(trace.tokens, dtype=str),
             settings=np.array(json.dumps(settings)))
    return out.getvalue()


def trace_json(trace: AttentionTrace, settings: dict) -> str:
    """Settings, tokens and each array as {name, shape, dtype, data}; always valid JSON."""
    document = {
        "format": FORMAT, "version": 1, "settings": settings, "tokens": list(trace.tokens),
        "non_finite": "written as the strings -Infinity, Infinity and NaN",
        "arrays": [{"name": name, "shape": list(array.shape), "dtype": str(array.dtype),
                    "data": _plain(array)} for name, array in trace.arrays().items()],
    }
    return json.dumps(document, allow_nan=False, separators=(",", ":"))


def _plain(array: np.ndarray) -> list:
    """Nested lists of plain numbers; non-finite floats become strings (JSON has none)."""
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return array.tolist()
    cells = array.astype(object)
    cells[np.isnan(array)] = "NaN"
    for value, text in NON_FINITE.items():
        cells[array == value] = text
    return cells.tolist()


def _trace_of(settings) -> tuple[AttentionTrace, dict]:
    config = config_from_settings(settings)  # raises ConfigError on forged settings
    return trace_for(config), settings_of(config)  # the trace the page already shows


def npz_download(settings):
    """(download, status) for the .npz button; forged settings download nothing."""
    try:
        trace, clean = _trace_of(settings)
    except ConfigError as error:
        return no_update, f"No download: {error}"
    filename = f"{export_stem(clean)}.npz"
    return dcc.send_bytes(trace_npz(trace, clean), filename), f"Downloaded {filename}"


def json_download(settings):
    """(download, status) for the JSON button; very large traces are sent to .npz instead."""
    try:
        trace, clean = _trace_of(settings)
    except ConfigError as error:
        return no_update, f"No download: {error}"
    numbers = sum(a.size for a in trace.arrays().values())
    if numbers > MAX_JSON_NUMBERS:
        return no_update, (f"This trace has {numbers:,} numbers, too many for JSON; "
                           "download the .npz instead")
    filename = f"{export_stem(clean)}.json"
    return dcc.send_string(trace_json(trace, clean), filename), f"Downloaded {filename}"


def figure_buttons(graph_id: str) -> html.Div:
    """Small PNG and SVG buttons under a figure (the modebar's camera gives PNG too)."""
    return html.Div([html.Span("Download figure:", className="me-1")] + [
        dbc.Button(fmt.upper(), id={"type": ids.EXPORT_IMAGE, "graph": graph_id, "format": fmt},
                   color="link", size="sm", class_name="p-0 me-2 atlas-export-button",
                   title=f"Download this figure as {fmt.upper()}")
        for fmt in ("png", "svg")
    ], className="atlas-export small text-muted text-end")


def trace_buttons() -> html.Div:
    """Download the whole trace (every array of the six steps) as .npz or JSON."""
    return html.Div([
        html.Span("Whole trace, every array:", className="small text-muted me-2"),
        dbc.Button(".npz", id=ids.EXPORT_NPZ, color="secondary", outline=True, size="sm",
                   class_name="me-1", title="NumPy: numpy.load(path) gives every array by name"),
        dbc.Button(".json", id=ids.EXPORT_JSON, color="secondary", outline=True, size="sm",
                   title="JSON: settings, tokens, and each array's name, shape, dtype and data"),
        html.Span(id=ids.EXPORT_STATUS, className="small text-muted ms-2", role="status"),
        dcc.Download(id=ids.EXPORT_NPZ_DOWNLOAD),
        dcc.Download(id=ids.EXPORT_JSON_DOWNLOAD),
        dcc.Store(id=ids.EXPORT_IMAGE_DONE),
    ], className="d-flex align-items-center flex-wrap mt-2")


def register_export_callbacks(app) -> None:
    app.callback(
        Output(ids.EXPORT_NPZ_DOWNLOAD, "data"), Output(ids.EXPORT_STATUS, "children"),
        Input(ids.EXPORT_NPZ, "n_clicks"), State(ids.CONFIG_STORE, "data"),
        prevent_initial_call=True,
    )(lambda _clicks, settings: npz_download(settings))
    app.callback(
        Output(ids.EXPORT_JSON_DOWNLOAD, "data"),
        Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.EXPORT_JSON, "n_clicks"), State(ids.CONFIG_STORE, "data"),
        prevent_initial_call=True,
    )(lambda _clicks, settings: json_download(settings))
    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="downloadFigure"),
        Output(ids.EXPORT_IMAGE_DONE, "data"),
        Input({"type": ids.EXPORT_IMAGE, "graph": ALL, "format": ALL}, "n_clicks"),
        State(ids.STEP, "value"), State(ids.TEXT_STORE, "data"), State(ids.CONFIG_STORE, "data"),
        State(ids.INSPECT_ARRAY, "value"),
        prevent_initial_call=True,
    )
