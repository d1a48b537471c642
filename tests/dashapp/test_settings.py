"""Raw control values, as a browser or a hand-made request sends them, to a config."""

import pytest

from dashapp.settings import DEFAULTS, config_from_controls, config_from_settings, settings_of, whole_number
from engine import ConfigError


@pytest.mark.parametrize("value, expected", [(64, 64), (64.0, 64), ("64", 64), (" 8 ", 8), ("1e2", 100)])
def test_whole_number_accepts_what_inputs_send(value, expected):
    assert whole_number("d_model", value) == expected


@pytest.mark.parametrize("value", [None, "", "abc", 2.5, "nan", float("inf"), True, [64], {"a": 1},
                                   "9" * 5000])
def test_whole_number_refuses_everything_else(value):
    with pytest.raises(ConfigError):
        whole_number("d_model", value)


def test_defaults_round_trip_through_the_store():
    config = config_from_controls(**DEFAULTS)
    assert config_from_settings(settings_of(config)) == config


@pytest.mark.parametrize("change, fragment", [
    (dict(d_model="30"), "try 28 or 32"),
    (dict(d_model=10**400), "between 4 and 1024"),
    (dict(text="x" * 1_000_000), "characters"),
    (dict(text=""), "empty"),
    (dict(mode="random", seq_len=10_000), "between 1 and 256"),
    (dict(mode="numbers", text="1 2 NaN"), "'NaN'"),
    (dict(mask=None), "choose a mask"),
    (dict(mask=["causal"]), "choose a mask"),
    (dict(mode=7), "input mode"),
    (dict(positional="true"), "on or off"),
    (dict(text=12), "string"),
    (dict(mask="padding", n_pad=None), "PAD"),
])
def test_bad_values_become_messages(change, fragment):
    with pytest.raises(ConfigError) as info:
        config_from_controls(**{**DEFAULTS, **change})
    assert fragment in str(info.value)


def test_forged_settings_are_validated_again():
    for forged in (None, [], "x", {"d_model": 30}, {**DEFAULTS, "n_heads": 99}):
        with pytest.raises(ConfigError):
            config_from_settings(forged)


def test_fields_that_do_not_apply_are_ignored():
    # a garbage token count does not matter when the mode is words, nor PAD keys without padding
    config = config_from_controls(**{**DEFAULTS, "seq_len": "junk", "mask": "causal", "n_pad": "junk"})
    assert config.n_pad == 0


def test_text_must_be_a_string_in_every_mode():
    # a dict would make the config unhashable and break the per-process trace cache
    with pytest.raises(ConfigError, match="string"):
        config_from_controls(**{**DEFAULTS, "mode": "random", "text": {"a": 1}})
