"""The settings of one attention run, validated once, at construction.

:class:`AttentionConfig` is the only door into the engine: every field is checked here,
before anything large is allocated, and a bad value raises :class:`ConfigError` with a
message a user can act on ("d_model 30 is not divisible by 4 heads; try 28 or 32").
The dashboard shows these messages as they are, so they speak to a person, not a stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

from engine import tokens as tok

INPUT_MODES = ("auto", "words", "numbers", "random")
MASKS = ("none", "padding", "causal", "padding+causal")


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one run small enough to draw and fast enough to feel live."""

    max_tokens: int = 256  # a 256 x 256 heatmap is the most a screen can still show
    max_text_chars: int = 20_000  # refuse megabytes of text before tokenizing it
    min_d_model: int = 4
    max_d_model: int = 1024
    max_heads: int = 16
    max_seed: int = 2**32 - 1  # the range NumPy's legacy seeding and most UIs agree on


LIMITS = Limits()


class ConfigError(ValueError):
    """A setting a user can fix; the message says how."""


def _check_int(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ConfigError(f"{name} must be a whole number, not {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}; got {value}")


def _check_choice(name: str, value, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


def nearest_d_models(d_model: int, n_heads: int) -> list[int]:
    """Valid d_model values next to ``d_model`` for ``n_heads`` heads (for messages and the UI)."""
    below = d_model - d_model % n_heads
    candidates = [below, below + n_heads]
    return [c for c in candidates if LIMITS.min_d_model <= c <= LIMITS.max_d_model and c >= n_heads]


@dataclass(frozen=True)
class AttentionConfig:
    """Everything that decides one attention run; same config, same numbers, everywhere."""

    text: str = "the cat sat on the mat"  # what the user typed (ignored in random mode)
    input_mode: str = "auto"  # auto, words, numbers or random
    seq_len: int = 8  # number of random vectors (random mode only)
    d_model: int = 64  # width of every token vector, C
    n_heads: int = 4  # heads; must divide d_model so every head gets hs = C / nh dims
    seed: int = 0  # one seed drives embeddings and weights
    mask: str = "none"  # none, padding, causal or padding+causal
    n_pad: int = 0  # how many trailing keys are PAD (padding masks only)
    positional: bool = True  # add sinusoidal positions; off shows repeated words attend alike
    scale: bool = True  # divide scores by sqrt(head_dim); off shows softmax saturating
    tokens: tuple[str, ...] = field(init=False, repr=False, compare=False)
    numbers: tuple[float, ...] = field(init=False, repr=False, compare=False)
    resolved_mode: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # 1) types and ranges of the plain settings, cheapest first
        if not isinstance(self.text, str):  # in every mode: a config must stay hashable
            raise ConfigError(f"text must be a string, not {type(self.text).__name__}")
        _check_choice("input mode", self.input_mode, INPUT_MODES)
        _check_choice("mask", self.mask, MASKS)
        for flag in ("positional", "scale"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"{flag} must be true or false")
        _check_int("d_model", self.d_model, LIMITS.min_d_model, LIMITS.max_d_model)
        _check_int("number of heads", self.n_heads, 1, LIMITS.max_heads)
        _check_int("seed", self.seed, 0, LIMITS.max_seed)
        if self.d_model % self.n_heads:
            options = " or ".join(str(c) for c in nearest_d_models(self.d_model, self.n_heads))
            raise ConfigError(
                f"d_model {self.d_model} is not divisible by {self.n_heads} heads; try {options}"
            )
        # 2) the tokens, which bound everything else
        mode, tokens, numbers = self._tokenize()
        object.__setattr__(self, "resolved_mode", mode)
        object.__setattr__(self, "tokens", tuple(tokens))
        object.__setattr__(self, "numbers", tuple(numbers))
        # 3) settings that depend on the number of tokens
        _check_int("n_pad", self.n_pad, 0, LIMITS.max_tokens)
        if "padding" in self.mask and self.n_pad > len(tokens) - 1:
            raise ConfigError(
                f"{self.n_pad} PAD keys leave no real token among {len(tokens)}; "
                f"use at most {len(tokens) - 1}"
            )

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def _tokenize(self) -> tuple[str, list[str], list[float]]:
        if self.input_mode == "random":
            _check_int("number of tokens", self.seq_len, 1, LIMITS.max_tokens)
            return "random", tok.random_labels(self.seq_len), []
        text = self._checked_text()
        numeric = self.input_mode == "numbers" or (
            self.input_mode == "auto" and tok.looks_numeric(text, LIMITS.max_tokens)
        )
        pieces = (tok.split_number_pieces if numeric else tok.split_words)(text, LIMITS.max_tokens)
        if not pieces:
            raise ConfigError("the text has no tokens; type a few words or numbers")
        if len(pieces) > LIMITS.max_tokens:
            raise ConfigError(
                f"too many tokens: more than {LIMITS.max_tokens}; shorten the text"
            )
        if not numeric:
            return "words", pieces, []
        numbers = [tok.parse_number(p) for p in pieces]
        bad = [p for p, n in zip(pieces, numbers) if n is None]
        if bad:
            raise ConfigError(
                f"not a finite number: {bad[0]!r}; numbers mode takes values like 1, 2.5 -3"
            )
        return "numbers", pieces, numbers

    def _checked_text(self) -> str:
        if not isinstance(self.text, str):
            raise ConfigError(f"text must be a string, not {type(self.text).__name__}")
        if len(self.text) > LIMITS.max_text_chars:
            raise ConfigError(
                f"the text is {len(self.text):,} characters; the limit is "
                f"{LIMITS.max_text_chars:,} (and {LIMITS.max_tokens} tokens)"
            )
        if not self.text.strip():
            raise ConfigError("the text is empty; type a few words or numbers")
        return self.text
