"""The toolkit in the browser: click a cell to explain it, sort the metrics, read the mask lab."""

from engine import AttentionConfig, run_trace
from tests.browser.test_dashboard import CELL_JS


def test_click_a_cell_and_read_the_explanation(page):
    trace = run_trace(AttentionConfig(text="the cat sat on the mat", mask="causal"))
    x, y = page.page.evaluate(CELL_JS, [2, 3, 1])  # head 3, query 'on #3', key 'cat #1'
    page.page.mouse.click(x, y)
    page.page.wait_for_selector("#explain-panel table", timeout=15_000)
    title = page.page.inner_text("#explain-panel h3")
    assert f"head 3 gives {trace.weights[2, 3, 1]:.3f}" in title
    assert "“on” #3" in title and "“cat” #1" in title
    highlighted = page.page.locator("#explain-panel td.table-warning").all_inner_texts()
    assert f"{trace.weights[2, 3, 1]:.3f}" in highlighted
    page.screenshot("09-explain-weight")


def test_sort_the_metrics_table(page):
    page.page.wait_for_selector("#metrics-table tbody tr")
    page.page.click("#metrics-table button:has-text('Max weight')")
    page.page.wait_for_selector("#metrics-table button:has-text('Max weight ▼')")
    values = [float(v) for v in page.page.locator("#metrics-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert values == sorted(values, reverse=True) and len(values) == 4
    page.page.click("#metrics-table button:has-text('Max weight')")
    page.page.wait_for_selector("#metrics-table button:has-text('Max weight ▲')")
    values = [float(v) for v in page.page.locator("#metrics-table tbody tr td:nth-child(3)").all_inner_texts()]
    assert values == sorted(values)


def test_mask_lab_shows_four_masks_and_what_changed(page):
    page.page.wait_for_selector("#masklab-graph .heatmaplayer", timeout=15_000)
    page.page.select_option("#masklab-head", "1")
    page.page.wait_for_function("() => document.querySelector('#masklab-notes').textContent.startsWith('head 2')")
    notes = page.page.locator("#masklab-notes li").all_inner_texts()
    assert len(notes) == 4 and "PAD" in notes[1] and "above the diagonal" in notes[2]
    page.page.locator("#masklab-graph").scroll_into_view_if_needed()
    page.screenshot("10-mask-lab")
