"""Attention masks as boolean (T, T) arrays: True means query i may attend to key j.

Masks only say who may look at whom; applying them (``-inf`` before the softmax) is the
attention step's job. Nothing here allocates more than one (T, T) array.
"""

from __future__ import annotations

import numpy as np


def causal_mask(n_tokens: int) -> np.ndarray:
    """Token i may attend to keys 0..i only (GPT-style, no peeking at the future)."""
    return np.tril(np.ones((n_tokens, n_tokens), dtype=bool))  # (T, T)


def padding_mask(n_tokens: int, n_pad: int) -> np.ndarray:
    """The last ``n_pad`` keys are PAD: no query may attend to them.

    PAD queries still attend to the real keys; only the key columns are closed.
    """
    allowed = np.ones((n_tokens, n_tokens), dtype=bool)  # (T, T)
    if n_pad:
        allowed[:, n_tokens - n_pad:] = False
    return allowed


def build_mask(kind: str, n_tokens: int, n_pad: int = 0) -> np.ndarray:
    """The mask for one of ``engine.config.MASKS``: none, padding, causal, padding+causal."""
    allowed = np.ones((n_tokens, n_tokens), dtype=bool)  # (T, T)
    if "padding" in kind:
        allowed &= padding_mask(n_tokens, n_pad)
    if "causal" in kind:
        allowed &= causal_mask(n_tokens)
    allowed.setflags(write=False)
    return allowed
