"""The forward pass against independent computations: a naive loop and closed-form cases."""

import math

import numpy as np
import pytest

from engine import (
    AttentionConfig,
    AttentionWeights,
    build_mask,
    merge_heads,
    multi_head_attention,
    run_trace,
    softmax,
    split_heads,
)


def naive_attention(x, w, n_heads, allowed, scale):
    """Per head, per query, per key, with Python floats: written without the engine's code."""
    x = x.astype(np.float64)
    q, k, v = x @ w.w_q.astype(np.float64), x @ w.w_k.astype(np.float64), x @ w.w_v.astype(np.float64)
    n_tokens, d_model = x.shape
    hs = d_model // n_heads
    weights = np.zeros((n_heads, n_tokens, n_tokens))
    concat = np.zeros((n_tokens, d_model))
    for h in range(n_heads):
        cols = slice(h * hs, (h + 1) * hs)
        for i in range(n_tokens):
            scores = []
            for j in range(n_tokens):
                s = sum(q[i, cols][d] * k[j, cols][d] for d in range(hs))
                scores.append(s / math.sqrt(hs) if scale else s)
            keys = [j for j in range(n_tokens) if allowed[i, j]]
            if not keys:
                continue
            top = max(scores[j] for j in keys)
            total = sum(math.exp(scores[j] - top) for j in keys)
            for j in keys:
                weights[h, i, j] = math.exp(scores[j] - top) / total
            concat[i, cols] = sum(weights[h, i, j] * v[j, cols] for j in range(n_tokens))
    return weights, concat, concat @ w.w_o.astype(np.float64)


def random_weights(rng, d_model):
    return AttentionWeights(*(rng.standard_normal((d_model, d_model)).astype(np.float32) / 4 for _ in range(4)))


@pytest.mark.parametrize("mask_kind", ["none", "padding", "causal", "padding+causal"])
@pytest.mark.parametrize("scale", [True, False])
def test_vectorised_equals_naive_loop(mask_kind, scale):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 12)).astype(np.float32)
    w = random_weights(rng, 12)
    allowed = build_mask(mask_kind, 6, n_pad=2)
    trace = multi_head_attention(x, w, n_heads=3, mask=allowed, scale=scale)
    weights, concat, output = naive_attention(x, w, 3, allowed, scale)
    np.testing.assert_allclose(trace.weights, weights, atol=2e-6)
    np.testing.assert_allclose(trace.concat, concat, atol=2e-5)
    np.testing.assert_allclose(trace.output, output, atol=2e-5)


def test_shapes_of_every_array():
    trace = run_trace(AttentionConfig(text="a b c d e", d_model=32, n_heads=4))
    T, C, nh, hs = 5, 32, 4, 8
    expected = {
        "x": (T, C), "q": (T, C), "k": (T, C), "v": (T, C),
        "q_heads": (nh, T, hs), "k_heads": (nh, T, hs), "v_heads": (nh, T, hs),
        "scores": (nh, T, T), "mask": (T, T), "masked_scores": (nh, T, T),
        "weights": (nh, T, T), "mean_weights": (T, T), "head_outputs": (nh, T, hs),
        "concat": (T, C), "output": (T, C), "embeddings": (T, C), "positional": (T, C),
    }
    assert {n: a.shape for n, a in trace.arrays().items()} == expected
    assert all(not a.flags.writeable for a in trace.arrays().values())


@pytest.mark.parametrize("mask_kind", ["none", "padding", "causal", "padding+causal"])
def test_rows_sum_to_one_and_masked_cells_are_exactly_zero(mask_kind):
    config = AttentionConfig(text="one two three four five six seven", mask=mask_kind, n_pad=3)
    trace = run_trace(config)
    np.testing.assert_allclose(trace.weights.sum(axis=-1), 1.0, atol=1e-6)
    assert (trace.weights[:, ~trace.mask] == 0).all()
    assert np.isneginf(trace.masked_scores[:, ~trace.mask]).all()
    if "causal" in mask_kind:
        assert (np.triu(trace.weights, k=1) == 0).all()
    if "padding" in mask_kind:
        assert (trace.weights[:, :, -3:] == 0).all()
        assert (trace.weights[:, -3:, :4].sum(axis=-1) > 0.99).all()  # PAD queries still attend
    np.testing.assert_allclose(trace.mean_weights, trace.weights.mean(axis=0))


def test_fully_masked_row_gives_zero_weights_and_output_never_nan():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    allowed = np.ones((4, 4), bool)
    allowed[2] = False
    trace = multi_head_attention(x, random_weights(rng, 8), n_heads=2, mask=allowed)
    assert trace.empty_rows == (2,)
    assert not np.isnan(trace.weights).any()
    assert (trace.weights[:, 2] == 0).all()
    assert (trace.head_outputs[:, 2] == 0).all() and (trace.output[2] == 0).all()
    np.testing.assert_allclose(trace.weights[:, [0, 1, 3]].sum(axis=-1), 1.0, atol=1e-6)


def test_output_is_concat_times_w_o_and_concat_is_merged_heads():
    trace = run_trace(AttentionConfig(text="to be or not to be", d_model=24, n_heads=3))
    np.testing.assert_allclose(trace.output, trace.concat @ trace.params.w_o, atol=1e-6)
    np.testing.assert_array_equal(trace.concat, merge_heads(trace.head_outputs))
    np.testing.assert_allclose(trace.q, trace.x @ trace.params.w_q, rtol=1e-5, atol=1e-5)


def test_split_merge_round_trip_and_head_columns():
    x = np.arange(3 * 12, dtype=np.float32).reshape(3, 12)
    heads = split_heads(x, 4)
    assert heads.shape == (4, 3, 3)
    np.testing.assert_array_equal(heads[1], x[:, 3:6])
    np.testing.assert_array_equal(merge_heads(heads), x)


def test_identical_keys_give_uniform_weights():
    # every token the same vector, no positions: all scores in a row are equal
    config = AttentionConfig(text="la la la la la", positional=False)
    trace = run_trace(config)
    np.testing.assert_allclose(trace.weights, 0.2, atol=1e-6)


def test_causal_first_row_is_one_hot_on_itself():
    trace = run_trace(AttentionConfig(text="a b c", mask="causal"))
    np.testing.assert_array_equal(trace.weights[:, 0], np.tile([1.0, 0.0, 0.0], (4, 1)))


def test_softmax_closed_form():
    scores = np.array([[0.0, np.log(3.0)], [-np.inf, 5.0], [-np.inf, -np.inf]])
    np.testing.assert_allclose(softmax(scores), [[0.25, 0.75], [0.0, 1.0], [0.0, 0.0]])


def test_scale_divides_scores_by_sqrt_head_dim():
    on = run_trace(AttentionConfig(text="x y z", d_model=64, n_heads=4, scale=True))
    off = run_trace(AttentionConfig(text="x y z", d_model=64, n_heads=4, scale=False))
    np.testing.assert_allclose(on.scores * 4.0, off.scores, rtol=1e-5)
    # without scaling the softmax is sharper
    assert off.weights.max(axis=-1).mean() > on.weights.max(axis=-1).mean()


def test_positional_encoding_separates_repeated_words():
    with_pos = run_trace(AttentionConfig(text="the cat saw the dog"))
    without = run_trace(AttentionConfig(text="the cat saw the dog", positional=False))
    np.testing.assert_array_equal(without.weights[:, 0], without.weights[:, 3])
    assert not np.allclose(with_pos.weights[:, 0], with_pos.weights[:, 3])
    np.testing.assert_array_equal(without.embeddings[0], without.embeddings[3])
    np.testing.assert_allclose(with_pos.x, with_pos.embeddings + with_pos.positional)
    # sinusoidal closed form: position 0 is (0, 1, 0, 1, ...)
    assert with_pos.positional[0, :4].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert with_pos.positional[1, 0] == pytest.approx(math.sin(1.0), abs=1e-6)


def test_default_softmax_is_neither_flat_nor_one_hot():
    trace = run_trace(AttentionConfig(text="the quick brown fox jumps over the lazy dog"))
    peak = trace.weights.max(axis=-1).mean()
    assert 1 / 9 + 0.05 < peak < 0.9


def test_steps_are_the_six_of_the_walkthrough_in_order():
    trace = run_trace(AttentionConfig())
    assert [s.id for s in trace.steps] == ["input", "projections", "split", "mask", "attention", "output"]
    assert [s.number for s in trace.steps] == [1, 2, 3, 4, 5, 6]
    for step in trace.steps:
        assert all(getattr(trace, name) is not None for name in step.arrays)


def test_caller_arrays_are_not_frozen_or_changed():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 8)).astype(np.float32)
    before = x.copy()
    multi_head_attention(x, random_weights(rng, 8), n_heads=2)
    assert x.flags.writeable
    np.testing.assert_array_equal(x, before)
