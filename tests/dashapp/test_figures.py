"""Figure builders, called directly: the data in the figure is the trace's data."""

import base64

import numpy as np
import pytest

from dashapp import figures
from engine import AttentionConfig, run_trace


def decode(spec):
    """Independent decoder of a Plotly typed-array spec."""
    dtype = {"f4": np.float32, "f8": np.float64, "u1": np.uint8, "i2": np.int16}[spec["dtype"]]
    array = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    if "shape" in spec:
        array = array.reshape([int(n) for n in spec["shape"].split(",")])
    return array


@pytest.fixture(scope="module")
def causal():
    return run_trace(AttentionConfig(text="the cat saw the dog", mask="causal", d_model=32, n_heads=4))


def test_typed_array_round_trip_keeps_float32_exactly():
    values = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    spec = figures.typed_array(values)
    assert spec["dtype"] == "f4" and spec["shape"] == "3,5"
    np.testing.assert_array_equal(decode(spec), values)


def test_attention_figure_carries_every_head_and_the_average(causal):
    fig = figures.attention_figure(causal.weights, causal.mean_weights, causal.scores,
                                   causal.mask, causal.tokens)
    heads = [t for t in fig["data"] if t.get("coloraxis") == "coloraxis"]
    assert len(heads) == 5  # 4 heads + average
    for h in range(4):
        z = decode(heads[h]["z"])
        np.testing.assert_array_equal(z[causal.mask], causal.weights[h][causal.mask])
        assert np.isnan(z[~causal.mask]).all()  # masked cells are gaps over the grey underlay
        np.testing.assert_array_equal(decode(heads[h]["customdata"]), causal.scores[h])
        assert f"head {h + 1}" in heads[h]["hovertemplate"]
        assert "weight %{z:.3f}" in heads[h]["hovertemplate"]
        assert "raw score %{customdata:.3f}" in heads[h]["hovertemplate"]
    np.testing.assert_allclose(decode(heads[4]["z"])[causal.mask], causal.mean_weights[causal.mask])
    layout = fig["layout"]
    assert layout["coloraxis"]["cmin"] == 0 and layout["coloraxis"]["cmax"] == 1
    assert layout["coloraxis"]["colorscale"] == "Viridis"
    assert "template" not in layout


def test_masked_cells_have_a_grey_underlay_whose_hover_says_masked(causal):
    fig = figures.attention_figure(causal.weights, causal.mean_weights, causal.scores,
                                   causal.mask, causal.tokens)
    underlays = [t for t in fig["data"] if "coloraxis" not in t]
    assert len(underlays) == 5
    for trace in underlays:
        np.testing.assert_array_equal(decode(trace["z"]), ~causal.mask)
        assert "masked" in trace["hovertemplate"]
    # stacking order: each underlay comes right before the heatmap it sits under
    kinds = ["under" if "coloraxis" not in t else "heat" for t in fig["data"]]
    assert kinds == ["under", "heat"] * 5


def test_no_underlay_without_a_mask():
    trace = run_trace(AttentionConfig(text="a b c", mask="none"))
    fig = figures.attention_figure(trace.weights, trace.mean_weights, trace.scores,
                                   trace.mask, trace.tokens)
    assert all(t.get("coloraxis") == "coloraxis" for t in fig["data"])


def test_repeated_tokens_stay_separate_on_the_axes(causal):
    labels = figures.token_labels(causal.tokens)
    assert labels[0] != labels[3] and labels[0].startswith("the") and labels[3].startswith("the")
    assert len(set(labels)) == len(labels)
    fig = figures.attention_figure(causal.weights, causal.mean_weights, causal.scores,
                                   causal.mask, causal.tokens)
    assert fig["data"][1]["x"] == labels and fig["data"][1]["y"] == labels


def test_tokens_with_markup_are_escaped():
    assert figures.token_labels(["<b>", "a&b"]) == ["&lt;b&gt; #0", "a&amp;b #1"]


def test_matrix_figure_is_diverging_and_centred_on_zero(causal):
    fig = figures.matrix_figure([("Q", causal.q), ("K", causal.k)], causal.tokens)
    axis = fig["layout"]["coloraxis"]
    assert axis["cmid"] == 0 and axis["cmin"] == -axis["cmax"]
    assert axis["cmax"] == pytest.approx(float(max(np.abs(causal.q).max(), np.abs(causal.k).max())))
    np.testing.assert_array_equal(decode(fig["data"][1]["z"]), causal.k)
    assert fig["layout"]["xaxis2"]["domain"][0] > fig["layout"]["xaxis"]["domain"][1]


def test_heads_figure_puts_each_head_at_its_own_columns(causal):
    fig = figures.heads_figure([("Q", causal.q_heads)], causal.tokens)
    assert len(fig["data"]) == 4
    for h, trace in enumerate(fig["data"]):
        np.testing.assert_array_equal(decode(trace["z"]), causal.q[:, h * 8:(h + 1) * 8])
        np.testing.assert_array_equal(decode(trace["x"]), np.arange(h * 8, (h + 1) * 8))


def test_scores_figure_shows_mask_then_gapped_scores(causal):
    fig = figures.scores_figure(causal.scores, causal.mask, causal.tokens, scaled=True)
    np.testing.assert_array_equal(decode(fig["data"][0]["z"]), causal.mask.astype(np.uint8))
    heats = [t for t in fig["data"] if t.get("coloraxis") == "coloraxis"]
    assert len(heats) == 4
    z = decode(heats[2]["z"])
    np.testing.assert_array_equal(z[causal.mask], causal.scores[2][causal.mask])
    assert np.isnan(z[~causal.mask]).all()


def test_grid_layout_keeps_panels_apart_and_inside_the_figure():
    axes, notes, height = figures.grid_layout(["a", "b", "c", "d", "e"], 2, row_px=200,
                                              square=True)
    assert len(notes) == 5 and height > 3 * 200
    domains = [axes["yaxis" + ("" if n == 0 else str(n + 1))]["domain"] for n in range(5)]
    for y0, y1 in domains:
        assert 0 <= y0 < y1 <= 1
    assert domains[2][1] < domains[0][0]  # the second row sits wholly below the first


def test_long_inputs_keep_weights_and_drop_the_heavy_hover_extras():
    trace = run_trace(AttentionConfig(input_mode="random", seq_len=figures.RICH_HOVER_TOKENS + 1,
                                      mask="causal", d_model=16, n_heads=2))
    fig = figures.attention_figure(trace.weights, trace.mean_weights, trace.scores,
                                   trace.mask, trace.tokens)
    assert len(fig["data"]) == 3 and all("customdata" not in t for t in fig["data"])
    z = decode(fig["data"][1]["z"])
    np.testing.assert_array_equal(z[trace.mask], trace.weights[1][trace.mask])
    assert fig["layout"]["plot_bgcolor"] == figures.MASKED_GREY
    assert "click for the score" in fig["data"][0]["hovertemplate"]
