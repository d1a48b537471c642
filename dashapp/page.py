"""The layout Dash serves for one page load, built from the link the page was opened with.

Dash's browser side fetches the layout with a separate request to ``/_dash-layout`` that
carries no query string, but the browser sends the page's own address in its ``Referer``
header, so that is where the link is read (``request.args`` when there is a query of our own).
:func:`register_page_headers` makes this dependable: pages ask for ``Referrer-Policy:
same-origin`` (the full address to ourselves, nothing to other sites), and the layout answer is
``no-store`` with ``Vary: Referer``, so no cache hands one link's page to another. This module
reads requests and memoises finished pages; it must not validate settings (``share`` does,
through ``settings``) or hold anything that differs between users.
"""

from __future__ import annotations

from functools import lru_cache

from flask import has_request_context, request

from dashapp.layout import build_layout
from dashapp.settings import CONTROL_NAMES
from dashapp.share import DEFAULT_LINK, Link, link_from_query, query_args

LAYOUT_PATH = "/_dash-layout"


def serve_page():
    """``app.layout``: Dash calls it per layout request (and once at start-up, outside one)."""
    return _page(link_from_request().key())


def link_from_request() -> Link:
    if not has_request_context():
        return DEFAULT_LINK
    if request.args or not request.path.endswith(LAYOUT_PATH):
        return link_from_query(request.args)
    return link_from_query(query_args(request.headers.get("Referer", "")))


@lru_cache(maxsize=32)
def _page(key: tuple):
    """The finished page for one link (the same link, the same page: memoised, read-only)."""
    values, step, message = key
    return build_layout(dict(zip(CONTROL_NAMES, values)), step, message)


def register_page_headers(server) -> None:
    @server.after_request
    def link_headers(response):
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.endswith(LAYOUT_PATH):
            response.headers["Cache-Control"] = "no-store"
            response.headers.add("Vary", "Referer")
        return response
