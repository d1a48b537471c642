"""What one run of a pretrained model hands back: a frozen, read-only record of its attention.

:class:`PretrainedTrace` keeps, for every layer and head, the attention weights and the queries
and keys they were computed from (so a single weight can be explained later), plus the hidden
states between layers. :class:`PretrainedError` is the one error users see: every message says
what was wrong and what to do. Nothing here runs a model.

Shapes: L layers, nh heads, T tokens, hs head size, C = d_model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

MAX_TOKENS = 256  # beyond this the (L, nh, T, T) attentions stop being useful to look at


class PretrainedError(ValueError):
    """A pretrained model could not be found, loaded or run on the given text."""


class Activations(NamedTuple):
    """What a network's forward pass returns, before tokens and names are attached."""

    attentions: np.ndarray  # (L, nh, T, T)
    hidden_states: np.ndarray  # (L + 1, T, C)
    queries: np.ndarray  # (L, nh, T, hs)
    keys: np.ndarray  # (L, nh, T, hs)


@dataclass(frozen=True, eq=False)  # arrays have no single truth value; compare fields
class PretrainedTrace:
    """Every array of one forward pass that the dashboard shows or explains. Read-only arrays."""

    model_name: str
    tokens: list[str]  # readable: special tokens included, byte-level 'Ġ' shown as a space
    token_ids: list[int]
    attentions: np.ndarray  # (L, nh, T, T) softmax rows; 0 above the diagonal when causal
    hidden_states: np.ndarray  # (L + 1, T, C) the embeddings, then each layer's output (Llama: before the final norm)
    queries: np.ndarray  # (L, nh, T, hs) as they enter q . k (after rotary, for Llama)
    keys: np.ndarray  # (L, nh, T, hs) likewise; shared key heads repeated to every query head
    scale: float  # scores = (q . k) * scale, with scale = 1 / sqrt(hs)
    causal: bool  # True for a decoder: token i attends to tokens 0..i only

    def __post_init__(self):
        for name in ("attentions", "hidden_states", "queries", "keys"):
            getattr(self, name).setflags(write=False)

    @property
    def n_layers(self) -> int:
        return self.attentions.shape[0]

    @property
    def n_heads(self) -> int:
        return self.attentions.shape[1]

    @property
    def n_tokens(self) -> int:
        return self.attentions.shape[2]

    @property
    def head_dim(self) -> int:
        return self.queries.shape[3]
