"""Benchmark: the layout function Dash calls for every page load (``dashapp/page.py``).

Times ``serve_page`` inside a Flask request context for ``/_dash-layout`` with a link in the
``Referer``: the default page (memoised after its first build), a link's page the first time
(run_trace, the views, the component tree) and again (memoised), and, for comparison, the
whole ``/_dash-layout`` answer through the test client (serialising and compressing the page,
which Dash does per request whatever the layout is). Prints figures; asserts nothing.
Run: ``python bench/page.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashapp.app import server  # noqa: E402
from dashapp.page import _page, serve_page  # noqa: E402

LINKS = {
    "default page": "",
    "words, 2 heads, step 3": "mode=words&text=a+dog+saw+a+cat&d_model=32&n_heads=2&step=3",
    "random 64 tokens, d_model 256": "mode=random&seq_len=64&d_model=256&n_heads=8&step=2",
    "nonsense": "d_model=abc&n_heads=99&step=42",
}


def layout_ms(query: str) -> float:
    headers = {"Referer": f"http://127.0.0.1:8050/?{query}"} if query else {}
    with server.test_request_context("/_dash-layout", headers=headers):
        start = time.perf_counter()
        serve_page()
        return 1000 * (time.perf_counter() - start)


def main() -> None:
    client = server.test_client()
    print(f"{'link':32} {'first':>9} {'again p50':>10} {'/_dash-layout p50':>18}")
    for name, query in LINKS.items():
        _page.cache_clear()
        first = layout_ms(query)
        again = statistics.median(layout_ms(query) for _ in range(50))
        headers = {"Referer": f"http://127.0.0.1:8050/?{query}", "Accept-Encoding": "br"}
        whole = []
        for _ in range(10):
            start = time.perf_counter()
            client.get("/_dash-layout", headers=headers)
            whole.append(1000 * (time.perf_counter() - start))
        print(f"{name:32} {first:7.1f}ms {again:8.3f}ms {statistics.median(whole):16.1f}ms")


if __name__ == "__main__":
    main()
