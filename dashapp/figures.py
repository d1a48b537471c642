"""Pure figure builders: arrays and tokens in, a Plotly figure dict out.

Figures are plain dicts, not ``plotly.graph_objects``: building graph objects costs 20-170 ms
per update here, a dict about 0.1 ms. Numbers travel as base64 float32 typed arrays
(``typed_array``), not lists, and no template is attached (Plotly's default adds ~7 KB).
Nothing here computes attention or reads a figure back from the page; tests call these
functions directly and look at the returned data.

Conventions: weights use a fixed 0..1 sequential, colour-blind-safe scale (Viridis);
signed matrices a diverging scale centred on 0; masked cells are left as gaps over a grey
underlay whose hover says "masked". Token axes are categorical with one label per
position (``"cat #1"``), so repeated tokens stay separate.
"""

from __future__ import annotations

import base64
import math

import numpy as np

SEQUENTIAL = "Viridis"
# ColorBrewer RdBu (colour-blind safe), blue for negative, red for positive
DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]
MASKED_GREY = "#c9c9c9"
UNDERLAY = [[0.0, "rgba(0,0,0,0)"], [1.0, MASKED_GREY]]
MAX_LABELLED_TOKENS = 48  # beyond this, tick labels would overlap: hover still names tokens
RICH_HOVER_TOKENS = 64  # up to this, attention hover also carries raw scores and masked cells

# What an idle graph shows until its data arrives: no axes, so plotly measures no tick
# labels (eight empty graphs with default axes cost about a second of the first paint).
BLANK = {"data": [], "layout": {"height": 40, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                                "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"}}

_DTYPE_CODES = {np.dtype(t): c for t, c in [("f4", "f4"), ("f8", "f8"), ("u1", "u1"), ("i2", "i2")]}


def typed_array(array: np.ndarray) -> dict:
    """A Plotly typed-array spec: base64 bytes, dtype and shape (decoded by plotly.js)."""
    array = np.ascontiguousarray(array)
    if array.dtype not in _DTYPE_CODES:
        array = array.astype(np.float32)
    spec = {"dtype": _DTYPE_CODES[array.dtype], "bdata": base64.b64encode(array).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ",".join(str(n) for n in array.shape)
    return spec


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def token_labels(tokens: list[str]) -> list[str]:
    """One unique axis label per position: ``the #0``, ``cat #1``, ``the #4``."""
    return [f"{_escape(t)} #{i}" for i, t in enumerate(tokens)]


def _with_gaps(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """float32 copy with NaN where the mask closes a cell (drawn as a gap over grey)."""
    return np.where(allowed, values, np.nan).astype(np.float32)


def grid_layout(titles: list[str], n_cols: int, *, row_px: int, square: bool,
                x_labels_px: int = 30):
    """Axes, title annotations and height for panels placed in a grid, row by row.

    Rows are ``row_px`` tall; between rows there is room for the x tick labels
    (``x_labels_px``) and the next row's title, so nothing overlaps.
    """
    n_rows = math.ceil(len(titles) / n_cols)
    title_px = 24
    col_gap = 0.075 if square else 0.035  # token maps carry y labels ("cat #1") between panels
    height = n_rows * (row_px + x_labels_px + title_px) + 20
    width = (1 - col_gap * (n_cols - 1)) / n_cols
    layout, notes = {}, []
    for n, title in enumerate(titles):
        row, col = divmod(n, n_cols)
        x0 = col * (width + col_gap)
        y1 = 1 - (row * (row_px + x_labels_px + title_px) + title_px) / height
        y0 = y1 - row_px / height
        name = "" if n == 0 else str(n + 1)
        layout[f"xaxis{name}"] = {"domain": [x0, x0 + width], "anchor": f"y{name}"}
        layout[f"yaxis{name}"] = {"domain": [y0, y1], "anchor": f"x{name}"}
        if square:
            layout[f"yaxis{name}"]["scaleanchor"] = f"x{name}"
            layout[f"xaxis{name}"]["constrain"] = layout[f"yaxis{name}"]["constrain"] = "domain"
        notes.append({"text": f"<b>{title}</b>", "x": x0 + width / 2, "y": y1, "xref": "paper",
                      "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                      "font": {"size": 13}})
    return layout, notes, height + 40


def _token_axis(n_tokens: int, reverse: bool = False) -> dict:
    """A categorical axis of token labels; the labels themselves come with each trace."""
    axis = {"type": "category", "showticklabels": n_tokens <= MAX_LABELLED_TOKENS,
            "tickfont": {"size": 11}, "showgrid": False, "zeroline": False}
    if not reverse:
        axis["tickangle"] = -60  # fixed: plotly's automatic angle lays every label out twice
    if reverse:
        axis["autorange"] = "reversed"  # first token on top, like a matrix
    return axis


def _figure(data, axes, notes, height, coloraxes, hovermode="closest") -> dict:
    layout = {"height": height, "margin": {"l": 70, "r": 20, "t": 10, "b": 30},
              "annotations": notes, "hovermode": hovermode, "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "rgba(0,0,0,0)", "font": {"family": "system-ui, sans-serif"},
              **axes, **coloraxes}
    return {"data": data, "layout": layout}


def _sequential_axis(title: str) -> dict:
    return {"coloraxis": {"colorscale": SEQUENTIAL, "cmin": 0.0, "cmax": 1.0,
                          "colorbar": {"title": {"text": title}, "thickness": 12, "len": 0.8}}}


def _diverging_axis(values: list[np.ndarray], title: str, name: str = "coloraxis") -> dict:
    finite = [np.abs(v[np.isfinite(v)]).max(initial=0.0) for v in values]
    bound = float(max(finite + [1e-6]))
    return {name: {"colorscale": DIVERGING, "cmin": -bound, "cmax": bound, "cmid": 0.0,
                   "colorbar": {"title": {"text": title}, "thickness": 12, "len": 0.8}}}


def _panel_px(n_tokens: int) -> int:
    return int(min(460, max(170, 40 + 16 * n_tokens)))


def _x_labels_px(tokens: list[str]) -> int:
    """Room under a panel for its (possibly rotated) token labels."""
    if len(tokens) > MAX_LABELLED_TOKENS:
        return 16
    longest = max(len(t) for t in tokens) + len(str(len(tokens))) + 2
    return int(min(110, 24 + 5.5 * longest))


def _axis_names(n: int) -> tuple[str, str]:
    suffix = "" if n == 0 else str(n + 1)
    return f"x{suffix}", f"y{suffix}"


def _set_token_axes(axes: dict, n: int, n_tokens: int, x_tokens: bool) -> None:
    suffix = _axis_names(n)[0][1:]
    axes["xaxis" + suffix].update(
        _token_axis(n_tokens) if x_tokens else {"showgrid": False, "zeroline": False})
    axes["yaxis" + suffix].update(_token_axis(n_tokens, reverse=True))


def _mask_underlay(masked: np.ndarray, labels, n: int, where: str) -> dict:
    """Grey cells under the gaps of a masked heatmap; their hover says why they are empty."""
    x_name, y_name = _axis_names(n)
    return {"type": "heatmap", "z": typed_array(masked.astype(np.uint8)), "x": labels, "y": labels,
            "xaxis": x_name, "yaxis": y_name, "colorscale": UNDERLAY, "zmin": 0, "zmax": 1,
            "showscale": False, "hoverongaps": False,
            "hovertemplate": f"<b>{where}</b><br>query %{{y}}<br>key %{{x}}<br>"
                             "<b>masked</b>: this query may not look at this key, so its weight is 0"
                             "<extra></extra>"}


def matrix_figure(panels: list[tuple[str, np.ndarray]], tokens: list[str], *,
                  columns: str = "dims", colours: str = "diverging") -> dict:
    """2-D matrices side by side, rows are tokens.

    ``columns`` is "dims" (a (T, C) matrix, 0-centred colours by default) or "tokens" (a
    (T, T) matrix, keys along x). ``colours`` is "diverging" or "weights" (fixed 0..1).
    Non-finite cells (a masked -inf score) are drawn as gaps.
    """
    labels = token_labels(tokens)
    axes, notes, height = grid_layout([t for t, _ in panels], len(panels),
                                      row_px=_panel_px(len(tokens)), square=columns == "tokens",
                                      x_labels_px=_x_labels_px(tokens) if columns == "tokens" else 30)
    data = []
    row_label, x_label, value_label = "token", "dim %{x}", "value"
    if columns == "tokens":
        row_label, x_label = "query", "key %{x}"
        value_label = "weight" if colours == "weights" else "value"
    for n, (title, matrix) in enumerate(panels):
        x_name, y_name = _axis_names(n)
        _set_token_axes(axes, n, len(tokens), x_tokens=columns == "tokens")
        z = np.where(np.isfinite(matrix), matrix, np.nan) if matrix.dtype.kind == "f" else matrix
        trace = {"type": "heatmap", "z": typed_array(z), "y": labels, "xaxis": x_name,
                 "yaxis": y_name, "coloraxis": "coloraxis", "hoverongaps": False,
                 "hovertemplate": f"<b>{title}</b><br>{row_label} %{{y}}<br>{x_label}<br>"
                                  f"{value_label} %{{z:.3f}}<extra></extra>"}
        if columns == "tokens":
            trace["x"] = labels
        data.append(trace)
    coloraxis = (_sequential_axis("weight") if colours == "weights"
                 else _diverging_axis([m.astype(np.float32) for _, m in panels], "value"))
    return _figure(data, axes, notes, height, coloraxis)


def heads_figure(rows: list[tuple[str, np.ndarray]], tokens: list[str], max_cols: int = 8) -> dict:
    """(nh, T, hs) arrays as one panel per head; x is the column in the full (T, C) matrix."""
    labels = token_labels(tokens)
    n_heads, _, head_dim = rows[0][1].shape
    titles = [f"{name} · head {h + 1}" for name, _ in rows for h in range(n_heads)]
    n_cols = min(n_heads, max_cols)
    axes, notes, height = grid_layout(titles, n_cols, row_px=_panel_px(len(tokens)), square=False)
    data = []
    for n, (title, (name, heads), h) in enumerate(
        (titles[i], rows[i // n_heads], i % n_heads) for i in range(len(titles))
    ):
        x_name, y_name = _axis_names(n)
        _set_token_axes(axes, n, len(tokens), x_tokens=False)
        columns = np.arange(h * head_dim, (h + 1) * head_dim, dtype=np.int16)
        data.append({"type": "heatmap", "z": typed_array(heads[h]), "x": typed_array(columns),
                     "y": labels, "xaxis": x_name, "yaxis": y_name, "coloraxis": "coloraxis",
                     "hovertemplate": f"<b>{title}</b><br>token %{{y}}<br>dim %{{x}} "
                                      f"(column %{{customdata}} of the head)<br>value %{{z:.3f}}"
                                      "<extra></extra>",
                     "customdata": typed_array(np.arange(head_dim, dtype=np.int16))})
    return _figure(data, axes, notes, height, _diverging_axis([a for _, a in rows], "value"))


def scores_figure(scores: np.ndarray, allowed: np.ndarray, tokens: list[str], scaled: bool,
                  max_cols: int = 4) -> dict:
    """The mask, then each head's scores with masked cells left grey (step 4)."""
    labels = token_labels(tokens)
    n_heads = scores.shape[0]
    score_name = "q·k / √d_k" if scaled else "q·k (unscaled)"
    titles = ["mask (who may look at whom)"] + [f"head {h + 1}: {score_name}" for h in range(n_heads)]
    axes, notes, height = grid_layout(titles, min(n_heads + 1, max_cols),
                                      row_px=_panel_px(len(tokens)), square=True,
                                      x_labels_px=_x_labels_px(tokens))
    for n in range(len(titles)):
        _set_token_axes(axes, n, len(tokens), x_tokens=True)
    masked = ~allowed
    data = [{"type": "heatmap", "z": typed_array(allowed.astype(np.uint8)), "x": labels, "y": labels,
             "colorscale": [[0.0, MASKED_GREY], [1.0, "#1b9e77"]], "zmin": 0, "zmax": 1,
             "showscale": False, "xgap": 1, "ygap": 1,
             "hovertemplate": "query %{y}<br>key %{x}<br>allowed: %{z} (1 = may look, 0 = masked)"
                              "<extra></extra>"}]
    for h in range(n_heads):
        x_name, y_name = _axis_names(h + 1)
        if masked.any():
            data.append({**_mask_underlay(masked, labels, h + 1, f"head {h + 1}"), "meta": {"head": h}})
        data.append({"type": "heatmap", "z": typed_array(_with_gaps(scores[h], allowed)),
                     "x": labels, "y": labels, "xaxis": x_name, "yaxis": y_name, "meta": {"head": h},
                     "coloraxis": "coloraxis", "hoverongaps": False,
                     "hovertemplate": f"<b>head {h + 1}</b><br>query %{{y}}<br>key %{{x}}<br>"
                                      "score %{z:.3f}<extra></extra>"})
    return _figure(data, axes, notes, height, _diverging_axis([scores], "score"))


def attention_figure(weights: np.ndarray, mean_weights: np.ndarray, scores: np.ndarray,
                     allowed: np.ndarray, tokens: list[str], max_cols: int = 4,
                     badges: list[tuple[str, str]] | None = None) -> dict:
    """Per-head attention weights plus their head average, on a fixed 0..1 scale (step 5).

    Hover names the query and key tokens with their positions, the head, the weight to
    3 decimals and the raw score; masked cells are grey and their hover says so. ``badges``
    (short text, hover text) per head are added to the heads' titles. Beyond
    RICH_HOVER_TOKENS the cells are a few pixels wide: the figure then leaves out the raw
    scores and the masked cells' own hover (grey background instead of an underlay), which
    halves what a 128-token update sends; a click on a cell still explains it in full.
    """
    labels = token_labels(tokens)
    n_heads = weights.shape[0]
    rich = len(tokens) <= RICH_HOVER_TOKENS
    titles = [f"head {h + 1}" for h in range(n_heads)] + ["average of all heads"]
    axes, notes, height = grid_layout(titles, min(n_heads + 1, max_cols),
                                      row_px=_panel_px(len(tokens)), square=True,
                                      x_labels_px=_x_labels_px(tokens))
    masked = ~allowed
    data = []
    for n in range(n_heads + 1):
        _set_token_axes(axes, n, len(tokens), x_tokens=True)
        x_name, y_name = _axis_names(n)
        is_mean = n == n_heads
        head = None if is_mean else n
        if masked.any() and rich:
            data.append({**_mask_underlay(masked, labels, n, titles[n]), "meta": {"head": head}})
        trace = {"type": "heatmap", "x": labels, "y": labels, "xaxis": x_name, "yaxis": y_name,
                 "coloraxis": "coloraxis", "hoverongaps": False, "meta": {"head": head},
                 "z": typed_array(_with_gaps(mean_weights if is_mean else weights[n], allowed))}
        value = "mean weight" if is_mean else "weight"
        extra = "<br>raw score %{customdata:.3f}" if rich and not is_mean else (
            "" if rich else "<br>(click for the score)")
        trace["hovertemplate"] = (f"<b>{titles[n]}</b><br>query %{{y}}<br>key %{{x}}<br>"
                                  f"{value} %{{z:.3f}}{extra}<extra></extra>")
        if rich and not is_mean:
            trace["customdata"] = typed_array(scores[n])
        data.append(trace)
    for note, (badge, details) in zip(notes, badges or []):
        note["text"] += f" <span style='font-size:11px;color:#555'>· {badge}</span>"
        note["hovertext"] = details
    figure = _figure(data, axes, notes, height, _sequential_axis("weight"))
    if not rich:
        figure["layout"]["plot_bgcolor"] = MASKED_GREY  # gaps (masked cells) show grey
    return figure


VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
           "#6ece58", "#b5de2b", "#fde725"]
TILE_SEPARATOR = 255  # uint8 code for the white lines between thumbnails
# Viridis over the codes 0..254 (a weight w is stored as round(254 w)), white for 255.
TILE_SCALE = [[i / 9 * 254 / 255, c] for i, c in enumerate(VIRIDIS)] + [[254.5 / 255, "#fde725"],
                                                                        [1.0, "#ffffff"]]


def pool_maps(maps: np.ndarray, size: int) -> np.ndarray:
    """(N, T, T) -> (N, s, s) with s = min(T, size): block means over near-equal groups.

    Thumbnails only: each block is the average weight of the query/key groups it covers.
    """
    n_tokens = maps.shape[-1]
    if n_tokens <= size:
        return maps
    edges = np.linspace(0, n_tokens, size + 1).round().astype(int)
    sums = np.add.reduceat(np.add.reduceat(maps, edges[:-1], axis=-2), edges[:-1], axis=-1)
    counts = np.diff(edges)
    return sums / np.outer(counts, counts)


def tiles_figure(maps: np.ndarray, n_cols: int, row_labels: list[str], col_labels: list[str],
                 size: int = 32) -> dict:
    """Many (T, T) attention maps as one image of uint8 thumbnails on a fixed 0..1 scale.

    One heatmap trace instead of hundreds of subplots keeps a 30 x 9 model view light;
    ``layout.meta`` tells the browser how to turn a click into a (row, column) of the grid.
    """
    pooled = pool_maps(maps, size)
    n_maps, side = pooled.shape[0], pooled.shape[-1]
    n_rows, step = math.ceil(n_maps / n_cols), side + 1
    image = np.full((n_rows * step - 1, n_cols * step - 1), TILE_SEPARATOR, dtype=np.uint8)
    codes = np.rint(np.clip(pooled, 0.0, 1.0) * 254).astype(np.uint8)
    for n in range(n_maps):
        row, col = divmod(n, n_cols)
        image[row * step:row * step + side, col * step:col * step + side] = codes[n]
    centres = [i * step + (side - 1) / 2 for i in range(max(n_rows, n_cols))]
    tile_px = int(min(90, max(36, 700 / n_cols)))
    return {
        "data": [{"type": "heatmap", "z": typed_array(image), "colorscale": TILE_SCALE,
                  "zmin": 0, "zmax": 255, "showscale": False, "hoverinfo": "none"}],
        "layout": {
            "height": n_rows * tile_px + 60, "margin": {"l": 50, "r": 10, "t": 30, "b": 10},
            "xaxis": {"tickvals": centres[:n_cols], "ticktext": col_labels, "side": "top",
                      "showgrid": False, "zeroline": False, "constrain": "domain"},
            "yaxis": {"tickvals": centres[:n_rows], "ticktext": row_labels, "autorange": "reversed",
                      "showgrid": False, "zeroline": False, "scaleanchor": "x", "constrain": "domain"},
            "meta": {"step": step, "cols": n_cols, "count": n_maps},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "dragmode": False,
        },
    }


def comparison_figure(top: list[tuple[str, np.ndarray]], bottom: list[tuple[str, np.ndarray]],
                      tokens: list[str]) -> dict:
    """Two rows of (T, T) maps: weights on the fixed 0..1 scale above, signed differences
    (centred on 0, their own colour bar) below. Used by the mask lab."""
    labels = token_labels(tokens)
    n_cols = len(top)
    axes, notes, height = grid_layout([t for t, _ in top + bottom], n_cols,
                                      row_px=_panel_px(len(tokens)), square=True,
                                      x_labels_px=_x_labels_px(tokens))
    data = []
    for n, (title, matrix) in enumerate(top + bottom):
        x_name, y_name = _axis_names(n)
        _set_token_axes(axes, n, len(tokens), x_tokens=True)
        is_diff = n >= n_cols
        value = "change" if is_diff else "weight"
        data.append({"type": "heatmap", "z": typed_array(matrix), "x": labels, "y": labels,
                     "xaxis": x_name, "yaxis": y_name,
                     "coloraxis": "coloraxis2" if is_diff else "coloraxis",
                     "hovertemplate": f"<b>{title}</b><br>query %{{y}}<br>key %{{x}}<br>"
                                      f"{value} %{{z:.3f}}<extra></extra>"})
    coloraxes = {**_sequential_axis("weight"),
                 **_diverging_axis([m for _, m in bottom], "change", name="coloraxis2")}
    coloraxes["coloraxis"]["colorbar"].update({"len": 0.45, "y": 1.0, "yanchor": "top"})
    coloraxes["coloraxis2"]["colorbar"].update({"len": 0.45, "y": 0.0, "yanchor": "bottom"})
    return _figure(data, axes, notes, height, coloraxes)


def layer_head_figure(values: np.ndarray, title: str, fmt: str = ".3f") -> dict:
    """A (L, nh) grid of one number per head, e.g. a metric for every head of a model."""
    n_layers, n_heads = values.shape
    return {
        "data": [{"type": "heatmap", "z": typed_array(values.astype(np.float32)),
                  "x": [f"h{h + 1}" for h in range(n_heads)],
                  "y": [f"L{l + 1}" for l in range(n_layers)], "colorscale": SEQUENTIAL,
                  "colorbar": {"title": {"text": title}, "thickness": 12}, "xgap": 1, "ygap": 1,
                  "hovertemplate": f"layer %{{y}} · head %{{x}}<br>{title} %{{z:{fmt}}}<extra></extra>"}],
        "layout": {"height": 60 + 22 * n_layers, "margin": {"l": 50, "r": 10, "t": 10, "b": 30},
                   "yaxis": {"autorange": "reversed"}, "paper_bgcolor": "rgba(0,0,0,0)",
                   "plot_bgcolor": "rgba(0,0,0,0)"},
    }
