"""Bootstrap served by the app itself, from the installed Bootstrap-Flask package.

``dbc.themes.*`` are CDN addresses; a lab demo on flaky Wi-Fi must not depend on one. The
stylesheet is plain Bootstrap 5 (system fonts, no @import of web fonts), so the page
looks the same with the network cut.
"""

from __future__ import annotations

from pathlib import Path

import flask_bootstrap
from flask import send_from_directory

BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css"
BOOTSTRAP_URL = "/vendor/bootstrap.min.css"


def register_bootstrap(server) -> None:
    """Serve bootstrap.min.css (and its source map) at /vendor/."""

    @server.route("/vendor/<path:filename>")
    def vendor(filename: str):
        if filename not in ("bootstrap.min.css", "bootstrap.min.css.map"):
            return "not found", 404
        return send_from_directory(BOOTSTRAP_DIR, filename, max_age=86400)
