"""The pretrained-model tab in the browser: the model view, opening a map, and its hover."""

import pytest

pytest.importorskip("tokenizers", reason="pretrained models need requirements-models.txt")


def test_model_view_opens_a_map_with_hover(page):
    from dashapp.pretrained import PretrainedUnavailable, run_pretrained

    try:
        trace = run_pretrained("minilm", "The cat sat on the mat because it was warm.")
    except PretrainedUnavailable as error:
        pytest.skip(str(error))
    page.page.click("text=Pretrained models")
    page.page.wait_for_selector("#pt-grid .heatmaplayer", timeout=60_000)
    assert "6 layers × 12 heads" in page.page.inner_text("#pt-summary")
    # click the tile of layer 2, head 3: rows and columns of the image are step = T + 1 wide
    xy = page.page.evaluate("""([row, col]) => {
      const gd = document.querySelector('#pt-grid .js-plotly-plot');
      const step = gd.layout.meta.step, xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      const r = gd.getBoundingClientRect();
      return [r.left + xa._offset + xa.c2p(col * step + 2), r.top + ya._offset + ya.c2p(row * step + 2)];
    }""", [1, 2])
    page.page.mouse.click(*xy)
    page.page.wait_for_function("""() => {
      const gd = document.querySelector('#pt-focus .js-plotly-plot');
      return gd && gd.layout.annotations && gd.layout.annotations[0].text.includes('layer 2 · head 3');
    }""", timeout=20_000)
    x, y = page.page.evaluate("""() => {
      const gd = document.querySelector('#pt-focus .js-plotly-plot');
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
      return [r.left + xa._offset + xa.c2p(0), r.top + ya._offset + ya.c2p(2)];
    }""")
    page.page.mouse.move(x, y)
    page.page.wait_for_function(
        "() => document.querySelector('#pt-focus .hoverlayer').textContent.length > 0")
    text = page.page.evaluate("document.querySelector('#pt-focus .hoverlayer').textContent")
    assert "query cat #2" in text and "key [CLS] #0" in text
    assert f"weight {trace.attentions[1, 2, 2, 0]:.3f}" in text
    page.page.mouse.click(x, y)  # and explain that weight
    page.page.wait_for_selector("#pt-explain-panel table", timeout=20_000)
    title = page.page.inner_text("#pt-explain-panel h3")
    assert f"layer 2 · head 3 gives {trace.attentions[1, 2, 2, 0]:.3f}" in title
    page.page.wait_for_selector("#pt-metric-graph .heatmaplayer", timeout=20_000)
    page.page.wait_for_selector("#pt-rollout-graph .heatmaplayer", timeout=20_000)
    assert page.blocked == [] and page.errors == []
    page.screenshot("08-pretrained")
