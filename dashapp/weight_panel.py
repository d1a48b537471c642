"""The "explain one weight" panel: how weight[head, query, key] came to be, in numbers.

A pure function from the engine's :class:`engine.explain.WeightExplanation` (and the tokens)
to Dash components, in the same numbered order as the engine: 1) q_i and k_j, 2) their
products, 3) the sum, 4) the scale, 5) the mask on the row, 6) the softmax, 7) the mix of
the values. Numbers are shown to 3 decimals; the engine computed them, this only formats.
"""

from __future__ import annotations

import math

import dash_bootstrap_components as dbc
import numpy as np
from dash import html

MAX_DIMS_SHOWN = 16  # head vectors wider than this show their first 16 dims and the sum of all


def fmt(value: float) -> str:
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    return f"{value:.3f}" if abs(value) >= 0.0005 else "0.000"  # no "-0.000"


def _table(header: list[str], rows: list[list[str]], highlight_col: int | None = None):
    def cell(tag, text, col):
        return tag(text, className="table-warning fw-bold" if col == highlight_col else None)

    return dbc.Table([
        html.Thead(html.Tr([cell(html.Th, h, n) for n, h in enumerate(header)])),
        html.Tbody([html.Tr([cell(html.Th if n == 0 else html.Td, v, n) for n, v in enumerate(row)])
                    for row in rows]),
    ], size="sm", bordered=True, class_name="font-monospace small mb-2 atlas-explain-table")


def _label(tokens: list[str], index: int) -> str:
    return f"“{tokens[index]}” #{index}"


def explanation_panel(exp, tokens: list[str], head_label: str | None = None,
                      values: bool = True) -> list:
    """Components explaining one weight, numbered like the engine's steps (step 7, the mix
    of values, only when ``values``: pretrained traces keep queries and keys, not values)."""
    hs = exp.q.shape[0]
    dims = list(range(min(hs, MAX_DIMS_SHOWN)))
    more = f" (first {len(dims)} of {hs} dims; the sum uses all)" if hs > len(dims) else ""
    head = head_label or f"head {exp.head + 1}"
    scale_text = (f"÷ √{hs} = ÷ {fmt(exp.divisor)}" if exp.divisor != 1.0 else "(scaling is off: ÷ 1)")
    allowed = bool(exp.allowed_row[exp.key])
    return [
        html.H3(f"Why {head} gives {fmt(exp.weight)} of {_label(tokens, exp.query)}'s attention "
                f"to {_label(tokens, exp.key)}", className="h6"),
        html.P(f"1–2) The query vector q of {_label(tokens, exp.query)} and the key vector k of "
               f"{_label(tokens, exp.key)} in {head}, multiplied dim by dim{more}:", className="small mb-1"),
        _table(["", *[f"d{d}" for d in dims]],
               [["q", *[fmt(exp.q[d]) for d in dims]], ["k", *[fmt(exp.k[d]) for d in dims]],
                ["q × k", *[fmt(exp.products[d]) for d in dims]]]),
        html.P([f"3–4) Sum: q · k = {fmt(exp.dot)}; {scale_text}; score = ",
                html.B(fmt(exp.score)), "."], className="small mb-1"),
        html.P(f"5–6) The whole row of scores for {_label(tokens, exp.query)}; the mask turns "
               f"closed keys into −∞, then softmax makes the row sum to 1. "
               + ("This key is open." if allowed else "This key is masked, so its weight is exactly 0."),
               className="small mb-1"),
        _table(["key", *[f"{t} #{j}" for j, t in enumerate(tokens)]],
               [["score", *[fmt(s) for s in exp.row_scores]],
                ["may look", *["yes" if a else "no" for a in exp.allowed_row]],
                ["masked score", *[fmt(s) for s in exp.masked_row]],
                ["weight", *[fmt(w) for w in exp.row_weights]]], highlight_col=exp.key + 1),
    ] + ([
        html.P(f"7) {_label(tokens, exp.query)}'s output in {head} mixes every value vector by "
               f"these weights: Σ_j weight_j × v_j{more}.", className="small mb-1"),
        _table(["key", "weight", *[f"w×v d{d}" for d in dims]],
               [[f"{t} #{j}", fmt(exp.row_weights[j]), *[fmt(exp.contributions[j, d]) for d in dims]]
                for j, t in enumerate(tokens)]
               + [["output", fmt(float(np.sum(exp.row_weights))), *[fmt(exp.output_row[d]) for d in dims]]],
               highlight_col=None),
    ] if values else [])


def average_panel(weights_at_cell: np.ndarray, mean: float, tokens: list[str], query: int,
                  key: int) -> list:
    """For a click on the head-average map: each head's weight for the cell, and their mean."""
    return [
        html.H3(f"The average of {len(weights_at_cell)} heads for {_label(tokens, query)} → "
                f"{_label(tokens, key)}: {fmt(mean)}", className="h6"),
        _table(["", *[f"head {h + 1}" for h in range(len(weights_at_cell))], "mean"],
               [["weight", *[fmt(w) for w in weights_at_cell], fmt(mean)]]),
        html.P("Click a cell of one head's map to see how that head's weight came to be.",
               className="small text-muted"),
    ]
