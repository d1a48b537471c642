"""SmolLM2-135M-Instruct from its GGUF in NumPy against transformers loading the same GGUF."""

from __future__ import annotations

import numpy as np
import pytest

from engine.pretrained import PretrainedError, load_model
from tests.pretrained.helpers import (
    SENTENCES, assert_attention_consistent, reference, reference_token_ids,
)


@pytest.mark.parametrize("text, want", reference_token_ids("smollm2").items())
def test_token_ids_equal_hugging_face(smollm2, text, want):
    assert smollm2.tokenizer.encode(text)[0] == want  # no BOS, control tokens kept whole


@pytest.mark.parametrize("n", [0, 1])
def test_attentions_equal_hugging_face(smollm2, n):
    ref = reference("smollm2")
    trace = smollm2.run(SENTENCES[n])
    assert trace.token_ids == ref[f"ids_{n}"].tolist()
    assert trace.attentions.shape[:2] == (30, 9)
    got = trace.attentions[ref["attention_layers"]]  # the reference keeps a few layers only
    np.testing.assert_allclose(got, ref[f"attentions_{n}"], rtol=0, atol=1e-4)


def test_hidden_states_equal_hugging_face(smollm2):
    ref = reference("smollm2")
    want = ref["hidden_states_0"]
    got = smollm2.run(SENTENCES[0]).hidden_states  # (L + 1, T, C)
    assert got.shape == (31, 7, 576)
    assert np.abs(got[ref["hidden_layers"]] - want).max() <= 1e-4 * np.abs(want).max()


def test_causal_upper_triangle_is_exactly_zero(smollm2):
    trace = smollm2.run(SENTENCES[1])
    upper = np.triu(np.ones((trace.n_tokens,) * 2, bool), k=1)
    assert np.all(trace.attentions[:, :, upper] == 0.0)
    assert trace.causal
    assert_attention_consistent(trace)


def test_readable_tokens_and_shared_key_heads(smollm2):
    trace = smollm2.run(SENTENCES[0])
    assert trace.tokens == ["The", " cat", " sat", " on", " the", " mat", "."]
    assert trace.queries.shape == trace.keys.shape == (30, 9, 7, 64)  # (L, nh, T, hs)
    for group in range(3):  # 9 query heads share 3 key heads: heads 3g, 3g+1, 3g+2 read key head g
        np.testing.assert_array_equal(trace.keys[:, 3 * group], trace.keys[:, 3 * group + 2])
    assert not np.array_equal(trace.keys[:, 0], trace.keys[:, 3])


def test_model_is_loaded_once_per_process(smollm2):
    assert load_model("smollm2") is smollm2
    assert load_model(" SmolLM2 ") is smollm2


def test_too_many_tokens(smollm2):
    with pytest.raises(PretrainedError, match="at most 256"):
        smollm2.run("cat " * 300)
