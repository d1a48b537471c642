"""The app factory, served through Flask's test client: pages, health, offline assets and
hand-made callback requests that must get a message or a 4xx, never a 500."""

import json
import re

import pytest

from dashapp import ids
from dashapp.app import app, server
from dashapp.settings import CONTROL_NAMES, DEFAULTS
from tests.conftest import ROOT

MAIN_OUTPUT = "..config-store.data...main-store.data...control-error.children...control-error.is_open.."


@pytest.fixture(scope="module")
def client():
    return server.test_client()


def main_request(**change):
    values = {**DEFAULTS, **change}
    control_ids = [ids.MODE, ids.TEXT, ids.SEQ_LEN, ids.D_MODEL, ids.N_HEADS, ids.SEED, ids.MASK,
                   ids.N_PAD, ids.POSITIONAL, ids.SCALE]
    return {
        "output": MAIN_OUTPUT,
        "outputs": [{"id": i, "property": p} for i, p in [
            (ids.CONFIG_STORE, "data"), (ids.MAIN_STORE, "data"),
            (ids.CONTROL_ERROR, "children"), (ids.CONTROL_ERROR, "is_open")]],
        "inputs": [{"id": i, "property": "value", "value": values[n]}
                   for i, n in zip(control_ids, CONTROL_NAMES)],
        "changedPropIds": [f"{ids.N_HEADS}.value"],
        "state": [],
    }


def post(client, payload):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post("/_dash-update-component", data=body, content_type="application/json")


def test_page_health_and_layout(client):
    assert client.get("/").status_code == 200
    assert client.get("/healthz").json == {"status": "ok"}
    layout = client.get("/_dash-layout").get_data(as_text=True)
    for name in (ids.GRAPH_MAIN, ids.STEP, ids.PLAY, ids.MAIN_STORE, ids.INSPECT_TABLE):
        assert f'"{name}"' in layout


def test_every_stylesheet_and_script_is_served_by_the_app(client):
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "/vendor/bootstrap.min.css" in urls
    css = client.get("/vendor/bootstrap.min.css").get_data(as_text=True)
    assert "Bootstrap" in css[:300] and "@import" not in css
    assert client.get("/vendor/../app.py").status_code == 404


def test_a_real_callback_request_answers_with_the_view(client):
    response = post(client, main_request(n_heads="2", d_model="32"))
    assert response.status_code == 200
    body = response.json["response"]
    assert body["config-store"]["data"]["n_heads"] == 2
    assert body["main-store"]["data"]["n_heads"] == 2


@pytest.mark.parametrize("change, fragment", [
    (dict(d_model="30"), "try 28 or 32"),
    (dict(d_model=10**30), "between 4 and 1024"),
    (dict(d_model=[1, 2]), "whole number"),
    (dict(text="word " * 200_000), "characters"),
    (dict(text={"a": 1}), "string"),
    (dict(mode="random", seq_len=10_000), "between 1 and 256"),
    (dict(mode="numbers", text="1, NaN"), "NaN"),
    (dict(mask="<script>"), "unknown mask"),
    (dict(seed=-5), "seed"),
])
def test_hand_made_bad_values_get_a_message_in_the_page(client, change, fragment):
    response = post(client, main_request(**change))
    assert response.status_code == 200
    error = response.json["response"][ids.CONTROL_ERROR]
    assert error["is_open"] is True and fragment in error["children"]
    assert "main-store" not in response.json["response"]  # the last good picture stays


@pytest.mark.parametrize("payload", [
    "not json at all",
    "{}",
    {"output": MAIN_OUTPUT},
    {**main_request(), "inputs": "nope"},
    {**main_request(), "inputs": [{"id": "mode"}]},
    {**main_request(), "output": "no-such.prop"},
])
def test_malformed_requests_get_a_4xx_never_a_500(client, payload):
    response = post(client, payload)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:200]


def test_oversized_request_is_refused_before_parsing(client):
    response = post(client, main_request(text="w" * (3 * 1024 * 1024)))
    assert response.status_code == 413


def test_clientside_ids_match_the_python_ids():
    js = (ROOT / "assets" / "atlas.js").read_text()
    for name in re.findall(r'source === "([a-z-]+)"', js):
        assert name in {ids.PREV, ids.NEXT, ids.PLAY, ids.TICKER}
    assert set(re.findall(r'source === "([a-z-]+)"', js)) == {ids.PREV, ids.NEXT, ids.PLAY, ids.TICKER}
    assert app.layout is not None


def test_the_smaller_plotly_bundle_is_served_when_installed_and_matches_plotly(client):
    import json as _json

    from plotly.offline import get_plotlyjs_version

    from dashapp.theme import PLOTLY_CARTESIAN_URL, plotly_cartesian

    wanted = _json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert wanted["plotly.js-cartesian-dist-min"] == get_plotlyjs_version()
    page = client.get("/").get_data(as_text=True)
    if plotly_cartesian() is None:
        pytest.skip("npm bundle not installed: the full plotly.js is served instead")
    assert PLOTLY_CARTESIAN_URL in page and "plotly.min.js" not in page
    script = client.get(PLOTLY_CARTESIAN_URL)
    assert script.status_code == 200 and get_plotlyjs_version() in script.get_data(as_text=True)[:300]


def test_the_page_arrives_with_its_step_already_drawn():
    from dashapp.layout import step_view
    from dashapp.lessons import step_texts
    from dashapp.settings import config_from_controls
    from dashapp.views import detail_view, main_view
    from engine import run_trace

    trace = run_trace(config_from_controls(**DEFAULTS))
    main, detail, texts = main_view(trace), detail_view(trace), step_texts()
    attention = step_view(5, main, detail, texts)
    assert attention["main"] is main["steps"]["attention"][0]
    assert attention["extra"] is detail["steps"]["attention"][0]
    assert attention["title"] == "Step 5 of 6 · Scaled dot-product attention"
    first = step_view(1, main, detail, texts)
    assert first["main"] is detail["steps"]["input"][0] and first["shapes"] == main["shapes"]["input"]


def test_a_bug_in_our_own_callback_is_a_500_not_a_disguised_400(client, monkeypatch):
    import dashapp.callbacks as callbacks

    def broken(*_args):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(callbacks, "config_from_controls", broken)
    server.config["PROPAGATE_EXCEPTIONS"] = False
    response = post(client, main_request())
    assert response.status_code == 500


def test_every_input_mode_a_link_can_name_has_a_choice_on_the_page():
    from dashapp.layout import MODES
    from engine import INPUT_MODES

    assert sorted(value for value, _ in MODES) == sorted(INPUT_MODES)
