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
    figure, table, note, heads = inspector_update(settings, "weights", "2")
    trace = run_trace(AttentionConfig(text=DEFAULTS["text"], input_mode="words", mask="causal"))
    assert len(heads) == 4 and "head 3" in note
    lines = table.children.splitlines()
    assert lines[0].startswith("| token | the \\#0 | cat \\#1 |")
    assert lines[3].startswith(f"| **cat \\#1** | {trace.weights[2, 1, 0]:.4f} | ")


def test_inspector_refuses_unknown_arrays_and_bad_heads_with_a_message():
    settings, *_ = main_update(*controls())
    assert "unknown array" in inspector_update(settings, "__class__", "0")[2]
    assert "whole number" in inspector_update(settings, "weights", "x")[2]


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
    assert csv_download(settings, "nope", "0") is no_update
