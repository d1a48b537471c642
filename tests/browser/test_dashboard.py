"""The dashboard as a person uses it, in headless Chromium with the network cut."""

import re

import pytest

from engine import AttentionConfig, run_trace

CELL_JS = """([n, i, j]) => {
  const gd = document.querySelector('#graph-main .js-plotly-plot');
  const s = n === 0 ? '' : String(n + 1);
  const xa = gd._fullLayout['xaxis' + s], ya = gd._fullLayout['yaxis' + s];
  const r = gd.getBoundingClientRect();
  return [r.left + xa._offset + xa.c2p(j), r.top + ya._offset + ya.c2p(i)];
}"""
TITLES_JS = """() => (document.querySelector('#graph-main .js-plotly-plot').layout.annotations || [])
                 .map(a => a.text.replace(/<[^>]+>/g, '').split(' · entropy')[0])"""


def hover_text(page, panel, query, key):
    x, y = page.page.evaluate(CELL_JS, [panel, query, key])
    page.page.mouse.move(x, y)
    page.page.wait_for_function(
        "() => document.querySelector('#graph-main .hoverlayer').textContent.length > 0")
    return page.page.evaluate("document.querySelector('#graph-main .hoverlayer').textContent")


def step_title(page):
    return page.page.inner_text("#step-title")


def wait_for_step(page, number: int) -> None:
    """Clicks run clientside callbacks asynchronously: wait for the title, don't race it."""
    page.page.wait_for_function(
        "(n) => document.querySelector('#step-title').textContent.startsWith('Step ' + n + ' of 6')",
        arg=number, timeout=5_000)


def test_page_loads_offline_with_heatmaps_math_and_no_outside_request(page):
    assert page.blocked == []
    assert page.errors == []
    titles = page.page.evaluate(TITLES_JS)
    assert titles == ["head 1", "head 2", "head 3", "head 4", "average of all heads"]
    assert step_title(page) == "Step 5 of 6 · Scaled dot-product attention"
    page.page.wait_for_selector("#step-math mjx-container", timeout=15_000)  # MathJax, offline
    assert "every row sums to 1" in page.page.inner_text("#step-shapes")
    page.screenshot("01-attention-step")


def test_hover_names_tokens_head_weight_and_score_and_says_masked(page):
    trace = run_trace(AttentionConfig(text="the cat sat on the mat", mask="causal"))
    text = hover_text(page, 1, 4, 1)  # head 2, query 'the #4', key 'cat #1'
    assert "head 2" in text and "query the #4" in text and "key cat #1" in text
    assert f"weight {trace.weights[1, 4, 1]:.3f}" in text
    assert f"raw score {trace.scores[1, 4, 1]:.3f}" in text
    masked = hover_text(page, 0, 1, 3)  # causal: query 1 may not see key 3
    assert "masked" in masked and "query cat #1" in masked and "key on #3" in masked
    page.screenshot("02-hover")


def test_changing_heads_and_mask_redraws_the_heatmaps(page):
    page.page.select_option("#n-heads", "2")
    page.page.wait_for_function(f"() => ({TITLES_JS})().length === 3")
    assert page.page.evaluate(TITLES_JS) == ["head 1", "head 2", "average of all heads"]
    # d_model stayed a value the heads divide; the shapes line follows
    assert "2 heads" in page.page.inner_text("#step-shapes")
    page.page.select_option("#mask", "none")
    page.page.wait_for_function(
        "() => document.querySelector('#graph-main .js-plotly-plot').data.length === 3")
    text = hover_text(page, 0, 1, 3)  # no mask: query 1 now sees key 3
    assert "weight" in text and "masked" not in text
    assert page.page.evaluate("document.querySelector('#graph-main .js-plotly-plot').data.length") == 3
    page.screenshot("03-two-heads-no-mask")


def test_play_walks_through_the_steps_with_no_server_request(page):
    page.page.select_option("#speed", "600")
    page.page.click("#prev")
    page.page.click("#prev")
    page.page.click("#prev")
    page.page.click("#prev")
    wait_for_step(page, 1)
    page.page.wait_for_timeout(300)
    before = len(page.callbacks)
    page.page.evaluate("""() => {
      window.__titles = [];
      const el = document.querySelector('#step-title');
      new MutationObserver(() => window.__titles.push(el.textContent))
        .observe(el, {childList: true, subtree: true, characterData: true});
    }""")
    page.page.click("#play")
    page.page.wait_for_function("() => window.__titles.length >= 6", timeout=15_000)
    page.screenshot("04-playing")
    page.page.click("#play")  # pause
    seen = page.page.evaluate("window.__titles")
    numbers = [int(re.match(r"Step (\d)", t).group(1)) for t in seen]
    assert numbers[:6] == [2, 3, 4, 5, 6, 1]  # loops back to the start
    assert len(page.callbacks) == before, "stepping must not call the server"
    page.page.wait_for_function("() => document.querySelector('#play').textContent.endsWith('Play')")


def test_every_step_has_its_pictures_and_words(page):
    expected = {1: "X = E + P", 2: "Q", 3: "Q · head 1", 4: "mask (who may look at whom)",
                5: "head 1", 6: "concat of heads"}
    for _ in range(4):
        page.page.click("#prev")
    for number in range(1, 7):
        wait_for_step(page, number)
        page.page.wait_for_function(
            f"(want) => ({TITLES_JS})().includes(want)", arg=expected[number], timeout=5_000)
        assert len(page.page.inner_text("#step-plain")) > 100
        page.screenshot(f"05-step-{number}")
        page.page.click("#next")


def test_keyboard_on_the_slider_moves_the_step(page):
    handle = page.page.locator("#step [role=slider]").first
    handle.focus()
    page.page.keyboard.press("ArrowLeft")
    page.page.wait_for_function("() => document.querySelector('#step-title').textContent.startsWith('Step 4')")


@pytest.mark.parametrize("text, fragment", [("", "empty"), ("1, 2, nan", "not a finite number")])
def test_bad_input_shows_a_message_and_keeps_the_last_picture(page, text, fragment):
    if fragment == "not a finite number":
        page.page.click("label:has-text('Numbers')")
    page.page.fill("#text", text)
    page.page.locator("#text").blur()
    page.page.wait_for_selector("#control-error", state="visible", timeout=10_000)
    assert fragment in page.page.inner_text("#control-error")
    assert page.page.evaluate(TITLES_JS)[0] == "head 1"  # the last good picture stays
    page.screenshot(f"06-bad-input-{fragment.split()[0]}")
    page.page.fill("#text", "3 1 4 1 5")
    page.page.locator("#text").blur()
    page.page.wait_for_selector("#control-error", state="hidden", timeout=10_000)


def test_random_mode_and_inspector_download(page, tmp_path):
    page.page.click("label:has-text('Random vectors')")
    page.page.fill("#seq-len", "10")
    page.page.locator("#seq-len").blur()
    page.page.wait_for_function(
        "() => document.querySelector('#step-shapes').textContent.includes('10 × 10')")
    page.page.wait_for_function("() => document.querySelector('#inspect-note').textContent.includes('10 × 10')")
    with page.page.expect_download() as info:
        page.page.click("#inspect-csv")
    path = tmp_path / "weights.csv"
    info.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("token,t0 #0,t1 #1") and len(lines) == 11
    page.screenshot("07-random-inspector")
