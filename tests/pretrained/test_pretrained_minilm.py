"""all-MiniLM-L6-v2 in NumPy against Hugging Face transformers (references committed beside)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.pretrained import PretrainedError
from tests.pretrained.helpers import (
    SENTENCES, assert_attention_consistent, reference, reference_token_ids,
)


@pytest.mark.parametrize("text, want", reference_token_ids("minilm").items())
def test_token_ids_equal_hugging_face(minilm, text, want):
    assert minilm.run(text).token_ids == want


@pytest.mark.parametrize("n", [0, 1])
def test_attentions_equal_hugging_face(minilm, n):
    ref = reference("minilm")
    trace = minilm.run(SENTENCES[n])
    assert trace.token_ids == ref[f"ids_{n}"].tolist()
    assert trace.attentions.shape == ref[f"attentions_{n}"].shape  # (L, nh, T, T)
    np.testing.assert_allclose(trace.attentions, ref[f"attentions_{n}"], rtol=0, atol=1e-4)


def test_hidden_states_equal_hugging_face(minilm):
    want = reference("minilm")["hidden_states_0"]  # (L + 1, T, C)
    got = minilm.run(SENTENCES[0]).hidden_states
    assert got.shape == want.shape == (7, 9, 384)
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_trace_shapes_tokens_and_consistency(minilm):
    trace = minilm.run(SENTENCES[0])
    assert trace.tokens == ["[CLS]", "the", "cat", "sat", "on", "the", "mat", ".", "[SEP]"]
    assert trace.queries.shape == trace.keys.shape == (6, 12, 9, 32)  # (L, nh, T, hs)
    assert trace.scale == pytest.approx(1 / np.sqrt(32))
    assert not trace.causal
    assert_attention_consistent(trace)
    assert (minilm.name, minilm.n_layers, minilm.n_heads, minilm.max_tokens) == ("all-MiniLM-L6-v2", 6, 12, 256)


def test_trace_is_read_only(minilm):
    trace = minilm.run(SENTENCES[0])
    with pytest.raises(ValueError):
        trace.attentions[0, 0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        trace.tokens = []


def test_no_truncation_or_padding_at_128(minilm):
    trace = minilm.run("word " * 200)
    assert len(trace.token_ids) == 202  # the file's own setting would cut or pad to 128
    assert 0 not in trace.token_ids  # no [PAD]


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("   \n\t", "empty"), ("\x00\x01", "no tokens"),
    ("word " * 300, "302 tokens long; all-MiniLM-L6-v2 takes at most 256"),
    ("x" * 30_000, "30000 characters long"), (None, "empty"),
])
def test_bad_text_raises_a_clear_error(minilm, text, message):
    with pytest.raises(PretrainedError, match=message):
        minilm.run(text)
