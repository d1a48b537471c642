"""The toolkit: explain one weight, head metrics, mask lab, checked against independent sums."""

import math

import numpy as np
import pytest
from dash.exceptions import PreventUpdate

from dashapp.callbacks import explain_update, main_update, mask_lab_update, metrics_update
from dashapp.settings import CONTROL_NAMES, DEFAULTS
from dashapp.toolkit import mask_lab_configs, metrics_rows, sort_rows
from engine import AttentionConfig, run_trace


def settings_for(**change):
    values = {**DEFAULTS, **change}
    return main_update(*[values[n] for n in CONTROL_NAMES])[0]


def texts(component) -> list[str]:
    """Every string inside a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in texts(c)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def test_explanation_numbers_match_an_independent_computation():
    settings = settings_for(mask="causal")
    trace = run_trace(AttentionConfig(text=DEFAULTS["text"], input_mode="words", mask="causal"))
    head, query, key = 1, 4, 1
    hs = trace.head_dim
    q = [float(v) for v in trace.q[query, head * hs:(head + 1) * hs]]
    k = [float(v) for v in trace.k[key, head * hs:(head + 1) * hs]]
    dot = sum(a * b for a, b in zip(q, k))
    score = dot / math.sqrt(hs)
    panel = texts(explain_update(settings, {"head": head, "query": query, "key": key, "valid": True}))
    joined = " ".join(panel)
    assert f"q · k = {dot:.3f}" in joined and f"÷ √{hs}" in joined
    assert f"{score:.3f}" in panel
    assert f"{trace.weights[head, query, key]:.3f}" in joined  # the weight, in the title
    row = [sum(a * b for a, b in zip(trace.q[query, head * hs:(head + 1) * hs].astype(float),
                                      trace.k[j, head * hs:(head + 1) * hs].astype(float))) / math.sqrt(hs)
           for j in range(query + 1)]
    top = max(row)
    total = sum(math.exp(s - top) for s in row)
    for j, s in enumerate(row):
        assert f"{math.exp(s - top) / total:.3f}" in panel
    assert panel.count("−∞") == len(trace.tokens) - query - 1  # the masked keys of this row


def test_clicking_the_average_lists_every_heads_weight():
    settings = settings_for()
    trace = run_trace(AttentionConfig(text=DEFAULTS["text"], input_mode="words", mask="causal"))
    panel = texts(explain_update(settings, {"head": None, "query": 3, "key": 2, "valid": True}))
    for h in range(4):
        assert f"{trace.weights[h, 3, 2]:.3f}" in panel
    assert f"{trace.mean_weights[3, 2]:.3f}" in panel


def test_explain_refuses_stale_or_forged_cells_with_a_message():
    settings = settings_for()
    with pytest.raises(PreventUpdate):
        explain_update(settings, {"head": 0, "query": 0, "key": 0, "valid": False})
    assert "click a cell again" in " ".join(texts(explain_update(
        settings, {"head": 0, "query": 99, "key": 0, "valid": True})))
    assert "out of range" in " ".join(texts(explain_update(
        settings, {"head": 9, "query": 0, "key": 0, "valid": True})))


def test_metrics_rows_and_sorting():
    trace = run_trace(AttentionConfig(text=DEFAULTS["text"], input_mode="words", mask="causal"))
    rows = metrics_rows(trace)
    assert [r["head"] for r in rows] == [1, 2, 3, 4]
    # diagonal share, recomputed by hand
    for r in rows:
        assert r["diagonal"] == pytest.approx(float(np.diagonal(trace.weights[r["head"] - 1]).mean()), abs=1e-6)
    ordered = sort_rows(rows, "entropy", descending=True)
    assert [r["entropy"] for r in ordered] == sorted((r["entropy"] for r in rows), reverse=True)


def test_mask_lab_uses_the_same_input_under_four_masks():
    config = AttentionConfig(text=DEFAULTS["text"], input_mode="words", mask="none")
    configs = mask_lab_configs(config)
    assert [c.mask for c in configs] == ["none", "padding", "causal", "padding+causal"]
    assert [c.n_pad for c in configs] == [0, 2, 0, 2]
    assert len({(c.text, c.seed, c.d_model) for c in configs}) == 1
    figure, notes, options = mask_lab_update(settings_for(mask="none"), "avg")
    assert len(figure["data"]) == 8 and len(notes) == 4 and len(options) == 5
    assert "zero weight" in notes[1].children and "above the diagonal" in notes[2].children


def test_metrics_update_renders_a_sortable_table():
    table, order = metrics_update(settings_for(), None, {"by": "head", "descending": False})
    assert order == {"by": "head", "descending": False}
    assert "Entropy" in " ".join(texts(table))
    _, order = metrics_update(settings_for(), "entropy", order)
    assert order == {"by": "entropy", "descending": True}
    table, order = metrics_update(settings_for(), "entropy", order)
    assert order == {"by": "entropy", "descending": False} and "Entropy ▲" in texts(table)


def test_mask_lab_and_every_callback_survive_a_single_token():
    figure, notes, _ = mask_lab_update(settings_for(text="hello"), "avg")
    assert len(figure["data"]) == 8 and "no room for PAD" in notes[1].children
    single = settings_for(mode="random", seq_len=1)
    assert mask_lab_update(single, "0")[0]["data"]
