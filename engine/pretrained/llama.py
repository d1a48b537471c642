"""A Llama-style decoder (SmolLM2-135M-Instruct) in NumPy, read from a llama.cpp GGUF file.

Computes what ``transformers``' LlamaModel computes with eager attention: per layer
1) RMSNorm, projections, rotary position encoding, 2) causal attention with grouped key/value
heads, 3) concat and output projection with residual, 4) RMSNorm and the gated SiLU
feed-forward with residual. The quantized weights are dequantized once, at load, to float32
(about 420 MB for SmolLM2); the token embedding stays quantized and only the rows a text uses
are dequantized. llama.cpp stores q and k rows permuted for its interleaved rotary; they are
put back in Hugging Face's half-split order so queries and keys match theirs.

Shapes: T tokens, C = d_model, nh query heads, nkv key/value heads, hs head size, F = FFN width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import gguf
import numpy as np

from engine.attention import merge_heads, split_heads
from engine.masks import causal_mask
from engine.pretrained.layers import (
    DTYPE, apply_rotary, attend, repeat_kv, rms_norm, rotary_tables, run_stack, silu,
)
from engine.pretrained.tokenizer import TextTokenizer, tokenizer_from_gguf
from engine.pretrained.trace import Activations, PretrainedError


@dataclass(frozen=True)
class LlamaConfig:
    """The GGUF ``llama.*`` metadata that changes the arithmetic."""

    n_layers: int  # block_count
    n_heads: int  # attention.head_count: query heads
    n_kv_heads: int  # attention.head_count_kv: key/value heads, each shared by n_heads / n_kv_heads
    d_model: int  # embedding_length, C
    max_positions: int  # context_length
    rms_eps: float  # attention.layer_norm_rms_epsilon
    rope_base: float  # rope.freq_base: the slowest pair turns once per ~base positions

    def __post_init__(self):
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise PretrainedError(
                f"{self.d_model} dims, {self.n_heads} heads, {self.n_kv_heads} key/value heads do not divide.")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def from_reader(cls, reader: gguf.GGUFReader) -> LlamaConfig:
        def field(key):
            return _metadata(reader, f"llama.{key}")

        return cls(field("block_count"), field("attention.head_count"), field("attention.head_count_kv"),
                   field("embedding_length"), field("context_length"),
                   field("attention.layer_norm_rms_epsilon"), field("rope.freq_base"))


@dataclass(frozen=True, eq=False)
class LlamaLayer:
    """One decoder layer's parameters; matrices are (C_in, C_out) views for ``x @ W``."""

    attn_norm: np.ndarray  # (C,)
    w_q: np.ndarray  # (C, nh * hs)
    w_k: np.ndarray  # (C, nkv * hs)
    w_v: np.ndarray  # (C, nkv * hs)
    w_o: np.ndarray  # (C, C)
    ffn_norm: np.ndarray  # (C,)
    w_gate: np.ndarray  # (C, F)
    w_up: np.ndarray  # (C, F)
    w_down: np.ndarray  # (F, C)


class LlamaDecoder:
    """A loaded Llama: ``forward(token_ids)`` returns every layer's :class:`Activations`."""

    causal = True

    def __init__(self, config: LlamaConfig, embedding: np.ndarray, embedding_type, layers):
        self.config = config
        self.embedding = embedding  # (vocab, bytes per row) still quantized
        self.embedding_type = embedding_type
        self.layers = tuple(layers)

    def embed(self, token_ids: np.ndarray) -> np.ndarray:
        """Dequantize just the rows of the tokens in the text. (T, C)."""
        return gguf.dequantize(self.embedding[token_ids], self.embedding_type).astype(DTYPE, copy=False)

    def forward(self, token_ids: np.ndarray) -> Activations:
        cfg = self.config
        n_tokens = len(token_ids)
        cos, sin = rotary_tables(n_tokens, cfg.head_dim, cfg.rope_base)  # (T, hs) each
        layer = partial(self.layer_forward, cos=cos, sin=sin, allowed=causal_mask(n_tokens))
        return run_stack(self.embed(token_ids), self.layers, layer, cfg.n_heads, cfg.head_dim)

    def layer_forward(self, x, w: LlamaLayer, cos, sin, allowed):
        """One decoder layer: (output (T, C), weights (nh, T, T), q (nh, T, hs), k (nh, T, hs))."""
        cfg = self.config
        # 1) RMSNorm, projections, split into heads, rotate q and k by position
        h = rms_norm(x, w.attn_norm, cfg.rms_eps)  # (T, C)
        q = apply_rotary(split_heads(h @ w.w_q, cfg.n_heads), cos, sin)  # (nh, T, hs)
        k = apply_rotary(split_heads(h @ w.w_k, cfg.n_kv_heads), cos, sin)  # (nkv, T, hs)
        v = split_heads(h @ w.w_v, cfg.n_kv_heads)  # (nkv, T, hs)
        n_rep = cfg.n_heads // cfg.n_kv_heads
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)  # (nh, T, hs) each
        # 2) causal attention: token i sees tokens 0..i
        heads, weights = attend(q, k, v, 1 / math.sqrt(cfg.head_dim), allowed)  # (nh, T, hs), (nh, T, T)
        # 3) concat and output projection, residual
        x = x + merge_heads(heads) @ w.w_o  # (T, C)
        # 4) RMSNorm, gated feed-forward C -> F -> C, residual
        h = rms_norm(x, w.ffn_norm, cfg.rms_eps)  # (T, C)
        x = x + (silu(h @ w.w_gate) * (h @ w.w_up)) @ w.w_down  # (T, C)
        return x, weights, q, k


class _PlainReader(gguf.GGUFReader):
    """GGUFReader over a plain ndarray view of its memory map.

    Parsing 49k vocabulary strings slices the map ~10^6 times, and each ``np.memmap`` slice
    runs Python-level bookkeeping: a plain view of the same bytes reads the file about 3x faster.
    """

    @property
    def data(self):
        return self._plain

    @data.setter
    def data(self, value):
        self._plain = value.view(np.ndarray)


def load_gguf(path: str) -> tuple[TextTokenizer, LlamaDecoder]:
    """The tokenizer and decoder stored in a llama.cpp GGUF file (architecture llama only)."""
    try:
        reader = _PlainReader(path)
    except (ValueError, OSError) as error:
        raise PretrainedError(f"Cannot read the GGUF file {path}: {error}") from error
    if (_metadata(reader, "general.architecture"), _metadata(reader, "tokenizer.ggml.model")) != ("llama", "gpt2"):
        raise PretrainedError(f"{path} is not a Llama model with a byte-level BPE tokenizer; "
                              "only that kind is supported.")
    config = LlamaConfig.from_reader(reader)
    tokenizer = tokenizer_from_gguf(*(_metadata(reader, f"tokenizer.ggml.{name}")
                                      for name in ("tokens", "merges", "token_type")))
    reader.fields.clear()  # ~50 MB of parsed metadata: free it before the weights arrive
    tensors = {t.name: t for t in reader.tensors}
    embedding = tensors["token_embd.weight"]
    layers = [_layer(tensors, i, config) for i in range(config.n_layers)]
    decoder = LlamaDecoder(config, np.array(embedding.data), embedding.tensor_type, layers)
    return tokenizer, decoder  # the reader and its memory map are dropped here


def _metadata(reader: gguf.GGUFReader, key: str):
    """One metadata value (a number, a string or a list), or a clear error if it is missing."""
    if key not in reader.fields:
        raise PretrainedError(f"The GGUF file has no {key!r} entry; it is not a model we can read.")
    return reader.fields[key].contents()


def _dequantize(tensors, name: str) -> np.ndarray:
    """One tensor as float32, (rows, cols) = PyTorch's (C_out, C_in) for a matrix."""
    if name not in tensors:
        raise PretrainedError(f"The GGUF file has no tensor {name!r}.")
    tensor = tensors[name]
    array = gguf.dequantize(tensor.data, tensor.tensor_type).astype(DTYPE, copy=False)
    if np.may_share_memory(array, tensor.data):  # float32 tensors come back as views of the file:
        array = array.copy()  # copy, or they would keep the whole memory map alive
    return array


def unpermute_rotary(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Undo llama.cpp's q/k row permutation: per head, rows (pair, 2) -> (2, pair), i.e. the
    interleaved rotary layout back to Hugging Face's half split. (nh * hs, C_in)."""
    rows, cols = w.shape
    head_dim = rows // n_heads
    return w.reshape(n_heads, head_dim // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def _layer(tensors, index: int, config: LlamaConfig) -> LlamaLayer:
    def matrix(name):  # (C_in, C_out) view of the (C_out, C_in) array
        return _dequantize(tensors, f"blk.{index}.{name}.weight").T

    w_q = unpermute_rotary(_dequantize(tensors, f"blk.{index}.attn_q.weight"), config.n_heads)
    w_k = unpermute_rotary(_dequantize(tensors, f"blk.{index}.attn_k.weight"), config.n_kv_heads)
    return LlamaLayer(
        attn_norm=_dequantize(tensors, f"blk.{index}.attn_norm.weight"),
        w_q=w_q.T, w_k=w_k.T, w_v=matrix("attn_v"), w_o=matrix("attn_output"),
        ffn_norm=_dequantize(tensors, f"blk.{index}.ffn_norm.weight"),
        w_gate=matrix("ffn_gate"), w_up=matrix("ffn_up"), w_down=matrix("ffn_down"))
