"""Multi-head self-attention as six numbered steps, returning every intermediate array.

The forward pass in :func:`multi_head_attention` reads as the same six steps the dashboard
walks through (``STEPS``): 1) input, 2) Q/K/V projections, 3) split into heads, 4) masking,
5) scaled dot-product attention, 6) concat and output projection. It returns an
:class:`AttentionTrace`, a frozen record of all of them, so nothing downstream ever
recomputes attention. :func:`run_trace` builds the input and weights from an
:class:`~engine.config.AttentionConfig` and calls it.

Shapes: T tokens, C = d_model, nh heads, hs = C / nh (see ``engine/__init__.py``).
This module must not know about drawing: no colours, labels or JSON here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

import numpy as np

from engine.config import AttentionConfig, ConfigError
from engine.embed import (
    DTYPE,
    STREAM_WEIGHTS,
    positional_encoding,
    seeded_generator,
    token_embeddings,
)
from engine.masks import build_mask
from engine.tokens import random_labels


@dataclass(frozen=True)
class Step:
    """One step of the walk-through: what it is called and which trace arrays it shows."""

    number: int
    id: str
    title: str
    arrays: tuple[str, ...]


STEPS: tuple[Step, ...] = (
    Step(1, "input", "Input matrix X", ("embeddings", "positional", "x")),
    Step(2, "projections", "Q, K, V projections", ("q", "k", "v")),
    Step(3, "split", "Split into heads", ("q_heads", "k_heads", "v_heads")),
    Step(4, "mask", "Masking", ("scores", "mask", "masked_scores")),
    Step(5, "attention", "Scaled dot-product attention", ("weights", "mean_weights", "head_outputs")),
    Step(6, "output", "Concat and output projection", ("concat", "output")),
)


@dataclass(frozen=True, eq=False)
class AttentionWeights:
    """The four (C, C) projection matrices, in the ``x @ W`` convention, no biases."""

    w_q: np.ndarray
    w_k: np.ndarray
    w_v: np.ndarray
    w_o: np.ndarray

    @cached_property
    def w_qkv(self) -> np.ndarray:
        """(C, 3C) [W_q | W_k | W_v]: one product instead of three (about 20% faster at
        C = 512), built once per weights object (the seeded ones are cached)."""
        fused = np.concatenate([self.w_q, self.w_k, self.w_v], axis=1).astype(DTYPE)
        fused.setflags(write=False)
        return fused


@lru_cache(maxsize=8)
def init_weights(seed: int, d_model: int) -> AttentionWeights:
    """Seeded Glorot-normal weights (std sqrt(2 / (C + C))), cached per (seed, C).

    Glorot keeps q and k entries near unit variance, so the default scaled scores have a
    spread near 1: the softmax is neither flat nor one-hot.
    """
    rng = seeded_generator(seed, STREAM_WEIGHTS, d_model)
    std = np.sqrt(2.0 / (d_model + d_model))
    mats = rng.standard_normal((4, d_model, d_model), dtype=DTYPE) * DTYPE(std)  # (4, C, C)
    mats.setflags(write=False)
    return AttentionWeights(*mats)


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """(T, C) -> (nh, T, hs): head h owns columns h*hs .. (h+1)*hs - 1."""
    n_tokens, d_model = x.shape
    return x.reshape(n_tokens, n_heads, d_model // n_heads).transpose(1, 0, 2)  # (nh, T, hs)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(nh, T, hs) -> (T, C): the inverse of :func:`split_heads` (the concatenation)."""
    n_heads, n_tokens, head_dim = x.shape
    return x.transpose(1, 0, 2).reshape(n_tokens, n_heads * head_dim)  # (T, C)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; a row that is all ``-inf`` (fully masked) gives all 0.

    One temporary, exponentiated and divided in place: this is the largest array the
    forward pass touches outside the matrix products.
    """
    row_max = scores.max(axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0)  # fully masked rows: avoid inf - inf
    exps = np.subtract(scores, row_max)
    np.exp(exps, out=exps)  # masked cells: exp(-inf) = 0 exactly
    sums = exps.sum(axis=-1, keepdims=True)
    exps /= np.where(sums > 0, sums, 1)
    return exps


@dataclass(frozen=True, eq=False)  # arrays have no single truth value; compare fields
class AttentionTrace:
    """Every array of one forward pass, named as in the six steps. All arrays are read-only."""

    tokens: list[str]
    x: np.ndarray  # (T, C) input after positions
    q: np.ndarray  # (T, C)
    k: np.ndarray  # (T, C)
    v: np.ndarray  # (T, C)
    q_heads: np.ndarray  # (nh, T, hs)
    k_heads: np.ndarray  # (nh, T, hs)
    v_heads: np.ndarray  # (nh, T, hs)
    scores: np.ndarray  # (nh, T, T) q.k, divided by sqrt(hs) when scale is on
    mask: np.ndarray  # (T, T) bool, True = may attend
    masked_scores: np.ndarray  # (nh, T, T) -inf where masked
    weights: np.ndarray  # (nh, T, T) softmax rows; 0 where masked
    mean_weights: np.ndarray  # (T, T) head average
    head_outputs: np.ndarray  # (nh, T, hs) weights @ v per head
    concat: np.ndarray  # (T, C)
    output: np.ndarray  # (T, C) concat @ W_o
    params: AttentionWeights
    scale: bool
    empty_rows: tuple[int, ...]  # queries with no allowed key (weights and output 0)
    embeddings: np.ndarray | None = None  # (T, C) token vectors before positions
    positional: np.ndarray | None = None  # (T, C) positional encoding that was added
    config: AttentionConfig | None = field(default=None, compare=False)

    @property
    def steps(self) -> tuple[Step, ...]:
        return STEPS

    @property
    def n_heads(self) -> int:
        return self.q_heads.shape[0]

    @property
    def head_dim(self) -> int:
        return self.q_heads.shape[2]

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the trace by name, in step order (absent ones left out)."""
        names = [name for step in STEPS for name in step.arrays]
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def _check_inputs(x, weights: AttentionWeights, n_heads: int, mask) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[0] < 1:
        raise ConfigError("x must be a (tokens, d_model) array with at least one token")
    n_tokens, d_model = x.shape
    if not isinstance(n_heads, int) or n_heads < 1 or d_model % n_heads:
        raise ConfigError(f"d_model {d_model} is not divisible by {n_heads} heads")
    for name in ("w_q", "w_k", "w_v", "w_o"):
        if getattr(weights, name).shape != (d_model, d_model):
            raise ConfigError(f"{name} must be ({d_model}, {d_model})")
    if mask is not None and np.shape(mask) != (n_tokens, n_tokens):
        raise ConfigError(f"mask must be ({n_tokens}, {n_tokens}) booleans")
    if not np.isfinite(x).all():
        raise ConfigError("x contains NaN or infinite values")


def multi_head_attention(
    x: np.ndarray,
    weights: AttentionWeights,
    n_heads: int,
    mask: np.ndarray | None = None,
    scale: bool = True,
    tokens: list[str] | None = None,
) -> AttentionTrace:
    """Steps 2-6 on a given input x (T, C); ``mask`` is (T, T) bool, True = may attend."""
    _check_inputs(x, weights, n_heads, mask)
    x = np.asarray(x, dtype=DTYPE).view()  # a view: freezing it leaves the caller's array alone
    n_tokens, d_model = x.shape
    allowed = np.ones((n_tokens, n_tokens), bool) if mask is None else np.asarray(mask, bool).view()
    # 2) projections: every token asks (q), advertises (k) and offers (v)
    q, k, v = np.split(x @ weights.w_qkv, 3, axis=1)  # (T, C) each, from one (T, 3C) product
    # 3) split into heads: each head works on its own hs-wide slice
    q_heads, k_heads, v_heads = (split_heads(m, n_heads) for m in (q, k, v))  # (nh, T, hs)
    # 4) scores, scaled, then masked: -inf where a query may not look
    scores = q_heads @ k_heads.transpose(0, 2, 1)  # (nh, T, T)
    if scale:
        scores *= DTYPE(1.0 / np.sqrt(d_model // n_heads))
    masked_scores = np.where(allowed, scores, DTYPE(-np.inf))  # (nh, T, T)
    # 5) softmax over keys, then mix the values
    attn = softmax(masked_scores)  # (nh, T, T)
    head_outputs = attn @ v_heads  # (nh, T, hs)
    # 6) concat the heads and project back to d_model
    concat = merge_heads(head_outputs)  # (T, C)
    output = concat @ weights.w_o  # (T, C)
    arrays = dict(
        x=x, q=q, k=k, v=v, q_heads=q_heads, k_heads=k_heads, v_heads=v_heads,
        scores=scores, mask=allowed, masked_scores=masked_scores, weights=attn,
        mean_weights=attn.mean(axis=0), head_outputs=head_outputs, concat=concat, output=output,
    )
    for array in arrays.values():
        array.setflags(write=False)
    return AttentionTrace(
        tokens=list(tokens) if tokens is not None else random_labels(n_tokens),
        params=weights, scale=scale,
        empty_rows=tuple(int(i) for i in np.flatnonzero(~allowed.any(axis=1))),
        **arrays,
    )


def run_trace(config: AttentionConfig) -> AttentionTrace:
    """The whole walk-through for one validated config: step 1 here, steps 2-6 above."""
    # 1) input: token vectors, plus sinusoidal positions when asked for
    embeddings = token_embeddings(config)  # (T, C)
    n_tokens = len(config.tokens)
    positional = positional_encoding(n_tokens, config.d_model) if config.positional else None
    x = embeddings + positional if positional is not None else embeddings  # (T, C)
    trace = multi_head_attention(
        x,
        init_weights(config.seed, config.d_model),
        config.n_heads,
        mask=build_mask(config.mask, n_tokens, config.n_pad),
        scale=config.scale,
        tokens=list(config.tokens),
    )
    embeddings.setflags(write=False)
    return replace(trace, embeddings=embeddings, positional=positional, config=config)
