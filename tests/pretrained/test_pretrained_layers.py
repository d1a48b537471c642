"""Closed-form and naive-loop checks of the NumPy building blocks, no model files needed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.pretrained.layers import (
    apply_rotary, attend, gelu, layer_norm, repeat_kv, rms_norm, rotary_tables,
)


def test_gelu_matches_math_erf_to_float32_precision():
    x = np.concatenate([np.linspace(-12, 12, 200_001), [0.0, -0.0, 1e-30, -1e-30]]).astype(np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    error = np.abs(gelu(x).astype(np.float64) - exact)
    # within about one float32 step of the larger of |gelu(x)| and 1e-7 * |x|
    assert np.all(error <= 2.5e-7 * np.maximum(np.abs(x), 1.0))
    assert error.max() < 1e-6


def test_gelu_is_not_the_tanh_approximation():
    x = np.float32([-1.5, 1.5])
    tanh_fit = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
    np.testing.assert_allclose(gelu(x), exact, atol=1e-6)
    assert np.abs(tanh_fit - exact).max() > 1e-4


def test_layer_norm_and_rms_norm_against_definitions():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 16)).astype(np.float32) * 3 + 1
    w, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    for row, got in zip(x.astype(np.float64), layer_norm(x, w, b, 1e-12)):
        want = (row - row.mean()) / math.sqrt(row.var() + 1e-12) * w + b
        np.testing.assert_allclose(got, want, atol=1e-5)
    for row, got in zip(x.astype(np.float64), rms_norm(x, w, 1e-5)):
        np.testing.assert_allclose(got, w * row / math.sqrt(np.mean(row**2) + 1e-5), atol=1e-5)


def naive_rotary(x, base):
    """Turn dims (i, i + hs/2) of token t by the angle t * base^(-2i/hs), one 2x2 rotation at a time."""
    n_tokens, head_dim = x.shape
    out = np.empty_like(x, dtype=np.float64)
    for t in range(n_tokens):
        for i in range(head_dim // 2):
            angle = t * base ** (-2 * i / head_dim)
            a, b = x[t, i], x[t, i + head_dim // 2]
            out[t, i] = a * math.cos(angle) - b * math.sin(angle)
            out[t, i + head_dim // 2] = a * math.sin(angle) + b * math.cos(angle)
    return out


def test_rotary_matches_naive_pairwise_rotation():
    x = np.random.default_rng(3).standard_normal((2, 12, 8)).astype(np.float32)  # (nh, T, hs)
    cos, sin = rotary_tables(12, 8, 10_000.0)
    rotated = apply_rotary(x, cos, sin)
    for head in range(2):
        np.testing.assert_allclose(rotated[head], naive_rotary(x[head], 10_000.0), atol=2e-5)


def test_rotary_scores_depend_only_on_relative_position():
    rng = np.random.default_rng(4)
    q, k = rng.standard_normal((2, 1, 1, 8)).astype(np.float32)  # one head, one vector each
    cos, sin = rotary_tables(20, 8, 10_000.0)
    q_all = apply_rotary(np.repeat(q, 20, axis=1), cos, sin)[0]  # (T, hs)
    k_all = apply_rotary(np.repeat(k, 20, axis=1), cos, sin)[0]
    assert q_all[5] @ k_all[2] == pytest.approx(q_all[13] @ k_all[10], abs=1e-4)


def test_repeat_kv_gives_each_query_head_its_group():
    kv = np.arange(3 * 2 * 4, dtype=np.float32).reshape(3, 2, 4)  # (nkv, T, hs)
    repeated = repeat_kv(kv, 3)  # (9, T, hs)
    for head in range(9):
        np.testing.assert_array_equal(repeated[head], kv[head // 3])


def test_attend_equals_a_per_head_loop_and_masks_exactly():
    rng = np.random.default_rng(5)
    q, k, v = rng.standard_normal((3, 2, 6, 4)).astype(np.float32)  # (nh, T, hs) each
    allowed = np.tril(np.ones((6, 6), bool))
    out, weights = attend(q, k, v, 0.5, allowed)
    for h in range(2):
        scores = np.where(allowed, q[h] @ k[h].T * 0.5, -np.inf)
        w = np.exp(scores - scores.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(weights[h], w, atol=1e-6)
        np.testing.assert_allclose(out[h], w @ v[h], atol=1e-5)
    assert np.all(weights[:, ~allowed] == 0.0)
