"""Browser fixtures: the app under gunicorn (as the Procfile runs it) and headless Chromium.

Chromium is Debian's (/usr/bin/chromium) driven by Playwright; every request that does not
go to the loopback server is blocked and recorded, so a test sees the page exactly as a
classroom with the network cut would. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    port = _free_port()
    # the interpreter running the tests (.venv's), and gunicorn.conf.py from the project root,
    # with two workers so that requests of one page land on different processes
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dashapp.app:server", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT), "WEB_CONCURRENCY": "2", "ATLAS_ACCESS_LOG": "0"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the app did not start under gunicorn")
            time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


class Page:
    """A Playwright page with the outside world blocked and callback requests counted."""

    def __init__(self, page):
        self.page = page
        self.blocked: list[str] = []
        self.callbacks: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("request", self._count)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _count(self, request):
        if "_dash-update-component" in request.url:
            self.callbacks.append(request.post_data or "")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    wrapped = Page(context.new_page())
    wrapped.page.goto(server_url + "/")
    wrapped.page.wait_for_selector("#graph-main .heatmaplayer", timeout=30_000)
    yield wrapped
    context.close()


@pytest.fixture
def open_page(browser, server_url):
    """Open a path (or a full URL) in a fresh context, as a person opening a link would:
    ``open_page("/?n_heads=2", permissions=["clipboard-read"])``. Closed after the test."""
    contexts = []

    def open_(path: str = "/", **context_options) -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context_options)
        contexts.append(context)
        wrapped = Page(context.new_page())
        wrapped.page.goto(path if path.startswith("http") else server_url + path)
        wrapped.page.wait_for_selector("#graph-main .heatmaplayer", timeout=30_000)
        return wrapped

    yield open_
    for context in contexts:
        context.close()
