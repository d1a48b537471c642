"""The NumPy building blocks of the two pretrained architectures, one small function each.

BERT needs LayerNorm and the exact (erf) GELU; Llama needs RMSNorm, SiLU, rotary position
encoding and grouped key/value heads. Both share :func:`attend`, the scaled dot-product step
that returns the output *and* the weights. Head splitting and the softmax are the engine's own
(``engine.attention``), so random and pretrained attention are computed by the same code.

Shapes (see ``engine/__init__.py``): T tokens, C = d_model, nh heads, hs head size.
Everything is float32. This module knows nothing of files, tokenizers or drawing.
"""

from __future__ import annotations

import math

import numpy as np

from engine.attention import softmax
from engine.pretrained.trace import Activations

DTYPE = np.float32

# Numerical Recipes' `erfcc` (Press et al., 2nd ed., section 6.2): a Chebyshev fit with a
# fractional error below 1.2e-7 everywhere, lowest power first.
_ERFC_COEFFS = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """x @ W + b, the bias added in place: one new (T, C_out) array, not two."""
    out = x @ weight  # (T, C_out)
    if bias is not None:
        out += bias
    return out


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Normalise each row to mean 0, variance 1 (biased variance, as PyTorch), then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)  # (T, 1)
    centred = x - mean  # (T, C)
    variance = np.mean(centred * centred, axis=-1, keepdims=True)  # (T, 1)
    return centred / np.sqrt(variance + DTYPE(eps)) * weight + bias  # (T, C)


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """Divide each row by its root mean square (no centring), then scale: Llama's norm."""
    mean_square = np.mean(x * x, axis=-1, keepdims=True)  # (T, 1)
    return weight * (x / np.sqrt(mean_square + DTYPE(eps)))  # (T, C)


def erfc_positive(z: np.ndarray) -> np.ndarray:
    """erfc(z) for z >= 0, to a relative 1.2e-7: t * exp(-z^2 + P(t)) with t = 1 / (1 + z/2).

    Written in place, float32: this runs on every (T, F) feed-forward activation, so each
    pass over the array costs more than its arithmetic.
    """
    t = z * DTYPE(0.5)
    t += DTYPE(1.0)
    np.reciprocal(t, out=t)
    poly = t * DTYPE(_ERFC_COEFFS[-1])
    for coeff in _ERFC_COEFFS[-2:0:-1]:  # Horner's rule
        poly += DTYPE(coeff)
        poly *= t
    poly += DTYPE(_ERFC_COEFFS[0])
    poly -= z * z
    np.exp(poly, out=poly)
    poly *= t
    return poly


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU, x * Phi(x) (BERT's "gelu", not the tanh fit), written without branches.

    With u = |x|: x * Phi(x) = relu(x) - u * Phi(-u), and Phi(-u) = erfc(u / sqrt 2) / 2. One erfc
    serves both signs, the negative tail keeps full relative precision, and no masked
    (branchy, slow) array operation is needed.
    """
    u = np.abs(x)  # (T, F)
    tail = erfc_positive(u * DTYPE(1 / math.sqrt(2)))  # 2 * Phi(-u)
    tail *= u
    out = x + u  # 2 * relu(x)
    out -= tail
    out *= DTYPE(0.5)
    return out


def silu(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), Llama's gate activation."""
    return x / (DTYPE(1.0) + np.exp(-x))


def rotary_tables(n_tokens: int, head_dim: int, base: float) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of the rotary angles, (T, hs), in the half-split layout of Hugging Face.

    Pair i of a head (dims i and i + hs/2) turns by position * base^(-2i / hs).
    """
    inv_freq = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.int64).astype(DTYPE) / head_dim))
    angles = np.outer(np.arange(n_tokens, dtype=DTYPE), inv_freq.astype(DTYPE))  # (T, hs/2)
    angles = np.concatenate([angles, angles], axis=-1)  # (T, hs)
    return np.cos(angles), np.sin(angles)


def rotate_half(x: np.ndarray) -> np.ndarray:
    """(x1, x2) -> (-x2, x1) on the two halves of the last axis: a 90 degree turn of each pair."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate every (i, i + hs/2) pair of every head by its position's angle. (nh, T, hs)."""
    return x * cos + rotate_half(x) * sin  # (nh, T, hs)


def repeat_kv(x: np.ndarray, n_rep: int) -> np.ndarray:
    """(n_kv, T, hs) -> (n_kv * n_rep, T, hs): query head h reads key/value head h // n_rep."""
    return np.repeat(x, n_rep, axis=0)  # (nh, T, hs)


def attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float,
           allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention per head: returns (output (nh, T, hs), weights (nh, T, T)).

    ``allowed`` is a boolean (T, T) mask (True = may attend); masked cells get exactly 0.
    """
    scores = (q @ k.transpose(0, 2, 1)) * DTYPE(scale)  # (nh, T, T)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)  # (nh, T, T)
    weights = softmax(scores)  # (nh, T, T)
    return weights @ v, weights  # (nh, T, hs), (nh, T, T)


def run_stack(x: np.ndarray, layers, layer_forward, n_heads: int, head_dim: int) -> Activations:
    """Run ``x`` (T, C) through every layer, keeping each one's output, weights, queries and keys.

    ``layer_forward(x, layer)`` returns (output (T, C), weights (nh, T, T), q, k (nh, T, hs)).
    """
    n_tokens, d_model = x.shape
    n_layers = len(layers)
    acts = Activations(
        attentions=np.empty((n_layers, n_heads, n_tokens, n_tokens), DTYPE),  # (L, nh, T, T)
        hidden_states=np.empty((n_layers + 1, n_tokens, d_model), DTYPE),  # (L + 1, T, C)
        queries=np.empty((n_layers, n_heads, n_tokens, head_dim), DTYPE),  # (L, nh, T, hs)
        keys=np.empty((n_layers, n_heads, n_tokens, head_dim), DTYPE),  # (L, nh, T, hs)
    )
    acts.hidden_states[0] = x
    for i, layer in enumerate(layers):
        x, acts.attentions[i], acts.queries[i], acts.keys[i] = layer_forward(x, layer)
        acts.hidden_states[i + 1] = x
    return acts
