"""What each step shows, composed from the pure figure builders (no attention math here).

``main_view`` is the attention step, the picture people come for: it is what the first
(and smallest) server response carries. ``detail_view`` holds every other step's figures,
so that stepping and playing through the walk-through happens in the browser with no
request. ``inspector_view`` shows any one array of the trace as a heatmap and a table.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from dashapp import figures
from dashapp.lessons import shapes_text
from dashapp.toolkit import head_badges, metrics_rows
from engine import AttentionTrace

ARRAY_LABELS = {
    "embeddings": "E: token embeddings", "positional": "P: positional encoding",
    "x": "X: input (E + P)", "q": "Q: queries", "k": "K: keys", "v": "V: values",
    "q_heads": "Q split into heads", "k_heads": "K split into heads",
    "v_heads": "V split into heads", "scores": "scores (before the mask)",
    "mask": "mask (1 = may attend)", "masked_scores": "masked scores (-inf = masked)",
    "weights": "attention weights", "mean_weights": "attention weights, head average",
    "head_outputs": "head outputs (weights × V)", "concat": "concatenated heads",
    "output": "output (concat × W_O)",
}
TOKEN_COLUMNS = {"scores", "mask", "masked_scores", "weights", "mean_weights"}
TABLE_MAX_COLUMNS = 64
TABLE_MAX_ROWS = 64


def view_key(trace: AttentionTrace) -> str:
    """Names the settings a view was drawn for, so the page never mixes two settings' views."""
    return repr(trace.config)


def main_view(trace: AttentionTrace) -> dict:
    """Step 5's heatmaps (every head and their average) and the shapes of every step."""
    figure = figures.attention_figure(trace.weights, trace.mean_weights, trace.scores,
                                      trace.mask, trace.tokens,
                                      badges=head_badges(metrics_rows(trace)))
    return {"key": view_key(trace), "steps": {"attention": [figure]},
            "shapes": shapes_text(trace), "n_tokens": len(trace.tokens), "n_heads": trace.n_heads}


def detail_view(trace: AttentionTrace) -> dict:
    """The figures of steps 1-4 and 6, and step 5's head outputs."""
    tokens = trace.tokens
    inputs = [("E: token embeddings", trace.embeddings)]
    if trace.positional is not None:
        inputs.append(("P: positions", trace.positional))
    inputs.append(("X = E + P" if trace.positional is not None else "X = E", trace.x))
    qkv = [("Q", trace.q_heads), ("K", trace.k_heads), ("V", trace.v_heads)]
    return {"key": view_key(trace), "steps": {
        "input": [figures.matrix_figure(inputs, tokens)],
        "projections": [figures.matrix_figure([("Q", trace.q), ("K", trace.k), ("V", trace.v)],
                                              tokens)],
        "split": [figures.heads_figure(qkv, tokens)],
        "mask": [figures.scores_figure(trace.scores, trace.mask, tokens, trace.scale)],
        "attention": [figures.heads_figure([("output", trace.head_outputs)], tokens)],
        "output": [figures.matrix_figure([("concat of heads", trace.concat),
                                          ("output = concat × W_O", trace.output)], tokens)],
    }}


def head_options(n_heads: int, average: bool = False) -> list[dict]:
    """Choices of a head picker ("head 1" is value "0"), optionally led by the average."""
    lead = [{"label": "average of heads", "value": "avg"}] if average else []
    return lead + [{"label": f"head {h + 1}", "value": str(h)} for h in range(n_heads)]


def inspector_options(trace: AttentionTrace) -> list[dict]:
    return [{"label": f"{ARRAY_LABELS[name]}  {' × '.join(map(str, a.shape))}", "value": name}
            for name, a in trace.arrays().items()]


def inspectable(trace: AttentionTrace, name, head: int) -> tuple[str, int]:
    """(array name, head) the inspector can show for this trace: an array the trace does not
    have (P after positions were switched off, or a forged name) falls back to the weights,
    and the head is clamped to the trace's heads."""
    if not isinstance(name, str) or name not in trace.arrays():
        name = "weights"
    return name, min(max(head, 0), trace.n_heads - 1)


def array_slice(trace: AttentionTrace, name: str, head: int) -> tuple[np.ndarray, str]:
    """The 2-D matrix to show for array ``name`` (one head's slice of a 3-D array);
    ``name`` and ``head`` as :func:`inspectable` returns them."""
    array = trace.arrays()[name]
    if array.ndim == 3:
        return array[head], f"{ARRAY_LABELS[name]} · head {head + 1}"
    return array, ARRAY_LABELS[name]


def inspector_view(trace: AttentionTrace, name: str, head: int) -> tuple[dict, str, str]:
    """Figure, a Markdown table of the numbers and a note for one array of the trace.

    The table is one Markdown string, not thousands of Dash components: it costs about a
    millisecond to build and send instead of tens.
    """
    matrix, title = array_slice(trace, name, head)
    is_tokens = name in TOKEN_COLUMNS
    colours = "weights" if name in ("weights", "mean_weights", "mask") else "diverging"
    figure = figures.matrix_figure([(title, matrix)], trace.tokens,
                                   columns="tokens" if is_tokens else "dims", colours=colours)
    shown = matrix[:TABLE_MAX_ROWS, :TABLE_MAX_COLUMNS]
    rows, columns = _labels(trace, name, shown.shape[1])
    lines = ["| token | " + " | ".join(_md(c) for c in columns) + " |",
             "|:--|" + "--:|" * len(columns)]
    lines += [f"| **{_md(label)}** | " + " | ".join(_cell(v) for v in row) + " |"
              for label, row in zip(rows, shown)]
    note = f"{title}: {matrix.shape[0]} × {matrix.shape[1]}"
    if matrix.shape[0] > TABLE_MAX_ROWS or matrix.shape[1] > TABLE_MAX_COLUMNS:
        note += (f"; the table shows the first {shown.shape[0]} rows and {shown.shape[1]} columns, "
                 "the CSV has all")
    return figure, "\n".join(lines), note


def _labels(trace: AttentionTrace, name: str, n_columns: int) -> tuple[list[str], list[str]]:
    """Row labels ("cat #1") and the first ``n_columns`` column labels (keys or "dim j")."""
    rows = [f"{t} #{i}" for i, t in enumerate(trace.tokens)]
    columns = rows if name in TOKEN_COLUMNS else [f"dim {j}" for j in range(n_columns)]
    return rows, columns[:n_columns]


def _md(text: str) -> str:
    """Escape a token for a Markdown table cell."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in text)


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    value = float(value)
    return f"{value:.4f}" if np.isfinite(value) else ("-inf" if value < 0 else "inf")


def array_csv(trace: AttentionTrace, name: str, head: int) -> tuple[str, str]:
    """(filename, CSV text) of the shown matrix at full precision, tokens as the first column."""
    matrix, _ = array_slice(trace, name, head)
    rows, columns = _labels(trace, name, matrix.shape[1])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["token", *columns])
    for label, row in zip(rows, matrix):
        writer.writerow([label, *(int(v) if row.dtype == bool else repr(float(v)) for v in row)])
    suffix = f"_head{head + 1}" if trace.arrays()[name].ndim == 3 else ""
    return f"{name}{suffix}.csv", out.getvalue()
