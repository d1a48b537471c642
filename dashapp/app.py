"""The app factory and the module-level ``app``/``server`` that gunicorn serves.

``create_app`` wires layout, callbacks, the local Bootstrap stylesheet, compression, a
health endpoint and the guards that turn malformed callback requests into 4xx answers.
Nothing here holds per-user state: any worker may serve any request.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from dash import Dash
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from dashapp.callbacks import register_callbacks
from dashapp.page import register_page_headers, serve_page
from dashapp.theme import BOOTSTRAP_URL, PLOTLY_CARTESIAN_URL, plotly_cartesian, register_bootstrap

ROOT = Path(__file__).resolve().parents[1]
MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a megabyte of text still reaches validation; more is 413
log = logging.getLogger(__name__)


class AtlasDash(Dash):
    """Dash, but with plotly.js's cartesian bundle when it is installed (see dashapp.theme).

    Dash adds the plotly package's full bundle in ``_setup_plotlyjs`` (dash 4.4.1, pinned);
    when the smaller bundle is there, the page loads it as an ordinary script instead.
    """

    def _setup_plotlyjs(self):
        if plotly_cartesian() is None:
            super()._setup_plotlyjs()
        else:
            self._plotlyjs_url = PLOTLY_CARTESIAN_URL


def create_app() -> Dash:
    app = AtlasDash(
        __name__,
        assets_folder=str(ROOT / "assets"),
        external_stylesheets=[BOOTSTRAP_URL],
        external_scripts=[PLOTLY_CARTESIAN_URL] if plotly_cartesian() else [],
        title="Attention Atlas",
        update_title=None,
        serve_locally=True,
        compress=True,
    )
    server = app.server
    server.config.update(
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        # zstd and brotli at their fastest levels: base64 float32 compresses about as well
        # at level 1 as at 3 (1.29 vs 1.26 MB of 3 MB) in 17 ms instead of 43
        COMPRESS_ALGORITHM=["zstd", "br", "gzip"], COMPRESS_ZSTD_LEVEL=1, COMPRESS_BR_LEVEL=1,
        COMPRESS_LEVEL=5, COMPRESS_MIN_SIZE=1024,
    )
    register_bootstrap(server)
    app.layout = serve_page  # a function: each page load builds the page its link names
    register_callbacks(app)
    _register_health_and_guards(server)
    register_page_headers(server)
    # Dash 4 under threaded gunicorn can answer a new worker's first concurrent requests
    # with 500 (plotly/dash#3971); one request through the test client settles it.
    server.test_client().get("/")
    return app


def _register_health_and_guards(server) -> None:
    @server.route("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.errorhandler(Exception)
    def bad_callback_request(error):
        if isinstance(error, HTTPException):
            return error
        if request.path.endswith("/_dash-update-component") and not _raised_by_us(error):
            # A hand-made request Dash cannot even dispatch (missing or mistyped fields):
            # the client's fault, so a 400 with a reason, never a 500 page. An exception
            # from our own callbacks is a bug of ours and stays a logged 500.
            log.warning("rejected callback request: %r", error)
            return jsonify(error="malformed callback request", detail=type(error).__name__), 400
        raise error


def _raised_by_us(error: BaseException) -> bool:
    """True when the traceback passes through this project's code (dashapp/ or engine/)."""
    frames = traceback.extract_tb(error.__traceback__)
    return any(Path(frame.filename).resolve().is_relative_to(ROOT / folder)
               for frame in frames for folder in ("dashapp", "engine"))


app = create_app()
server = app.server
