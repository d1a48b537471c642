"""Shareable links: settings and step to a query and back, nonsense to defaults with a message,
and the layout Dash serves for a link (read from the Referer of the layout request)."""

import json
import re

import pytest

from dashapp import ids
from dashapp.app import server
from dashapp.settings import CONTROL_NAMES, DEFAULTS, config_from_controls, settings_of
from dashapp.share import (
    DEFAULT_LINK,
    DEFAULT_STEP,
    MAX_MESSAGE_CHARS,
    link_from_query,
    query_args,
    query_of,
)
from tests.conftest import ROOT

VARIANTS = [
    {},
    dict(mode="random", seq_len=13, d_model=48, n_heads=3, seed=7, mask="none"),
    dict(mode="numbers", text="3, 1.5 -4 1e3", mask="padding+causal", n_pad=2, scale=False),
    dict(text="l'été & co = 1+1? #hash 100% ünïcode\n", positional=False, mask="padding", n_pad=1),
]


def settings(**change):
    return settings_of(config_from_controls(**{**DEFAULTS, **change}))


def find(layout, component_id):
    """The props of the component with ``component_id`` in a serialised layout."""
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component_id:
                return node["props"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise KeyError(component_id)


@pytest.mark.parametrize("change", VARIANTS)
@pytest.mark.parametrize("step", [1, 3, 6])
def test_settings_and_step_round_trip_through_a_query(change, step):
    wanted = settings(**change)
    link = link_from_query(query_args("http://host/?" + query_of(wanted, step)))
    assert (link.settings, link.step, link.message) == (wanted, step, None)


def test_switches_read_1_0_true_false_and_unknown_names_are_ignored():
    link = link_from_query({"positional": "false", "scale": "TRUE", "utm_source": "mail", "x": ""})
    assert link.settings == settings(positional=False, scale=True) and link.message is None
    assert link_from_query({"positional": "0", "scale": "1"}).settings == settings(positional=False)


def test_no_query_is_the_default_page_and_names_left_out_keep_their_defaults():
    assert link_from_query({}) is DEFAULT_LINK
    assert link_from_query({"ref": "x"}) is DEFAULT_LINK
    link = link_from_query({"n_heads": "2", "d_model": "32", "step": "2"})
    assert link.settings == settings(n_heads=2, d_model=32) and link.step == 2


@pytest.mark.parametrize("query, fragment", [
    ({"d_model": "abc"}, "d_model must be a whole number"),
    ({"n_heads": "99"}, "number of heads must be between 1 and 16"),
    ({"d_model": "30", "n_heads": "4"}, "not divisible by 4 heads"),
    ({"text": "a" * 100_000}, "the limit is 20,000"),
    ({"mask": "x" * 100_000}, "unknown mask"),
    ({"positional": "maybe"}, "positional must be 1 or 0"),
    ({"mode": "words", "text": "   "}, "the text is empty"),
    ({"seed": "-1"}, "seed must be between"),
])
def test_nonsense_settings_get_the_defaults_and_a_short_clear_message(query, fragment):
    link = link_from_query({**query, "step": "2"})
    assert link.settings == DEFAULT_LINK.settings
    assert link.step == 2  # a good step survives bad settings
    assert link.message.startswith("This link was changed by hand") and fragment in link.message
    assert len(link.message) <= MAX_MESSAGE_CHARS


@pytest.mark.parametrize("step", ["42", "0", "abc", "", "2.5", "1e400"])
def test_a_bad_step_gets_the_default_step_and_keeps_good_settings(step):
    link = link_from_query({"n_heads": "2", "d_model": "32", "step": step})
    assert link.settings == settings(n_heads=2, d_model=32)
    assert link.step == DEFAULT_STEP and "step" in link.message


def test_the_browser_writes_the_same_names_as_the_server_reads():
    js = (ROOT / "assets" / "atlas.js").read_text()
    body = js[js.index("writeLink:"):js.index("copyLink:")]
    names = re.search(r"const names = \[([^\]]+)\]", body).group(1)
    assert tuple(re.findall(r'"([a-z_]+)"', names)) == CONTROL_NAMES
    assert 'query.set("step"' in body


@pytest.fixture(scope="module")
def client():
    return server.test_client()


def layout_for(client, query):
    response = client.get("/_dash-layout", headers={"Referer": f"http://127.0.0.1:8050/?{query}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "Referer" in response.headers["Vary"]
    return response.json


def test_the_layout_request_builds_the_page_of_the_link_in_its_referer(client):
    wanted = settings(n_heads=2, d_model=32, mask="none", text="a cat, a hat", positional=False)
    layout = layout_for(client, query_of(wanted, 3))
    assert find(layout, ids.N_HEADS)["value"] == "2" and find(layout, ids.D_MODEL)["value"] == "32"
    assert find(layout, ids.TEXT)["value"] == "a cat, a hat"
    assert find(layout, ids.POSITIONAL)["value"] is False
    assert find(layout, ids.STEP)["value"] == 3
    assert find(layout, ids.CONFIG_STORE)["data"] == wanted
    main = find(layout, ids.MAIN_STORE)["data"]
    assert main["n_heads"] == 2 and main["n_tokens"] == 5  # a cat , a hat
    assert find(layout, ids.DETAIL_STORE)["data"]["key"] == main["key"]  # no waiting for step 3
    assert find(layout, ids.CONTROL_ERROR)["is_open"] is False


def test_a_nonsense_link_gets_the_default_page_and_the_message_never_an_error(client):
    layout = layout_for(client, "d_model=abc&n_heads=99&step=42&text=" + "x" * 100_000)
    error = find(layout, ids.CONTROL_ERROR)
    assert error["is_open"] is True and "changed by hand" in error["children"]
    assert find(layout, ids.CONFIG_STORE)["data"] == DEFAULT_LINK.settings
    assert find(layout, ids.STEP)["value"] == DEFAULT_STEP


def test_pages_ask_browsers_to_send_their_address_to_us_only(client):
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"
    plain = client.get("/_dash-layout").json  # no Referer (a privacy add-on): the default page
    assert find(plain, ids.CONFIG_STORE)["data"] == DEFAULT_LINK.settings
    assert json.dumps(plain) == json.dumps(layout_for(client, "utm=1"))
