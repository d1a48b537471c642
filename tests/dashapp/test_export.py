"""Exports: the .npz and JSON of a trace hold exactly the trace; forged settings download
nothing; file names name the settings, the same in Python and in the browser's JS."""

import base64
import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from dash import no_update

from dashapp import export, ids
from dashapp.app import server
from dashapp.export import (
    export_stem,
    figure_filename,
    json_download,
    npz_download,
    trace_json,
    trace_npz,
)
from dashapp.settings import DEFAULTS, config_from_controls, settings_of
from engine import run_trace
from tests.conftest import ROOT

VARIANTS = [
    {},
    dict(mask="padding+causal", n_pad=2, text="the cat sat on the mat again"),
    dict(mode="random", seq_len=5, d_model=12, n_heads=3, mask="none", positional=False),
    dict(mode="numbers", text="1, 2.5 -3", scale=False, mask="padding", n_pad=1, seed=99),
]


def traced(**change):
    config = config_from_controls(**{**DEFAULTS, **change})
    return run_trace(config), settings_of(config)


def strict_json(text):
    def refuse(name):
        raise ValueError(f"bare {name} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("change", VARIANTS)
def test_npz_loaded_back_with_numpy_equals_the_trace(change):
    trace, settings = traced(**change)
    with np.load(io.BytesIO(trace_npz(trace, settings))) as saved:  # allow_pickle=False
        assert set(saved.files) == set(trace.arrays()) | {"tokens", "settings"}
        for name, array in trace.arrays().items():
            assert saved[name].dtype == array.dtype and saved[name].shape == array.shape
            assert np.array_equal(saved[name], array), name
        assert saved["tokens"].tolist() == trace.tokens
        assert saved["settings"].shape == () and json.loads(saved["settings"][()]) == settings


@pytest.mark.parametrize("change", VARIANTS)
def test_json_is_valid_and_holds_every_array_exactly(change):
    trace, settings = traced(**change)
    document = strict_json(trace_json(trace, settings))
    assert document["settings"] == settings and document["tokens"] == trace.tokens
    assert [a["name"] for a in document["arrays"]] == list(trace.arrays())
    for entry in document["arrays"]:
        array = trace.arrays()[entry["name"]]
        assert entry["shape"] == list(array.shape) and entry["dtype"] == str(array.dtype)
        assert np.array_equal(np.asarray(entry["data"], dtype=entry["dtype"]), array)


def test_masked_scores_write_minus_infinity_as_a_string_and_nothing_else_does():
    trace, settings = traced(mask="padding+causal", n_pad=2)
    arrays = {a["name"]: a["data"] for a in strict_json(trace_json(trace, settings))["arrays"]}
    masked = np.array(arrays["masked_scores"], dtype=object)
    assert ((masked == "-Infinity") == ~trace.mask[None]).all()
    for name, data in arrays.items():
        if name != "masked_scores":
            assert "Infinity" not in json.dumps(data) and "NaN" not in json.dumps(data), name


def test_file_names_name_the_settings():
    _, settings = traced()
    assert export_stem(settings) == "atlas_words_d64_h4_causal_seed0"
    _, settings = traced(**VARIANTS[2])
    assert export_stem(settings) == "atlas_random5_d12_h3_none_seed0_nopos"
    _, settings = traced(**VARIANTS[3])
    assert figure_filename(settings, "step5-attention", "svg") == \
        "atlas_numbers_d64_h4_padding_pad1_seed99_noscale_step5-attention.svg"


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_browser_names_files_like_the_server():
    settings = [traced(**change)[1] for change in VARIANTS]
    script = (f"global.window = {{}};\n{(ROOT / 'assets' / 'atlas.js').read_text()}\n"
              f"console.log(JSON.stringify({json.dumps(settings)}.map("
              "s => window.dash_clientside.atlas.exportStem(s))));")
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    assert json.loads(result.stdout) == [export_stem(s) for s in settings]


def test_downloads_carry_the_file_and_say_so():
    _, settings = traced()
    data, status = npz_download(settings)
    assert data["filename"] == "atlas_words_d64_h4_causal_seed0.npz" and data["base64"]
    assert np.load(io.BytesIO(base64.b64decode(data["content"])))["weights"].shape == (4, 6, 6)
    assert status == "Downloaded atlas_words_d64_h4_causal_seed0.npz"
    data, _ = json_download(settings)
    assert strict_json(data["content"])["format"] == "attention-atlas-trace"


@pytest.mark.parametrize("forged", [None, "x", {}, {**DEFAULTS, "d_model": "abc"},
                                    {**DEFAULTS, "n_heads": 99}, {**DEFAULTS, "text": 5}])
def test_forged_settings_download_nothing_and_say_why(forged):
    for download in (npz_download, json_download):
        data, status = download(forged)
        assert data is no_update and status.startswith("No download: ")


def test_a_trace_too_big_for_json_is_sent_to_npz(monkeypatch):
    monkeypatch.setattr(export, "MAX_JSON_NUMBERS", 100)
    data, status = json_download(traced()[1])
    assert data is no_update and ".npz" in status


def test_a_forged_store_in_a_real_request_gets_a_message_not_a_500():
    payload = {
        "output": f"..{ids.EXPORT_NPZ_DOWNLOAD}.data...{ids.EXPORT_STATUS}.children..",
        "outputs": [{"id": ids.EXPORT_NPZ_DOWNLOAD, "property": "data"},
                    {"id": ids.EXPORT_STATUS, "property": "children"}],
        "inputs": [{"id": ids.EXPORT_NPZ, "property": "n_clicks", "value": 1}],
        "state": [{"id": ids.CONFIG_STORE, "property": "data",
                   "value": {**DEFAULTS, "d_model": 10**9}}],
        "changedPropIds": [f"{ids.EXPORT_NPZ}.n_clicks"],
    }
    response = server.test_client().post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    body = response.get_json()["response"]
    assert ids.EXPORT_NPZ_DOWNLOAD not in body
    assert body[ids.EXPORT_STATUS]["children"].startswith("No download: d_model must be")
