"""Turning the user's text into tokens: words, numbers, or labels for random vectors.

The rules are simple on purpose, so that a student can predict them:

* **words** — a token is a run of letters, digits or underscores, which may carry inner
  apostrophes or hyphens (``don't``, ``state-of-the-art``), or any single other visible
  character (so ``"Hi, you!"`` is ``Hi`` ``,`` ``you`` ``!``). Case is kept: ``The`` and
  ``the`` are different tokens.
* **numbers** — the text is split on commas and/or white space (``"1, 2.5 -3"``); every
  piece must be a finite number (``nan`` and ``inf`` are refused).
* **random** — no text: ``seq_len`` tokens labelled ``t0 … t{n-1}``.
* **auto** — numbers when every piece parses as a finite number, else words.

This module only splits and parses; ``engine.config`` turns what it finds into
:class:`~engine.config.ConfigError` messages.
"""

from __future__ import annotations

import math
import re
from itertools import islice

WORD_PATTERN = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
NUMBER_SEPARATORS = re.compile(r"[,\s]+")


def split_words(text: str, limit: int) -> list[str]:
    """Word tokens of ``text``; stops after ``limit + 1`` so a huge text costs nothing."""
    return [m.group(0) for m in islice(WORD_PATTERN.finditer(text), limit + 1)]


def split_number_pieces(text: str, limit: int) -> list[str]:
    """The comma/space separated pieces of ``text`` (at most ``limit + 1``)."""
    pieces = []
    for piece in NUMBER_SEPARATORS.split(text.strip()):
        if piece:
            pieces.append(piece)
            if len(pieces) > limit:
                break
    return pieces


def parse_number(piece: str) -> float | None:
    """The finite float a piece spells, or None (``nan``, ``inf`` and words are None)."""
    try:
        value = float(piece)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def looks_numeric(text: str, limit: int) -> bool:
    """True when every comma/space separated piece of ``text`` is a finite number."""
    pieces = split_number_pieces(text, limit)
    return bool(pieces) and all(parse_number(p) is not None for p in pieces)


def random_labels(n_tokens: int) -> list[str]:
    """Labels for random-vector tokens: t0, t1, …"""
    return [f"t{i}" for i in range(n_tokens)]
