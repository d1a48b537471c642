"""Explain one attention weight: how head h's weight from query i to key j came to be.

When a user clicks a cell of an attention heatmap, the dashboard shows this explanation step
by step, with the same numbers as the steps below: 1) q_i and k_j, 2) their elementwise
products, 3) the sum, 4) the scale, 5) the mask on the row, 6) the softmax, 7) the mix of the
value vectors. It recomputes that one row in float64 from the per-head queries, keys and values
of a trace, so its numbers agree with the (float32) trace to the digits shown, not to the last
bit. It is pure NumPy and standard library: it must not import dash, plotly or dashapp, and it
must not run attention for a whole sequence; formatting the numbers is the dashboard's job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from engine.attention import softmax


@dataclass(frozen=True, eq=False)
class WeightExplanation:
    """Every number behind weight[head, query, key], in the order the UI shows them.

    Shapes: hs is the head size, T the number of tokens. Arrays are float64 and read-only.
    """

    head: int
    query: int
    key: int
    q: np.ndarray  # (hs,) step 1: the query vector q_i of this head
    k: np.ndarray  # (hs,) step 1: the key vector k_j of this head
    products: np.ndarray  # (hs,) step 2: q * k, elementwise
    dot: float  # step 3: sum of products, q_i . k_j
    divisor: float  # step 4: sqrt(hs) when scaling, else 1.0
    score: float  # step 4: dot / divisor
    row_scores: np.ndarray  # (T,) step 4: the scaled scores of query i against every key
    allowed_row: np.ndarray  # (T,) step 5: True where query i may attend to key j
    masked_row: np.ndarray  # (T,) step 5: row_scores, -inf where not allowed
    row_weights: np.ndarray  # (T,) step 6: softmax of masked_row; all 0 if no key is allowed
    weight: float  # step 6: row_weights[key]
    v: np.ndarray  # (T, hs) step 7: the value vectors of this head
    contributions: np.ndarray  # (T, hs) step 7: row_weights[:, None] * v
    output_row: np.ndarray  # (hs,) step 7: sum of contributions, this head's output for query i


def explain_weight(q_heads, k_heads, v_heads, allowed, head: int, query: int, key: int,
                   scale: bool = True) -> WeightExplanation:
    """The explanation of weight[head, query, key].

    q_heads, k_heads, v_heads: (nh, T, hs) per-head queries, keys and values.
    allowed: (T, T) bool, True where query i may attend to key j; None allows every key.
    scale: divide scores by sqrt(hs), as the trace does when scaling is on.
    Raises ValueError for mismatched shapes or an index out of range.
    """
    q_heads, k_heads, v_heads, allowed = _validated_inputs(q_heads, k_heads, v_heads, allowed)
    n_heads, n_tokens, head_size = q_heads.shape
    _check_index("head", head, n_heads, "heads")
    _check_index("query", query, n_tokens, "tokens")
    _check_index("key", key, n_tokens, "tokens")
    # 1) q_i and k_j: the query row against every key row of this head
    q = q_heads[head, query]  # (hs,)
    keys = k_heads[head]  # (T, hs)
    # 2) products, elementwise, for every key (the UI shows those of key j)
    row_products = keys * q  # (T, hs)
    # 3) sum: one dot product per key
    row_dots = row_products.sum(axis=-1)  # (T,)
    # 4) scale
    divisor = math.sqrt(head_size) if scale else 1.0
    row_scores = row_dots / divisor  # (T,)
    # 5) mask the row
    allowed_row = allowed[query]  # (T,)
    masked_row = np.where(allowed_row, row_scores, -np.inf)  # (T,)
    # 6) softmax
    row_weights = softmax(masked_row)  # (T,) the engine's own softmax, all 0 if none is allowed
    # 7) mix values
    v = v_heads[head]  # (T, hs)
    contributions = row_weights[:, None] * v  # (T, hs)
    output_row = contributions.sum(axis=0)  # (hs,)
    return WeightExplanation(
        head=int(head), query=int(query), key=int(key),
        q=_readonly(q), k=_readonly(keys[key]), products=_readonly(row_products[key]),
        dot=float(row_dots[key]), divisor=divisor, score=float(row_scores[key]),
        row_scores=_readonly(row_scores), allowed_row=_readonly(allowed_row),
        masked_row=_readonly(masked_row), row_weights=_readonly(row_weights),
        weight=float(row_weights[key]), v=_readonly(v),
        contributions=_readonly(contributions), output_row=_readonly(output_row),
    )


def _validated_inputs(q_heads, k_heads, v_heads, allowed):
    """float64 copies of q, k, v (nh, T, hs) and a (T, T) bool mask, with matching shapes."""
    q_heads, k_heads, v_heads = (np.array(a, dtype=np.float64) for a in (q_heads, k_heads, v_heads))
    if q_heads.ndim != 3 or 0 in q_heads.shape:
        raise ValueError(f"queries must be shaped (nh, T, hs) and non-empty, got {q_heads.shape}")
    if k_heads.shape != q_heads.shape:
        raise ValueError(f"keys are shaped {k_heads.shape} but queries {q_heads.shape}; "
                         "they must match")
    if v_heads.ndim != 3 or v_heads.shape[:2] != q_heads.shape[:2]:
        raise ValueError(f"values must be shaped (nh, T, hs) with nh and T as in the queries "
                         f"{q_heads.shape[:2]}, got {v_heads.shape}")
    n_tokens = q_heads.shape[1]
    if allowed is None:
        allowed = np.ones((n_tokens, n_tokens), dtype=bool)
    allowed = np.array(allowed, dtype=bool)
    if allowed.shape != (n_tokens, n_tokens):
        raise ValueError(f"allowed mask must be shaped ({n_tokens}, {n_tokens}), "
                         f"got {allowed.shape}")
    return q_heads, k_heads, v_heads, allowed


def _check_index(name: str, value, size: int, noun: str) -> None:
    """A whole number in 0..size-1, or a ValueError that says the valid range."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, not {type(value).__name__} {value!r}")
    if not 0 <= value < size:
        raise ValueError(f"{name} {value} is out of range for {size} {noun}; "
                         f"use 0 to {size - 1}")


def _readonly(array: np.ndarray) -> np.ndarray:
    """A read-only copy, so the frozen explanation cannot be changed through its arrays."""
    array = np.array(array)
    array.setflags(write=False)
    return array
