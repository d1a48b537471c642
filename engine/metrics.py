"""Head metrics and attention rollout: numbers that summarise attention weights.

This module turns attention weights that were already computed into small summaries: six
per-head metrics (how spread out, how peaked, how far, and how much on the first, previous and
own token), the same for a stack of layers, and attention rollout across layers (Abnar and
Zuidema 2020). It is pure NumPy and standard library. It must not compute attention itself,
and it must not import dash, plotly or dashapp: colours, number formats and hover text belong to
the dashboard. The short labels in ``METRIC_NAMES`` are definitions of the metrics, kept next
to the maths so the two cannot drift apart.

Conventions. Weights are row-stochastic: row i holds how query i spreads its attention over
the keys j. A row that sums to 0 is a fully masked query (no key allowed); it is left out of
every mean, and a head with no valid row at all gets 0.0 for every metric (never NaN) and
``valid_rows == 0`` so a caller can tell "zero" from "no data".
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MetricInfo:
    """A human label and a one-sentence definition of one metric."""

    label: str
    description: str


METRIC_NAMES = types.MappingProxyType({
    "entropy": MetricInfo(
        "Entropy",
        "Mean entropy of a query's weights, scaled so 0 is all weight on one key and 1 is an "
        "even spread over every key it may see."),
    "max_weight": MetricInfo(
        "Max weight",
        "Mean of each query's largest weight: near 1 for a head that picks one key, 1/T for "
        "one that spreads evenly."),
    "distance": MetricInfo(
        "Distance",
        "Mean number of positions |i - j| between a query and the keys it attends to, "
        "weighted by the weights."),
    "first_token": MetricInfo(
        "First token",
        "Mean weight that a query puts on the first token (high for 'sink' heads)."),
    "previous_token": MetricInfo(
        "Previous token",
        "Mean weight that a query puts on the token just before it (every query but the first)."),
    "diagonal": MetricInfo(
        "Diagonal",
        "Mean weight that a query puts on its own position."),
})


@dataclass(frozen=True, eq=False)
class HeadMetrics:
    """The six metrics per head, each shaped (nh,) or, from layer_head_metrics, (L, nh).

    Every metric is a mean over the valid query rows (rows that sum to more than 0);
    previous_token also leaves out query 0, which has no previous token. valid_rows counts the
    rows used; where it is 0 every metric is 0.0.
    """

    entropy: np.ndarray
    max_weight: np.ndarray
    distance: np.ndarray
    first_token: np.ndarray
    previous_token: np.ndarray
    diagonal: np.ndarray
    valid_rows: np.ndarray

    def table_rows(self) -> list[dict]:
        """One plain dict per head (head index and the six values as floats), for a table.

        Only for per-head metrics shaped (nh,); for (L, nh) index a layer first.
        """
        if self.entropy.ndim != 1:
            raise ValueError(
                f"table_rows needs per-head metrics shaped (nh,), got {self.entropy.shape}; "
                "use head_metrics on one layer's weights")
        return [
            {"head": head, **{name: float(getattr(self, name)[head]) for name in METRIC_NAMES}}
            for head in range(self.entropy.shape[0])
        ]


def head_metrics(weights, allowed=None) -> HeadMetrics:
    """The six metrics for every head of one layer.

    weights: (nh, T, T) row-stochastic attention (fully masked rows all zero).
    allowed: optional (T, T) bool, True where query i may attend to key j. With it, a row's
        entropy is divided by log(number of keys allowed for that row), so a causal head that
        spreads evenly over what it can see scores 1; a row with one allowed key scores 0.
        Without it, every row is divided by log(T).
    """
    weights = _validated_weights(weights, n_axes=3, shape_text="(nh, T, T)")
    return _metrics(weights, _validated_allowed(allowed, weights.shape[-1]))


def layer_head_metrics(attentions, allowed=None) -> HeadMetrics:
    """head_metrics for every layer at once: attentions (L, nh, T, T) -> each metric (L, nh)."""
    attentions = _validated_weights(attentions, n_axes=4, shape_text="(L, nh, T, T)")
    return _metrics(attentions, _validated_allowed(allowed, attentions.shape[-1]))


def metrics_table(weights, allowed=None) -> list[dict]:
    """Rows for a sortable table: [{"head": 0, "entropy": ..., ...}, ...] for one layer."""
    return head_metrics(weights, allowed).table_rows()


def attention_rollout(attentions, add_residual: bool = True) -> np.ndarray:
    """Attention rollout (Abnar and Zuidema 2020): how much each output mixes each input token.

    attentions: (L, nh, T, T). Returns (L, T, T): entry l is the rollout through layers 0..l,
    so the last entry is the full rollout. Every row of a result sums to 1 (with the residual).
    Convention: 1) average the heads of each layer; 2) with add_residual, add the identity for
    the residual connection, A + I; 3) renormalise rows, which for row-stochastic A is
    0.5 * A + 0.5 * I; 4) multiply through the layers, rollout_l = A_l @ rollout_(l-1), with
    rollout_0 = A_0. With the residual, a fully masked query row becomes its identity row
    (the token keeps itself); without it, that row stays all zero rather than NaN.
    """
    attentions = _validated_weights(attentions, n_axes=4, shape_text="(L, nh, T, T)")
    n_tokens = attentions.shape[-1]
    # 1) average heads
    layers = attentions.mean(axis=1)  # (L, T, T)
    # 2) residual
    if add_residual:
        layers = layers + np.eye(n_tokens)  # (L, T, T)
    # 3) renormalise rows; an all-zero row stays zero
    row_sums = layers.sum(axis=-1, keepdims=True)  # (L, T, 1)
    layers = np.divide(layers, row_sums, out=np.zeros_like(layers), where=row_sums > 0)
    # 4) multiply through the layers
    rollouts = np.empty_like(layers)  # (L, T, T)
    rollouts[0] = layers[0]
    for layer in range(1, layers.shape[0]):
        rollouts[layer] = layers[layer] @ rollouts[layer - 1]  # (T, T)
    return rollouts


def _metrics(weights: np.ndarray, allowed: np.ndarray | None) -> HeadMetrics:
    """The metrics for weights (..., T, T) with any leading axes (nh,) or (L, nh)."""
    n_tokens = weights.shape[-1]
    # 1) which query rows count: a fully masked query has an all-zero row
    valid = weights.sum(axis=-1) > 0.0  # (..., T)
    after_first = valid.copy()
    after_first[..., 0] = False
    # 2) one value per query row
    positions = np.arange(n_tokens)
    distances = np.abs(positions[:, None] - positions[None, :])  # (T, T)
    previous = np.zeros(weights.shape[:-1])  # (..., T)
    previous[..., 1:] = np.diagonal(weights, offset=-1, axis1=-2, axis2=-1)  # w[i, i-1]
    per_row = {
        "entropy": _normalised_entropy(weights, allowed),  # (..., T)
        "max_weight": weights.max(axis=-1),  # (..., T)
        "distance": (weights * distances).sum(axis=-1),  # (..., T)
        "first_token": weights[..., 0],  # (..., T)
        "previous_token": previous,  # (..., T)
        "diagonal": np.diagonal(weights, axis1=-2, axis2=-1),  # (..., T)
    }
    # 3) mean over the rows that count
    means = {
        name: _masked_mean(values, after_first if name == "previous_token" else valid)
        for name, values in per_row.items()
    }
    return HeadMetrics(**means, valid_rows=_readonly(valid.sum(axis=-1)))


def _normalised_entropy(weights: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """Row entropy -sum w log w (0 log 0 = 0) divided by log of the keys a row may see."""
    n_tokens = weights.shape[-1]
    logs = np.log(np.where(weights > 0, weights, 1.0))  # (..., T, T)
    entropy = -(weights * logs).sum(axis=-1)  # (..., T)
    if allowed is None:
        n_keys = np.full(n_tokens, n_tokens)  # (T,)
    else:
        n_keys = allowed.sum(axis=-1)  # (T,)
    # a row with 0 or 1 keys to choose from has no spread to measure: entropy 0
    scale = np.log(np.maximum(n_keys, 2))  # (T,)
    return np.where(n_keys > 1, entropy / scale, 0.0)  # (..., T)


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of values over the last axis where mask is True; 0.0 where no entry counts."""
    counts = mask.sum(axis=-1)  # (...,)
    totals = np.where(mask, values, 0.0).sum(axis=-1)  # (...,)
    means = np.divide(totals, counts, out=np.zeros(totals.shape), where=counts > 0)
    return _readonly(means)


def _validated_weights(weights, n_axes: int, shape_text: str) -> np.ndarray:
    """float64 copy of weights, checked to be square over the last two axes and finite."""
    weights = np.array(weights, dtype=np.float64)
    if weights.ndim != n_axes or weights.shape[-1] != weights.shape[-2] or weights.shape[-1] == 0:
        raise ValueError(f"attention weights must be shaped {shape_text} with T >= 1, "
                         f"got {weights.shape}")
    if not np.all(np.isfinite(weights)):
        raise ValueError("attention weights contain NaN or infinity; "
                         "a fully masked row should be all zeros")
    return weights


def _validated_allowed(allowed, n_tokens: int) -> np.ndarray | None:
    """allowed as a (T, T) bool array, or None."""
    if allowed is None:
        return None
    allowed = np.asarray(allowed, dtype=bool)
    if allowed.shape != (n_tokens, n_tokens):
        raise ValueError(f"allowed mask must be shaped ({n_tokens}, {n_tokens}) to match the "
                         f"weights, got {allowed.shape}")
    return allowed


def _readonly(array: np.ndarray) -> np.ndarray:
    """Mark an array read-only so a frozen result stays frozen."""
    array.setflags(write=False)
    return array

