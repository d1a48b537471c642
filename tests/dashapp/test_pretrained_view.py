"""The pretrained-model view: thumbnails, the grid, the focus map and input validation."""

import base64

import numpy as np
import pytest
from dash.exceptions import PreventUpdate

from dashapp import figures, ids
from dashapp.callbacks import pretrained_focus, pretrained_update
from dashapp.pretrained import PretrainedUnavailable, focus_view, grid_view, run_pretrained


def decode(spec):
    dtype = {"f4": np.float32, "u1": np.uint8}[spec["dtype"]]
    array = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    return array.reshape([int(n) for n in spec["shape"].split(",")]) if "shape" in spec else array


def test_pool_maps_averages_blocks_and_keeps_small_maps():
    maps = np.arange(16, dtype=np.float64).reshape(1, 4, 4)
    np.testing.assert_array_equal(figures.pool_maps(maps, 4), maps)
    pooled = figures.pool_maps(maps, 2)
    np.testing.assert_allclose(pooled[0], [[(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4],
                                           [(8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]])
    rows = np.random.default_rng(0).dirichlet(np.ones(50), size=50)[None]
    np.testing.assert_allclose(figures.pool_maps(rows, 10).sum(-1) * 5, 1.0)  # still a mean of rows


def test_tiles_figure_places_each_map_in_its_cell_with_white_lines_between():
    maps = np.stack([np.full((3, 3), v) for v in (0.0, 0.5, 1.0, 0.25, 0.75)])
    fig = figures.tiles_figure(maps, 3, ["r1", "r2"], ["a", "b", "c"])
    image = decode(fig["data"][0]["z"])
    assert image.shape == (2 * 4 - 1, 3 * 4 - 1)
    assert image[0, 0] == 0 and image[0, 4] == 127 and image[0, 8] == 254 and image[4, 4] == 190
    assert (image[3, :] == figures.TILE_SEPARATOR).all() and (image[:, 3] == figures.TILE_SEPARATOR).all()
    assert (image[4:, 8:] == figures.TILE_SEPARATOR).all()  # the empty sixth cell
    assert fig["layout"]["meta"] == {"step": 4, "cols": 3, "count": 5}
    assert fig["layout"]["xaxis"]["ticktext"] == ["a", "b", "c"]


def test_bad_pretrained_input_gets_a_message():
    for model, text, fragment in [("gpt5", "hi", "unknown model"), ("minilm", "  ", "empty"),
                                  ("minilm", "x" * 10_000, "characters"), (None, "hi", "unknown model")]:
        with pytest.raises(PretrainedUnavailable, match=fragment):
            run_pretrained(model, text)


def test_update_waits_until_the_tab_is_opened():
    with pytest.raises(PreventUpdate):
        pretrained_update(ids.TAB_WALKTHROUGH, "minilm", "hello")
    grid, summary, settings, message, shown = pretrained_update(ids.TAB_PRETRAINED, "nope", "hi")
    assert shown is True and "unknown model" in message


@pytest.fixture(scope="module")
def minilm_trace():
    pytest.importorskip("tokenizers")
    try:
        return run_pretrained("minilm", "The cat sat on the mat.")
    except PretrainedUnavailable as error:
        pytest.skip(str(error))


def test_grid_shows_every_head_and_the_layer_average(minilm_trace):
    trace = minilm_trace
    view = grid_view(trace)
    image = decode(view["grid"]["data"][0]["z"])
    step, n_tokens = trace.n_tokens + 1, trace.n_tokens
    for layer, head in [(0, 0), (2, 5), (5, 11)]:
        tile = image[layer * step:layer * step + n_tokens, head * step:head * step + n_tokens]
        np.testing.assert_array_equal(tile, np.rint(trace.attentions[layer, head] * 254))
    average = image[3 * step:3 * step + n_tokens, 12 * step:12 * step + n_tokens]
    np.testing.assert_array_equal(average, np.rint(trace.attentions[3].mean(0) * 254))
    assert "6 layers × 12 heads" in view["summary"]


def test_focus_opens_one_map_exactly(minilm_trace):
    fig = focus_view(minilm_trace, 2, 7)
    np.testing.assert_array_equal(decode(fig["data"][0]["z"]), minilm_trace.attentions[2, 7])
    assert "weight %{z:.3f}" in fig["data"][0]["hovertemplate"]
    fig = pretrained_focus({"model": "minilm", "text": "The cat sat on the mat."},
                           {"layer": 4, "head": None})
    np.testing.assert_allclose(decode(fig["data"][0]["z"]), minilm_trace.attentions[4].mean(0), atol=1e-7)
    assert "average" in fig["layout"]["annotations"][0]["text"]


def test_pretrained_explanation_reproduces_the_models_weight(minilm_trace):
    from dashapp.pretrained import pretrained_explanation
    from engine.explain import explain_weight

    trace = minilm_trace
    for layer, head, query, key in [(0, 2, 3, 2), (5, 11, 1, 0)]:
        keys = trace.keys[layer]
        exp = explain_weight(trace.queries[layer], keys, np.zeros_like(keys), None, head, query, key)
        assert exp.weight == pytest.approx(float(trace.attentions[layer, head, query, key]), abs=1e-5)
        panel = pretrained_explanation(trace, {"layer": layer, "head": head}, query, key)
        assert f"{trace.attentions[layer, head, query, key]:.3f}" in panel[0].children


def test_forged_pretrained_values_get_no_crash(minilm_trace):
    from dashapp.callbacks import pretrained_explain, pretrained_metric

    settings = {"model": "minilm", "text": "The cat sat on the mat."}
    with pytest.raises(PreventUpdate):
        pretrained_metric(settings, ["entropy"])
    panel = pretrained_explain(settings, {"layer": [1], "head": 0}, {"query": 1, "key": 0})
    assert "whole number" in panel.children
    assert pretrained_focus(settings, {"layer": {"a": 1}, "head": 0}) is not None
