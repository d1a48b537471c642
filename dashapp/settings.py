"""From raw control values (whatever a browser or a hand-made request sends) to a config.

Every callback that needs the settings goes through :func:`config_from_controls`, so the
server validates everything itself: the UI's limits are a convenience, never the guard.
Numbers may arrive as ints, floats or strings, or be missing; anything else, or anything
out of range, becomes a :class:`engine.ConfigError` whose message the page shows.
"""

from __future__ import annotations

import math

from engine import AttentionConfig, ConfigError

CONTROL_NAMES = ("mode", "text", "seq_len", "d_model", "n_heads", "seed", "mask", "n_pad",
                 "positional", "scale")
DEFAULTS = dict(mode="words", text="the cat sat on the mat", seq_len=8, d_model=64, n_heads=4,
                seed=0, mask="causal", n_pad=0, positional=True, scale=True)


def whole_number(label: str, value) -> int:
    """An int from an int, an integral float or a numeric string; else a clear ConfigError."""
    if isinstance(value, bool) or value is None or value == "":
        raise ConfigError(f"{label} is empty or not a number; type a whole number")
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 30:
            raise ConfigError(f"{label} is far too large")
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{label} must be a whole number, not {value[:20]!r}") from None
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ConfigError(f"{label} must be a whole number, not {value}")
        value = int(value)
    if not isinstance(value, int):
        raise ConfigError(f"{label} must be a whole number, not {type(value).__name__}")
    return value


def switch(label: str, value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{label} must be on or off")
    return value


def config_from_controls(mode, text, seq_len, d_model, n_heads, seed, mask, n_pad,
                         positional, scale) -> AttentionConfig:
    """Validate the ten control values and build the engine's config (raises ConfigError)."""
    if not isinstance(mask, str):
        raise ConfigError("choose a mask: none, padding, causal or padding+causal")
    return AttentionConfig(
        text=text if text is not None else "",
        input_mode=mode,
        seq_len=whole_number("number of tokens", seq_len) if mode == "random" else 8,
        d_model=whole_number("d_model", d_model),
        n_heads=whole_number("number of heads", n_heads),
        seed=whole_number("seed", seed),
        mask=mask,
        n_pad=whole_number("number of PAD keys", n_pad) if "padding" in mask else 0,
        positional=switch("positional encoding", positional),
        scale=switch("scaling", scale),
    )


def settings_of(config: AttentionConfig) -> dict:
    """The config as plain JSON for the config store (the inverse of config_from_settings)."""
    return dict(mode=config.input_mode, text=config.text, seq_len=config.seq_len,
                d_model=config.d_model, n_heads=config.n_heads, seed=config.seed,
                mask=config.mask, n_pad=config.n_pad, positional=config.positional,
                scale=config.scale)


def config_from_settings(settings) -> AttentionConfig:
    """Re-validate settings that came back from the browser (they may have been forged)."""
    if not isinstance(settings, dict):
        raise ConfigError("settings are missing; change any control to recompute")
    return config_from_controls(*(settings.get(name) for name in CONTROL_NAMES))
