"""The GGUF layout fix: llama.cpp permutes q/k rows for interleaved rotary; we must undo it."""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf", reason="pip install -r requirements-models.txt")

from engine.pretrained.llama import unpermute_rotary  # noqa: E402


def llama_cpp_permute(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute, as llama.cpp writes q and k."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


@pytest.mark.parametrize("n_heads", [1, 3, 9])
def test_unpermute_undoes_llama_cpp_permute(n_heads):
    w = np.random.default_rng(n_heads).standard_normal((n_heads * 8, 5)).astype(np.float32)
    permuted = llama_cpp_permute(w, n_heads)
    assert not np.array_equal(permuted, w)
    np.testing.assert_array_equal(unpermute_rotary(permuted, n_heads), w)


def test_files_that_are_not_llama_gguf_raise_clear_errors(tmp_path):
    from engine.pretrained import PretrainedError
    from engine.pretrained.llama import load_gguf

    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"not a gguf file at all")
    with pytest.raises(PretrainedError, match="Cannot read the GGUF file"):
        load_gguf(str(garbage))
    bert = tmp_path / "bert.gguf"
    writer = gguf.GGUFWriter(str(bert), "bert")
    writer.add_tokenizer_model("gpt2")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(PretrainedError, match="not a Llama model"):
        load_gguf(str(bert))
