"""Shareable links: every setting and the current step live in the page's query string.

A link is read on the server, once, when the page's layout is built (``dashapp/page.py``):
:func:`link_from_query` turns whatever a query holds into settings through
``settings.config_from_controls`` (the one validator), or into the defaults and a message the
page shows. In the browser, ``assets/atlas.js`` (``writeLink``) writes the query back whenever
the shown settings or the step change, so the address bar always names what the page shows,
and ``copyLink`` puts it on the clipboard. This module parses text into control values; it
must not validate settings itself, keep state, or know how the page is laid out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, html

from dashapp import ids
from dashapp.settings import CONTROL_NAMES, DEFAULTS, config_from_controls, settings_of, whole_number
from engine import STEPS, ConfigError

DEFAULT_STEP = 5  # the attention step: the picture people come for
LINK_NAMES = CONTROL_NAMES + ("step",)  # assets/atlas.js writes the same names (a test checks)
SWITCH_WORDS = {"1": True, "true": True, "0": False, "false": False}
MAX_MESSAGE_CHARS = 300  # a 100k-character value must not become a 100k-character message


@dataclass(frozen=True)
class Link:
    """What a link asks for, made safe: valid settings, a step, and what was wrong (if any)."""

    settings: dict
    step: int = DEFAULT_STEP
    message: str | None = None

    def key(self) -> tuple:
        """A hashable name for the page this link builds (for the page cache)."""
        return tuple(self.settings[name] for name in CONTROL_NAMES), self.step, self.message


DEFAULT_LINK = Link(settings=settings_of(config_from_controls(**DEFAULTS)))


def query_of(settings: Mapping, step: int) -> str:
    """The query string (no '?') naming ``settings`` and ``step``; switches as 1/0."""
    values = {name: settings[name] for name in CONTROL_NAMES}
    for name, value in values.items():
        if isinstance(value, bool):
            values[name] = int(value)
    return urlencode({**values, "step": step})


def query_args(url: str) -> dict[str, str]:
    """The query of ``url`` as {name: first value}, like Flask's ``request.args.get``."""
    args: dict[str, str] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        args.setdefault(name, value)
    return args


def link_from_query(args: Mapping[str, str]) -> Link:
    """Settings and step from a query ({name: text}); unknown names are ignored.

    Names the query leaves out keep their defaults. Settings that do not validate give the
    default settings and a message; a bad step gives the default step and a message.
    """
    if not any(name in args for name in LINK_NAMES):
        return DEFAULT_LINK
    problems = []
    try:
        values = {name: _control_value(name, args[name]) if name in args else DEFAULTS[name]
                  for name in CONTROL_NAMES}
        settings = settings_of(config_from_controls(**values))
    except ConfigError as error:
        settings = DEFAULT_LINK.settings
        problems.append(f"its settings could not be used ({error}), so these are the defaults")
    try:
        step = _step(args.get("step", DEFAULT_STEP))
    except ConfigError as error:
        step = DEFAULT_STEP
        problems.append(f"{error}, so it shows step {DEFAULT_STEP}")
    if not problems:
        return Link(settings, step)
    message = "This link was changed by hand: " + "; ".join(problems) + "."
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS - 1] + "…"
    return Link(settings, step, message)


def _control_value(name: str, text):
    """A switch from 1/0/true/false; every other value goes to the validator as it came."""
    if name in ("positional", "scale"):
        switch = SWITCH_WORDS.get(str(text).strip().lower())
        if switch is None:
            raise ConfigError(f"{name} must be 1 or 0 (or true or false), not {str(text)[:20]!r}")
        return switch
    return text


def _step(text) -> int:
    step = whole_number("the step", text)
    if not 1 <= step <= len(STEPS):
        raise ConfigError(f"the step must be 1 to {len(STEPS)}, not {step}")
    return step


def copy_link_bar() -> html.Div:
    """The "Copy link" button and the place its confirmation appears."""
    return html.Div([
        dbc.Button("Copy link", id=ids.COPY_LINK, color="secondary", outline=True, size="sm",
                   title="Copy a link to exactly this view: every setting and the step"),
        html.Span(id=ids.COPY_STATUS, className="small text-success ms-2", role="status"),
    ], className="d-flex align-items-center")


def register_share_callbacks(app) -> None:
    """Browser-only: the address bar follows the view, and the button copies it."""
    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="writeLink"),
        Output(ids.LOCATION, "search"), Output(ids.LOCATION, "href"),
        Input(ids.CONFIG_STORE, "data"), Input(ids.STEP, "value"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="copyLink"),
        Output(ids.COPY_STATUS, "children"), Input(ids.COPY_LINK, "n_clicks"),
        prevent_initial_call=True,
    )
