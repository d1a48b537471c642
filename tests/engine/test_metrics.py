"""Head metrics and rollout on cases whose answers are known in closed form."""

import dataclasses
import math

import numpy as np
import pytest

from engine.metrics import (
    METRIC_NAMES,
    HeadMetrics,
    attention_rollout,
    head_metrics,
    layer_head_metrics,
    metrics_table,
)


def uniform(n_heads, n_tokens):
    return np.full((n_heads, n_tokens, n_tokens), 1.0 / n_tokens)  # (nh, T, T)


def previous_token_heads(n_heads, n_tokens):
    """Each query i >= 1 puts all weight on key i - 1; query 0 on itself."""
    one_hot = np.zeros((n_tokens, n_tokens))
    one_hot[0, 0] = 1.0
    one_hot[np.arange(1, n_tokens), np.arange(n_tokens - 1)] = 1.0
    return np.broadcast_to(one_hot, (n_heads, n_tokens, n_tokens)).copy()  # (nh, T, T)


def random_weights(rng, *shape):
    logits = rng.normal(size=shape)
    exps = np.exp(logits)
    return exps / exps.sum(axis=-1, keepdims=True)


# ---- head metrics -------------------------------------------------------------------------


@pytest.mark.parametrize("n_tokens", [2, 3, 5, 8])
def test_uniform_rows(n_tokens):
    metrics = head_metrics(uniform(3, n_tokens))
    np.testing.assert_allclose(metrics.entropy, 1.0)
    np.testing.assert_allclose(metrics.max_weight, 1.0 / n_tokens)
    # mean over i of (1/T) sum_j |i - j| = (1/T^2) * (T^3 - T) / 3
    np.testing.assert_allclose(metrics.distance, (n_tokens**2 - 1) / (3 * n_tokens))
    np.testing.assert_allclose(metrics.first_token, 1.0 / n_tokens)
    np.testing.assert_allclose(metrics.previous_token, 1.0 / n_tokens)
    np.testing.assert_allclose(metrics.diagonal, 1.0 / n_tokens)
    np.testing.assert_array_equal(metrics.valid_rows, n_tokens)


def test_uniform_distance_by_hand_for_three_tokens():
    # rows: (0+1+2)/3, (1+0+1)/3, (2+1+0)/3 -> mean (3 + 2 + 3) / 9 = 8/9
    assert head_metrics(uniform(1, 3)).distance[0] == pytest.approx(8 / 9)


def test_previous_token_one_hot():
    n_tokens = 6
    weights = previous_token_heads(2, n_tokens)
    metrics = head_metrics(weights)
    np.testing.assert_allclose(metrics.previous_token, 1.0)
    np.testing.assert_allclose(metrics.entropy, 0.0)
    np.testing.assert_allclose(metrics.max_weight, 1.0)
    # query 0 sits on itself (distance 0); the other T - 1 rows are 1 away
    np.testing.assert_allclose(metrics.distance, (n_tokens - 1) / n_tokens)
    np.testing.assert_allclose(metrics.diagonal, 1.0 / n_tokens)


def test_previous_token_one_hot_skipping_query_zero_gives_distance_one():
    # query 0 fully masked (all zero), every other query one-hot on i - 1
    weights = previous_token_heads(1, 5)
    weights[:, 0, :] = 0.0
    metrics = head_metrics(weights)
    np.testing.assert_allclose(metrics.distance, 1.0)
    np.testing.assert_allclose(metrics.previous_token, 1.0)
    np.testing.assert_array_equal(metrics.valid_rows, 4)


def test_identity_is_all_diagonal():
    metrics = head_metrics(np.eye(4)[None])  # (1, T, T)
    np.testing.assert_allclose(metrics.diagonal, 1.0)
    np.testing.assert_allclose(metrics.distance, 0.0)
    np.testing.assert_allclose(metrics.entropy, 0.0)
    np.testing.assert_allclose(metrics.previous_token, 0.0)
    np.testing.assert_allclose(metrics.first_token, 0.25)  # only query 0 looks at key 0


def test_first_token_sink():
    weights = np.zeros((1, 5, 5))
    weights[0, :, 0] = 1.0
    metrics = head_metrics(weights)
    np.testing.assert_allclose(metrics.first_token, 1.0)
    # query i sits i positions from key 0: mean of 0..4 is 2
    np.testing.assert_allclose(metrics.distance, 2.0)
    # only query 1's previous token is key 0: 1 of the 4 rows i >= 1
    np.testing.assert_allclose(metrics.previous_token, 0.25)


def test_heads_are_independent():
    weights = np.stack([uniform(1, 4)[0], np.eye(4)])  # (2, T, T)
    metrics = head_metrics(weights)
    np.testing.assert_allclose(metrics.entropy, [1.0, 0.0])
    np.testing.assert_allclose(metrics.diagonal, [0.25, 1.0])


def test_fully_masked_rows_are_left_out_without_nan():
    weights = uniform(2, 4)
    weights[0, 1:, :] = 0.0  # head 0: only query 0 attends
    weights[1] = 0.0  # head 1: no query attends at all
    with np.errstate(all="raise"):
        metrics = head_metrics(weights)
    for name in METRIC_NAMES:
        values = getattr(metrics, name)
        assert not np.isnan(values).any(), name
        assert values[1] == 0.0, name
    np.testing.assert_array_equal(metrics.valid_rows, [1, 0])
    assert metrics.entropy[0] == pytest.approx(1.0)
    assert metrics.max_weight[0] == pytest.approx(0.25)
    assert metrics.previous_token[0] == 0.0  # query 0 has no previous token: nothing counts


def test_entropy_normalised_by_allowed_keys():
    causal = np.tril(np.ones((4, 4), dtype=bool))
    weights = (causal / causal.sum(axis=1, keepdims=True))[None]  # even over what is visible
    with_mask = head_metrics(weights, allowed=causal)
    # rows 1..3 have entropy 1 against their own key count; row 0 has one key: 0
    assert with_mask.entropy[0] == pytest.approx(3 / 4)
    without_mask = head_metrics(weights)
    expected = (0 + math.log(2) + math.log(3) + math.log(4)) / math.log(4) / 4
    assert without_mask.entropy[0] == pytest.approx(expected)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"\(nh, T, T\)"):
        head_metrics(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"\(nh, T, T\)"):
        head_metrics(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="allowed"):
        head_metrics(uniform(1, 3), allowed=np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="NaN"):
        head_metrics(np.full((1, 2, 2), np.nan))


def test_results_are_frozen():
    metrics = head_metrics(uniform(2, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        metrics.entropy = np.zeros(2)
    with pytest.raises(ValueError):
        metrics.entropy[0] = 0.0


def test_metric_names_match_the_fields():
    names = [field.name for field in dataclasses.fields(HeadMetrics)]
    assert names == [*METRIC_NAMES, "valid_rows"]
    for info in METRIC_NAMES.values():
        assert info.label and info.description.endswith(".")


def test_metrics_table_rows():
    weights = np.stack([uniform(1, 4)[0], np.eye(4)])  # (2, T, T)
    rows = metrics_table(weights)
    assert [row["head"] for row in rows] == [0, 1]
    assert set(rows[0]) == {"head", *METRIC_NAMES}
    assert all(type(value) in (int, float) for row in rows for value in row.values())
    assert rows[1]["diagonal"] == pytest.approx(1.0)
    assert rows == head_metrics(weights).table_rows()


def test_layer_version_equals_per_layer_calls():
    rng = np.random.default_rng(0)
    attentions = random_weights(rng, 3, 2, 5, 5)  # (L, nh, T, T)
    attentions[1, 0, 2:] = 0.0  # some fully masked rows
    allowed = np.tril(np.ones((5, 5), dtype=bool))
    for mask in (None, allowed):
        stacked = layer_head_metrics(attentions, allowed=mask)
        for name in [*METRIC_NAMES, "valid_rows"]:
            assert getattr(stacked, name).shape == (3, 2)
            for layer in range(3):
                per_layer = head_metrics(attentions[layer], allowed=mask)
                np.testing.assert_allclose(getattr(stacked, name)[layer],
                                           getattr(per_layer, name))
    with pytest.raises(ValueError, match=r"\(L, nh, T, T\)"):
        layer_head_metrics(attentions[0])


def test_one_token():
    metrics = head_metrics(np.ones((2, 1, 1)))
    np.testing.assert_allclose(metrics.entropy, 0.0)
    np.testing.assert_allclose(metrics.diagonal, 1.0)
    np.testing.assert_allclose(metrics.previous_token, 0.0)


# ---- rollout ------------------------------------------------------------------------------


def test_rollout_two_layers_by_hand():
    attentions = np.array([
        [[[1.0, 0.0], [0.5, 0.5]],
         [[1.0, 0.0], [1.0, 0.0]]],
        [[[0.5, 0.5], [0.5, 0.5]],
         [[0.0, 1.0], [0.0, 1.0]]],
    ])  # (L=2, nh=2, T=2, T=2)
    # layer 0: head mean [[1, 0], [.75, .25]]; (A + I) / 2 = [[1, 0], [.375, .625]]
    layer0 = [[1.0, 0.0], [0.375, 0.625]]
    # layer 1: head mean [[.25, .75], [.25, .75]]; (A + I) / 2 = [[.625, .375], [.125, .875]]
    # rollout = layer1 @ layer0:
    #   row 0: [.625 * 1 + .375 * .375, .375 * .625] = [.765625, .234375]
    #   row 1: [.125 * 1 + .875 * .375, .875 * .625] = [.453125, .546875]
    full = [[0.765625, 0.234375], [0.453125, 0.546875]]
    rollouts = attention_rollout(attentions)
    assert rollouts.shape == (2, 2, 2)
    np.testing.assert_allclose(rollouts[0], layer0)
    np.testing.assert_allclose(rollouts[1], full)


def test_rollout_without_residual_by_hand():
    attentions = np.array([
        [[[1.0, 0.0], [0.5, 0.5]]],
        [[[0.0, 1.0], [1.0, 0.0]]],
    ])  # (L=2, nh=1, T=2, T=2)
    # swap rows of layer 0: [[.5, .5], [1, 0]]
    rollouts = attention_rollout(attentions, add_residual=False)
    np.testing.assert_allclose(rollouts[1], [[0.5, 0.5], [1.0, 0.0]])


def test_rollout_rows_sum_to_one():
    rng = np.random.default_rng(1)
    attentions = random_weights(rng, 4, 3, 6, 6)  # (L, nh, T, T)
    attentions[:, :, 0] = 0.0  # a fully masked query in every layer
    rollouts = attention_rollout(attentions)
    assert rollouts.shape == (4, 6, 6)
    np.testing.assert_allclose(rollouts.sum(axis=-1), 1.0)
    assert (rollouts >= 0).all()


def test_rollout_of_identity_stays_identity():
    attentions = np.eye(5)[None, None]  # (L=1, nh=1, T, T)
    np.testing.assert_allclose(attention_rollout(attentions)[0], np.eye(5))
    np.testing.assert_allclose(attention_rollout(attentions, add_residual=False)[0], np.eye(5))


def test_rollout_without_residual_keeps_masked_rows_zero():
    attentions = uniform(2, 3)[None]  # (L=1, nh=2, T, T)
    attentions[..., 1, :] = 0.0
    with np.errstate(all="raise"):
        rollouts = attention_rollout(attentions, add_residual=False)
    np.testing.assert_array_equal(rollouts[0, 1], 0.0)
