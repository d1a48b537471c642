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
# plotly.js's cartesian bundle from npm (package.json; scripts/setup.sh installs it): heatmaps
# are all we draw, and parsing 1.5 MB instead of 4.7 MB takes about 1.5 s off the first
# heatmap on a 2-core machine. Without it the app serves the plotly package's full bundle.
PLOTLY_CARTESIAN = (Path(__file__).resolve().parents[1] / "node_modules"
                    / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js")
PLOTLY_CARTESIAN_URL = "/vendor/plotly-cartesian.min.js"


def plotly_cartesian() -> Path | None:
    return PLOTLY_CARTESIAN if PLOTLY_CARTESIAN.is_file() else None


def register_bootstrap(server) -> None:
    """Serve bootstrap.min.css (and its source map), and plotly's cartesian bundle, at /vendor/."""

    @server.route("/vendor/<path:filename>")
    def vendor(filename: str):
        if filename == PLOTLY_CARTESIAN_URL.rsplit("/", 1)[1] and plotly_cartesian():
            return send_from_directory(PLOTLY_CARTESIAN.parent, PLOTLY_CARTESIAN.name, max_age=86400)
        if filename not in ("bootstrap.min.css", "bootstrap.min.css.map"):
            return "not found", 404
        return send_from_directory(BOOTSTRAP_DIR, filename, max_age=86400)
