"""Tokenizing, embedding and validating the user's input."""

import numpy as np
import pytest

from engine import AttentionConfig, AttentionWeights, ConfigError, multi_head_attention, run_trace


def test_words_keep_case_and_split_punctuation():
    config = AttentionConfig(text="Hi, you! Don't stop state-of-the-art The the")
    assert config.resolved_mode == "words"
    assert config.tokens == ("Hi", ",", "you", "!", "Don't", "stop", "state-of-the-art", "The", "the")


def test_same_word_same_vector_wherever_it_stands():
    trace = run_trace(AttentionConfig(text="dog bites dog", positional=False))
    np.testing.assert_array_equal(trace.x[0], trace.x[2])
    other = run_trace(AttentionConfig(text="a dog", positional=False))
    np.testing.assert_array_equal(other.x[1], trace.x[0])


def test_numbers_parse_commas_and_spaces_and_auto_detects():
    config = AttentionConfig(text="1, 2.5 -3,4e1")
    assert config.resolved_mode == "numbers"
    assert config.numbers == (1.0, 2.5, -3.0, 40.0)
    assert AttentionConfig(text="1 2 three").resolved_mode == "words"


def test_number_embedding_is_smooth_and_injective():
    def vectors(text):
        return run_trace(AttentionConfig(text=text, input_mode="numbers", positional=False)).x

    near = vectors("1 1.001 5")
    assert np.linalg.norm(near[0] - near[1]) < 0.01 * np.linalg.norm(near[0] - near[2])
    far = vectors("0 10 100 1000 -0.5 0.5")
    distances = np.linalg.norm(far[:, None] - far[None], axis=-1)
    assert (distances[~np.eye(6, dtype=bool)] > 0.05).all()
    # every number vector has the same length, like words of mean square 1
    norms = np.linalg.norm(far, axis=1)
    np.testing.assert_allclose(norms, norms[0], rtol=1e-4)
    assert 0.8 < norms[0] ** 2 / 64 < 1.2


def test_random_mode_labels_and_prefix_stability():
    config = AttentionConfig(input_mode="random", seq_len=5, text="")
    assert config.tokens == ("t0", "t1", "t2", "t3", "t4")
    longer = run_trace(AttentionConfig(input_mode="random", seq_len=7, positional=False))
    shorter = run_trace(AttentionConfig(input_mode="random", seq_len=5, positional=False))
    np.testing.assert_array_equal(longer.x[:5], shorter.x)


@pytest.mark.parametrize(
    "settings, fragment",
    [
        (dict(text=""), "empty"),
        (dict(text="   \n "), "empty"),
        (dict(text=" , ,", input_mode="numbers"), "no tokens"),
        (dict(text="w " * 257), "too many tokens"),
        (dict(text="x" * 1_000_000), "characters"),
        (dict(input_mode="random", seq_len=257), "between 1 and 256"),
        (dict(input_mode="random", seq_len=0), "between 1 and 256"),
        (dict(d_model=2, n_heads=1), "between 4 and 1024"),
        (dict(d_model=2048, n_heads=1), "between 4 and 1024"),
        (dict(n_heads=0), "between 1 and 16"),
        (dict(n_heads=17, d_model=68), "between 1 and 16"),
        (dict(d_model=30, n_heads=4), "try 28 or 32"),
        (dict(d_model=4, n_heads=8), "try 8"),
        (dict(text="a b c", mask="padding", n_pad=3), "at most 2"),
        (dict(n_pad=-1), "n_pad"),
        (dict(text="1 2 nan", input_mode="numbers"), "'nan'"),
        (dict(text="1 inf", input_mode="numbers"), "'inf'"),
        (dict(text="1 two", input_mode="numbers"), "'two'"),
        (dict(seed=-1), "seed"),
        (dict(seed=2**32), "seed"),
        (dict(input_mode="letters"), "input mode"),
        (dict(mask="future"), "mask"),
        (dict(d_model="64"), "whole number"),
        (dict(d_model=64.0), "whole number"),
        (dict(n_heads=True), "whole number"),
        (dict(text=None), "string"),
        (dict(positional="yes"), "true or false"),
        (dict(input_mode=None), "input mode"),
    ],
)
def test_bad_input_raises_config_error_with_a_useful_message(settings, fragment):
    with pytest.raises(ConfigError, match=None) as info:
        AttentionConfig(**settings)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_multi_head_attention_rejects_bad_arrays():
    w = AttentionWeights(*(np.eye(8, dtype=np.float32) for _ in range(4)))
    x = np.ones((3, 8), np.float32)
    with pytest.raises(ConfigError, match="divisible"):
        multi_head_attention(x, w, n_heads=3)
    with pytest.raises(ConfigError, match="NaN"):
        multi_head_attention(np.full((3, 8), np.nan, np.float32), w, n_heads=2)
    with pytest.raises(ConfigError, match="mask"):
        multi_head_attention(x, w, n_heads=2, mask=np.ones((2, 2), bool))
