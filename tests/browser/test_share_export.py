"""Share and export as a person uses them: copy a link, open it in a fresh browser, download
the trace and the figures, in headless Chromium with the network cut."""

import json
from urllib.parse import urlsplit

import numpy as np

from dashapp import ids
from dashapp.export import export_stem, figure_filename
from dashapp.settings import DEFAULTS, config_from_controls, settings_of
from dashapp.share import DEFAULT_LINK, link_from_query, query_args
from engine import run_trace

VIEW_JS = """() => {
  const gd = document.querySelector('#graph-main .js-plotly-plot');
  const value = id => document.getElementById(id).value;
  const text = selector => document.querySelector(selector).textContent;
  return {
    titles: (gd.layout.annotations || []).map(a => a.text.replace(/<[^>]+>/g, '')),
    traces: gd.data.length, step: text('#step-title'), shapes: text('#step-shapes'),
    mode: document.querySelector('#mode input:checked').value, text: value('text'),
    seq_len: value('seq-len'), d_model: value('d-model'), n_heads: value('n-heads'),
    seed: value('seed'), mask: value('mask'), n_pad: value('n-pad'),
    positional: document.getElementById('positional').checked,
    scale: document.getElementById('scale').checked,
  };
}"""
READY_JS = "() => document.querySelector('#step-status').textContent === ''"


def settings(**change):
    return settings_of(config_from_controls(**{**DEFAULTS, **change}))


def link_of(url):
    return link_from_query(query_args(url))


def view(page):
    page.page.wait_for_function(READY_JS, timeout=15_000)  # this step's figures have arrived
    return page.page.evaluate(VIEW_JS)


def blur_fill(page, selector, value):
    page.page.fill(selector, value)
    page.page.locator(selector).blur()


def test_a_link_opened_in_a_fresh_browser_shows_the_same_view(page, open_page):
    page.page.select_option("#n-heads", "2")
    page.page.select_option("#d-model", "32")
    page.page.select_option("#mask", "padding+causal")
    blur_fill(page, "#n-pad", "1")
    blur_fill(page, "#text", "the dog saw the cat, twice")
    page.page.click("label:has-text('Scale scores')")
    page.page.click("#prev")
    page.page.click("#prev")
    wanted = settings(n_heads=2, d_model=32, mask="padding+causal", n_pad=1, scale=False,
                      text="the dog saw the cat, twice")
    page.page.wait_for_function("(q) => window.location.search.includes(q)",
                                arg="step=3", timeout=10_000)
    page.page.wait_for_function("() => window.location.search.includes('scale=0')")
    url = page.page.url
    assert (link_of(url).settings, link_of(url).step, link_of(url).message) == (wanted, 3, None)
    before = view(page)
    assert before["step"].startswith("Step 3 of 6") and before["n_heads"] == "2"
    page.screenshot("20-share-before")

    fresh = open_page(url)
    after = view(fresh)
    assert after == before
    assert fresh.page.url == url  # the address bar still names the view
    entries = fresh.page.evaluate("history.length")
    fresh.page.click("#next")  # stepping rewrites the address but adds no history entries
    fresh.page.wait_for_function("() => window.location.search.includes('step=4')")
    assert fresh.page.evaluate("history.length") == entries
    assert fresh.errors == [] and fresh.blocked == []
    fresh.screenshot("21-share-reopened")


def test_copy_link_puts_the_address_on_the_clipboard(open_page):
    page = open_page("/", permissions=["clipboard-read", "clipboard-write"])
    page.page.select_option("#n-heads", "8")
    page.page.wait_for_function("() => window.location.search.includes('n_heads=8')")
    page.page.click("#copy-link")
    page.page.wait_for_function(
        "() => document.querySelector('#copy-status').textContent.includes('copied')")
    page.screenshot("22-link-copied")
    copied = page.page.evaluate("navigator.clipboard.readText()")
    assert copied == page.page.url
    assert link_of(copied).settings == settings(n_heads=8)
    page.page.wait_for_function(  # the confirmation goes away by itself
        "() => document.querySelector('#copy-status').textContent === ''", timeout=10_000)


def test_a_hand_edited_nonsense_link_gets_the_defaults_and_a_message(open_page):
    page = open_page("/?d_model=abc&n_heads=99&step=42&scale=maybe&text=" + "w" * 1500)
    page.page.wait_for_selector("#control-error", state="visible")
    message = page.page.inner_text("#control-error")
    assert "changed by hand" in message and "scale must be 1 or 0" in message
    assert "step must be 1 to 6" in message
    shown = view(page)
    assert [t.split(" ·")[0] for t in shown["titles"]] == [
        "head 1", "head 2", "head 3", "head 4", "average of all heads"]
    assert shown["step"].startswith("Step 5 of 6") and shown["text"] == DEFAULTS["text"]
    link = link_of(page.page.url)  # the address now names what is shown
    assert (link.settings, link.step, link.message) == (DEFAULT_LINK.settings, 5, None)
    assert page.errors == []
    page.screenshot("23-nonsense-link")
    page.page.select_option("#n-heads", "2")  # the next good change clears the message
    page.page.wait_for_selector("#control-error", state="hidden", timeout=10_000)


def download(page, selector, folder):
    page.page.locator(selector).scroll_into_view_if_needed()
    with page.page.expect_download(timeout=30_000) as info:
        page.page.click(selector)
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def figure_button(graph, fmt):
    key = json.dumps({"format": fmt, "graph": graph, "type": ids.EXPORT_IMAGE},
                     separators=(",", ":"))
    return f"[id='{key}']"


def test_the_trace_downloads_as_npz_and_json_equal_to_the_engine(page, tmp_path):
    page.page.select_option("#n-heads", "2")
    page.page.select_option("#mask", "padding+causal")
    blur_fill(page, "#n-pad", "2")
    page.page.wait_for_function("() => window.location.search.includes('n_pad=2')")
    wanted = settings(n_heads=2, mask="padding+causal", n_pad=2)
    trace = run_trace(config_from_controls(**wanted))

    path = download(page, "#export-npz", tmp_path)
    assert path.name == export_stem(wanted) + ".npz"
    with np.load(path) as saved:
        assert set(saved.files) == set(trace.arrays()) | {"tokens", "settings"}
        for name, array in trace.arrays().items():
            assert saved[name].dtype == array.dtype and np.array_equal(saved[name], array), name
        assert saved["tokens"].tolist() == trace.tokens
        assert json.loads(saved["settings"][()]) == wanted
    page.page.wait_for_function(
        "() => document.querySelector('#export-status').textContent.startsWith('Downloaded')")
    page.screenshot("24-trace-downloaded")

    path = download(page, "#export-json", tmp_path)
    assert path.name == export_stem(wanted) + ".json"
    document = json.loads(path.read_text(), parse_constant=lambda name: 1 / 0)  # no bare NaN
    assert document["settings"] == wanted and document["tokens"] == trace.tokens
    for entry in document["arrays"]:
        assert np.array_equal(np.asarray(entry["data"], dtype=entry["dtype"]),
                              trace.arrays()[entry["name"]]), entry["name"]


def test_every_step_figure_and_the_inspector_download_as_png_and_svg(page, tmp_path):
    default = settings()
    svg = download(page, figure_button(ids.GRAPH_MAIN, "svg"), tmp_path)
    assert svg.name == figure_filename(default, "step5-attention", "svg")
    assert svg.read_text().startswith("<svg") and "head 1" in svg.read_text()
    png = download(page, figure_button(ids.GRAPH_MAIN, "png"), tmp_path)
    assert png.name == figure_filename(default, "step5-attention", "png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    extra = download(page, figure_button(ids.GRAPH_EXTRA, "svg"), tmp_path)  # head outputs
    assert extra.name == figure_filename(default, "step5-attention-2", "svg")
    assert "output" in extra.read_text()
    inspected = download(page, figure_button(ids.INSPECT_GRAPH, "svg"), tmp_path)
    assert inspected.name == figure_filename(default, "weights-head1", "svg")
    page.page.click("#prev")  # step 4 has one figure: the second one's buttons go with it
    page.page.wait_for_function("() => document.querySelector('#step-title').textContent.startsWith('Step 4')")
    assert not page.page.locator(figure_button(ids.GRAPH_EXTRA, "svg")).is_visible()
    mask = download(page, figure_button(ids.GRAPH_MAIN, "svg"), tmp_path)
    assert mask.name == figure_filename(default, "step4-mask", "svg")
    page.page.locator(figure_button(ids.GRAPH_MAIN, "svg")).scroll_into_view_if_needed()
    page.screenshot("25-figure-buttons")
    assert page.errors == [] and page.blocked == []
