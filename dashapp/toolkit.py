"""The researcher's toolkit views: head metrics and the mask lab (the explain panel lives in
``dashapp.weight_panel``). Pure functions of traces and settings: the numbers come from the
engine (``engine.metrics``, ``run_trace``); this module picks, sorts, words and draws them.
"""

from __future__ import annotations

from dataclasses import replace

import dash_bootstrap_components as dbc
import numpy as np
from dash import html

from dashapp import figures, ids
from dashapp.traces import trace_for
from engine import MASKS, AttentionConfig, AttentionTrace
from engine import metrics as engine_metrics
from engine.metrics import METRIC_NAMES

MASK_LAB_PAD = 2  # PAD keys the lab uses when the settings have none


def metrics_rows(trace: AttentionTrace) -> list[dict]:
    """One dict per head: 'head' (numbered from 1, as the page shows) and the six metrics."""
    rows = engine_metrics.metrics_table(trace.weights, trace.mask)
    return [{**row, "head": row["head"] + 1} for row in rows]


def head_badges(rows: list[dict]) -> list[tuple[str, str]]:
    """(short badge, full hover text) per head, for the attention heatmaps' titles."""
    return [(f"entropy {r['entropy']:.2f}",
             "<br>".join(f"{info.label}: {r[name]:.3f}" for name, info in METRIC_NAMES.items()))
            for r in rows]


def sort_rows(rows: list[dict], by: str, descending: bool) -> list[dict]:
    key = by if by in METRIC_NAMES or by == "head" else "head"
    return sorted(rows, key=lambda r: r[key], reverse=descending)


def metrics_table(rows: list[dict], by: str, descending: bool) -> dbc.Table:
    """A table whose header buttons sort it; the sorted column is marked with an arrow."""
    columns = [("head", "Head")] + [(name, info.label) for name, info in METRIC_NAMES.items()]

    def header(name, label):
        arrow = (" ▼" if descending else " ▲") if name == by else ""
        return html.Th(html.Button(label + arrow, id={"type": ids.METRICS_SORT, "metric": name},
                                   className="btn btn-link btn-sm p-0 fw-semibold text-decoration-none",
                                   title=METRIC_NAMES[name].description if name in METRIC_NAMES
                                   else "Sort by head"))

    body = [html.Tr([html.Th(str(r["head"]))] + [html.Td(f"{r[name]:.3f}") for name, _ in columns[1:]])
            for r in sort_rows(rows, by, descending)]
    return dbc.Table([html.Thead(html.Tr([header(n, l) for n, l in columns])), html.Tbody(body)],
                     size="sm", hover=True, class_name="font-monospace small mb-0", id="metrics-grid")


def mask_lab_configs(config: AttentionConfig) -> list[AttentionConfig]:
    """The same input and seed under each of the four masks (padding uses the settings' PAD
    count, or MASK_LAB_PAD when that is 0 and the sequence is long enough)."""
    n_pad = config.n_pad if config.n_pad else min(MASK_LAB_PAD, len(config.tokens) - 1)
    return [replace(config, mask=mask, n_pad=n_pad if "padding" in mask else 0) for mask in MASKS]


def _pick(trace: AttentionTrace, head: int | None) -> np.ndarray:
    return trace.mean_weights if head is None else trace.weights[head]


def mask_lab_view(config: AttentionConfig, head: int | None) -> tuple[dict, list[str]]:
    """The four masks side by side for one head (or the average), their differences from
    "none", and one sentence per mask saying what changed."""
    traces = [trace_for(c) for c in mask_lab_configs(config)]
    if head is not None:
        head = min(max(head, 0), traces[0].n_heads - 1)
    maps = [_pick(t, head) for t in traces]
    which = "average of heads" if head is None else f"head {head + 1}"
    top = [(f"{t.config.mask}" + (f" ({t.config.n_pad} PAD)" if t.config.n_pad else ""), m)
           for t, m in zip(traces, maps)]
    bottom = [(f"{t.config.mask} − none", m - maps[0]) for t, m in zip(traces, maps)]
    figure = figures.comparison_figure(top, bottom, traces[0].tokens)
    notes = [f"{which}: " + mask_sentence(t, m, maps[0]) for t, m in zip(traces, maps)]
    return figure, notes


def mask_sentence(trace: AttentionTrace, weights: np.ndarray, reference: np.ndarray) -> str:
    """What this mask changed, in one or two plain sentences, from the numbers themselves."""
    config, n_tokens = trace.config, len(trace.tokens)
    if config.mask == "none":
        return "no mask: every query may look at every key. This is the reference."
    parts = []
    if "padding" in config.mask and config.n_pad == 0:
        parts.append("a single token leaves no room for PAD keys, so padding closes nothing")
    elif "padding" in config.mask:
        pad = config.n_pad
        keys = "key is PAD and gets" if pad == 1 else f"{pad} keys are PAD and get"
        parts.append(f"the last {keys} zero weight (largest weight on a PAD key: "
                     f"{weights[:, n_tokens - pad:].max():.3f}); the PAD queries still attend to the "
                     f"real tokens, their rows sum to {weights[n_tokens - pad:].sum(axis=1).min():.3f}")
    if "causal" in config.mask:
        upper = int(np.triu(np.ones((n_tokens, n_tokens), bool), 1).sum())
        parts.append(f"causal zeroes the {upper} cells above the diagonal (largest: "
                     f"{np.triu(weights, 1).max():.3f}); the first token can only look at itself")
    empty = trace.empty_rows
    parts.append("no row is fully masked" if not empty else
                 f"rows {', '.join(map(str, empty))} are fully masked (all weights 0)")
    change = np.abs(weights - reference).max()
    return "; ".join(parts) + f". Largest change from no mask: {change:.3f}."
