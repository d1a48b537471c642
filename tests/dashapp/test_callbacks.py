"""Callback helpers called directly: the same functions the decorated callbacks run."""

import csv
import io

import numpy as np
from dash import no_update

from dashapp.callbacks import csv_download, detail_update, inspector_update, main_update
from dashapp.settings import CONTROL_NAMES, DEFAULTS
from engine import AttentionConfig, run_trace


def controls(**change):
    values = {**DEFAULTS, **change}
    return [values[name] for name in CONTROL_NAMES]


def test_main_update_returns_settings_and_the_attention_view():
    settings, view, message, shown = main_update(*controls(n_heads="2", d_model="16"))
    assert settings["n_heads"] == 2 and settings["d_model"] == 16
    assert message == "" and shown is False
    assert view["n_heads"] == 2 and view["n_tokens"] == 6
    assert "16" in view["shapes"]["split"] and "2 heads of 6 × 8" in view["shapes"]["split"]


def test_main_update_keeps_the_last_picture_and_shows_the_message_on_bad_input():
    settings, view, message, shown = main_update(*controls(d_model="30"))
    assert settings is no_update and view is no_update
    assert shown is True and "try 28 or 32" in message


def test_detail_update_has_every_other_step_and_ignores_forged_settings():
    settings, main, _, _ = main_update(*controls())
    detail = detail_update(settings)
    assert detail["key"] == main["key"]
    assert set(detail["steps"]) == {"input", "projections", "split", "mask", "attention", "output"}
    assert detail_update({"d_model": "oops"}) is no_update
    assert detail_update("not a dict") is no_update


def test_inspector_shows_the_chosen_head_and_offers_every_head():
    settings, *_ = main_update(*controls())
    figure, table, note, arrays, name, heads, head = inspector_update(settings, "weights", "2")
    trace = run_trace(AttentionConfig(text=DEFAULTS["text"], input_mode="words", mask="causal"))
    assert len(heads) == 4 and "head 3" in note and (name, head) == ("weights", "2")
    assert [a["value"] for a in arrays] == list(trace.arrays())
    lines = table.children.splitlines()
    assert lines[0].startswith("| token | the \\#0 | cat \\#1 |")
    assert lines[3].startswith(f"| **cat \\#1** | {trace.weights[2, 1, 0]:.4f} | ")


def test_inspector_replaces_arrays_and_heads_the_trace_no_longer_has():
    settings, *_ = main_update(*controls())
    for forged in ("__class__", ["weights"], {"a": 1}, None):
        assert inspector_update(settings, forged, "0")[4] == "weights"
    assert "whole number" in inspector_update(settings, "weights", "x")[2]
    # positions switched off: P is gone, so the inspector falls back instead of failing
    no_positions, *_ = main_update(*controls(positional=False))
    outputs = inspector_update(no_positions, "positional", "0")
    assert outputs[4] == "weights" and "positional" not in [a["value"] for a in outputs[3]]
    # fewer heads: the picked head is clamped, and the CSV is named after what it holds
    two_heads, *_ = main_update(*controls(n_heads="2", d_model="16"))
    assert inspector_update(two_heads, "weights", "3")[6] == "1"
    assert csv_download(two_heads, "weights", "3")["filename"] == "weights_head2.csv"


def test_csv_download_has_the_full_precision_numbers():
    settings, *_ = main_update(*controls(mask="padding+causal", n_pad=2))
    sent = csv_download(settings, "masked_scores", "1")
    assert sent["filename"] == "masked_scores_head2.csv"
    table = list(csv.reader(io.StringIO(sent["content"])))
    trace = run_trace(AttentionConfig(text=DEFAULTS["text"], input_mode="words",
                                      mask="padding+causal", n_pad=2))
    assert table[0][:3] == ["token", "the #0", "cat #1"]
    values = np.array([[float(v) for v in row[1:]] for row in table[1:]], dtype=np.float32)
    np.testing.assert_array_equal(values, trace.masked_scores[1])
    assert csv_download(settings, "nope", "0")["filename"] == "weights_head1.csv"  # what the inspector shows
    assert csv_download({"d_model": "x"}, "weights", "0") is no_update
