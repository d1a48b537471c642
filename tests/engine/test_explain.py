"""explain_weight against a naive recomputation in plain Python loops."""

import dataclasses
import math

import numpy as np
import pytest

from engine.explain import WeightExplanation, explain_weight

N_HEADS, N_TOKENS, HEAD_SIZE = 2, 5, 4


def qkv(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(N_HEADS, N_TOKENS, HEAD_SIZE)) for _ in range(3)]  # (nh, T, hs)


def causal_with_padding():
    """Causal, last key is PAD, and query 0 may see nothing (its only key, 0, is closed too)."""
    allowed = np.tril(np.ones((N_TOKENS, N_TOKENS), dtype=bool))
    allowed[:, -1] = False
    allowed[0, 0] = False
    return allowed


def naive_row(q_heads, k_heads, v_heads, allowed, head, query, scale):
    """Scores, weights and output of one row, written out with loops and math.exp."""
    q_heads, k_heads, v_heads = (a.tolist() for a in (q_heads, k_heads, v_heads))
    q = q_heads[head][query]
    divisor = math.sqrt(len(q)) if scale else 1.0
    scores = []
    for key_vector in k_heads[head]:
        total = 0.0
        for a, b in zip(q, key_vector):
            total += a * b
        scores.append(total / divisor)
    visible = [j for j in range(len(scores)) if allowed is None or allowed[query][j]]
    weights = [0.0] * len(scores)
    if visible:
        top = max(scores[j] for j in visible)
        denominator = sum(math.exp(scores[j] - top) for j in visible)
        for j in visible:
            weights[j] = math.exp(scores[j] - top) / denominator
    output = [0.0] * len(q)
    for j, value_vector in enumerate(v_heads[head]):
        for d, value in enumerate(value_vector):
            output[d] += weights[j] * value
    return scores, weights, output


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("mask", [None, "causal+pad"])
def test_every_cell_matches_naive(scale, mask):
    q_heads, k_heads, v_heads = qkv()
    allowed = None if mask is None else causal_with_padding()
    for head in range(N_HEADS):
        for query in range(N_TOKENS):
            scores, weights, output = naive_row(q_heads, k_heads, v_heads, allowed,
                                                head, query, scale)
            for key in range(N_TOKENS):
                explained = explain_weight(q_heads, k_heads, v_heads, allowed,
                                           head, query, key, scale=scale)
                assert explained.score == pytest.approx(scores[key], rel=1e-12, abs=1e-12)
                assert explained.weight == pytest.approx(weights[key], rel=1e-12, abs=1e-15)
                np.testing.assert_allclose(explained.row_scores, scores, rtol=1e-12)
                np.testing.assert_allclose(explained.row_weights, weights, rtol=1e-12,
                                           atol=1e-15)
                np.testing.assert_allclose(explained.output_row, output, rtol=1e-12,
                                           atol=1e-12)


def test_steps_of_one_cell():
    q_heads, k_heads, v_heads = qkv(1)
    allowed = causal_with_padding()
    explained = explain_weight(q_heads, k_heads, v_heads, allowed, head=1, query=3, key=2)
    assert (explained.head, explained.query, explained.key) == (1, 3, 2)
    # 1) q_i and k_j
    np.testing.assert_array_equal(explained.q, q_heads[1, 3])
    np.testing.assert_array_equal(explained.k, k_heads[1, 2])
    # 2) products
    products = [a * b for a, b in zip(q_heads[1, 3].tolist(), k_heads[1, 2].tolist())]
    np.testing.assert_allclose(explained.products, products, rtol=1e-15)
    # 3) sum
    assert explained.dot == pytest.approx(sum(products), rel=1e-12)
    # 4) scale
    assert explained.divisor == 2.0  # sqrt(4)
    assert explained.score == explained.dot / 2.0
    assert explained.row_scores[2] == explained.score
    # 5) mask: query 3 sees keys 0..3 (key 4 is PAD)
    np.testing.assert_array_equal(explained.allowed_row, [True, True, True, True, False])
    np.testing.assert_array_equal(explained.masked_row[:4], explained.row_scores[:4])
    assert explained.masked_row[4] == -math.inf
    # 6) softmax
    assert explained.row_weights.sum() == pytest.approx(1.0)
    assert explained.row_weights[4] == 0.0
    assert explained.weight == explained.row_weights[2]
    # 7) mix values
    np.testing.assert_array_equal(explained.v, v_heads[1])
    np.testing.assert_allclose(explained.contributions,
                               explained.row_weights[:, None] * v_heads[1])
    np.testing.assert_allclose(explained.output_row, explained.contributions.sum(axis=0))


def test_masked_key_has_zero_weight_but_a_finite_score():
    q_heads, k_heads, v_heads = qkv()
    explained = explain_weight(q_heads, k_heads, v_heads, causal_with_padding(),
                               head=0, query=1, key=3)
    assert explained.weight == 0.0
    assert math.isfinite(explained.score)
    assert explained.masked_row[3] == -math.inf


def test_fully_masked_row_is_all_zero_without_nan():
    q_heads, k_heads, v_heads = qkv()
    with np.errstate(all="raise"):
        explained = explain_weight(q_heads, k_heads, v_heads, causal_with_padding(),
                                   head=0, query=0, key=0)
    assert not explained.allowed_row.any()
    assert np.isneginf(explained.masked_row).all()
    np.testing.assert_array_equal(explained.row_weights, 0.0)
    np.testing.assert_array_equal(explained.contributions, 0.0)
    np.testing.assert_array_equal(explained.output_row, 0.0)
    assert explained.weight == 0.0


def test_scale_off_divides_by_one():
    q_heads, k_heads, v_heads = qkv()
    on = explain_weight(q_heads, k_heads, v_heads, None, 0, 2, 1, scale=True)
    off = explain_weight(q_heads, k_heads, v_heads, None, 0, 2, 1, scale=False)
    assert off.divisor == 1.0
    assert off.score == off.dot == on.dot
    assert on.score == pytest.approx(on.dot / math.sqrt(HEAD_SIZE))


def test_large_scores_do_not_overflow():
    q_heads, k_heads, v_heads = qkv()
    q_heads = q_heads * 1e3
    with np.errstate(over="raise", invalid="raise"):
        explained = explain_weight(q_heads, k_heads, v_heads, None, 0, 1, 1)
    assert np.isfinite(explained.row_weights).all()
    assert explained.row_weights.sum() == pytest.approx(1.0)


def test_float32_inputs_are_explained_in_float64():
    q_heads, k_heads, v_heads = (a.astype(np.float32) for a in qkv())
    explained = explain_weight(q_heads, k_heads, v_heads, None, 1, 4, 0)
    for name in ("q", "k", "products", "row_scores", "row_weights", "v", "output_row"):
        assert getattr(explained, name).dtype == np.float64, name
    assert isinstance(explained.weight, float) and isinstance(explained.dot, float)


def test_result_is_frozen_and_read_only():
    explained = explain_weight(*qkv(), None, 0, 0, 0)
    assert isinstance(explained, WeightExplanation)
    with pytest.raises(dataclasses.FrozenInstanceError):
        explained.weight = 1.0
    with pytest.raises(ValueError):
        explained.row_weights[0] = 1.0


def test_input_arrays_are_not_changed():
    q_heads, k_heads, v_heads = qkv()
    copies = [a.copy() for a in (q_heads, k_heads, v_heads)]
    explain_weight(q_heads, k_heads, v_heads, None, 0, 0, 0)
    for original, copy in zip((q_heads, k_heads, v_heads), copies):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("head, query, key, message", [
    (2, 0, 0, r"head 2 is out of range for 2 heads; use 0 to 1"),
    (-1, 0, 0, r"head -1 is out of range"),
    (0, 5, 0, r"query 5 is out of range for 5 tokens; use 0 to 4"),
    (0, 0, 7, r"key 7 is out of range for 5 tokens"),
    (0, 1.5, 0, r"query must be a whole number"),
    (True, 0, 0, r"head must be a whole number"),
])
def test_index_errors(head, query, key, message):
    with pytest.raises(ValueError, match=message):
        explain_weight(*qkv(), None, head, query, key)


def test_numpy_integer_indices_are_accepted():
    explained = explain_weight(*qkv(), None, np.int64(1), np.int32(2), np.int64(3))
    assert (explained.head, explained.query, explained.key) == (1, 2, 3)
    assert type(explained.head) is int


def test_shape_errors():
    q_heads, k_heads, v_heads = qkv()
    with pytest.raises(ValueError, match="queries must be shaped"):
        explain_weight(q_heads[0], k_heads[0], v_heads[0], None, 0, 0, 0)
    with pytest.raises(ValueError, match="keys are shaped"):
        explain_weight(q_heads, k_heads[:, :3], v_heads, None, 0, 0, 0)
    with pytest.raises(ValueError, match="values must be shaped"):
        explain_weight(q_heads, k_heads, v_heads[:1], None, 0, 0, 0)
    with pytest.raises(ValueError, match="allowed mask"):
        explain_weight(q_heads, k_heads, v_heads, np.ones((3, 3), dtype=bool), 0, 0, 0)
