"""A BERT encoder (all-MiniLM-L6-v2, or any Hugging Face BERT checkpoint) in NumPy.

Reads ``config.json`` and ``model.safetensors`` and computes what ``transformers``' BertModel
computes with eager attention and no padding: embeddings, then per layer 1) projections,
2) attention, 3) concat and output projection with residual and LayerNorm, 4) the GELU
feed-forward with residual and LayerNorm. It keeps every layer's weights, queries, keys and
output. It must not tokenize, cache, or know about any particular model package.

Shapes: T tokens, C = d_model, nh heads, hs head size, F = feed-forward width.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np
from safetensors.numpy import load_file

from engine.attention import merge_heads, split_heads
from engine.pretrained.layers import DTYPE, attend, gelu, layer_norm, linear, run_stack
from engine.pretrained.trace import Activations, PretrainedError


@dataclass(frozen=True)
class BertConfig:
    """The fields of ``config.json`` that change the arithmetic."""

    n_layers: int  # num_hidden_layers
    n_heads: int  # num_attention_heads
    d_model: int  # hidden_size, C
    max_positions: int  # max_position_embeddings: the longest text the position table covers
    layer_norm_eps: float  # 1e-12 for BERT: far below float32 noise, but kept exact

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise PretrainedError(f"hidden_size {self.d_model} is not divisible by {self.n_heads} heads.")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def from_file(cls, path: str) -> BertConfig:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        if raw.get("model_type") != "bert":
            raise PretrainedError(f"{path} describes a {raw.get('model_type')!r} model; only BERT is supported.")
        if raw.get("hidden_act", "gelu") != "gelu" or raw.get("position_embedding_type", "absolute") != "absolute":
            raise PretrainedError(f"{path}: only BERT with exact GELU and absolute positions is supported.")
        return cls(raw["num_hidden_layers"], raw["num_attention_heads"], raw["hidden_size"],
                   raw["max_position_embeddings"], raw.get("layer_norm_eps", 1e-12))


@dataclass(frozen=True, eq=False)
class BertLayer:
    """One encoder layer's parameters; matrices are (C_in, C_out) views for ``x @ W``."""

    w_qkv: np.ndarray  # (C, 3C): query, key and value projections side by side, one matmul
    b_qkv: np.ndarray  # (3C,)
    w_o: np.ndarray
    b_o: np.ndarray
    norm1_w: np.ndarray
    norm1_b: np.ndarray
    w_in: np.ndarray  # (C, F)
    b_in: np.ndarray
    w_out: np.ndarray  # (F, C)
    b_out: np.ndarray
    norm2_w: np.ndarray
    norm2_b: np.ndarray


_QKV = ("query", "key", "value")  # under encoder.layer.{i}.attention.self.
_LAYER_TENSORS = {  # the other BertLayer fields -> name in the checkpoint, under encoder.layer.{i}.
    "w_o": "attention.output.dense.weight", "b_o": "attention.output.dense.bias",
    "norm1_w": "attention.output.LayerNorm.weight", "norm1_b": "attention.output.LayerNorm.bias",
    "w_in": "intermediate.dense.weight", "b_in": "intermediate.dense.bias",
    "w_out": "output.dense.weight", "b_out": "output.dense.bias",
    "norm2_w": "output.LayerNorm.weight", "norm2_b": "output.LayerNorm.bias",
}


class BertEncoder:
    """A loaded BERT: ``forward(token_ids)`` returns every layer's :class:`Activations`."""

    causal = False

    def __init__(self, checkpoint_dir: str):
        self.config = BertConfig.from_file(os.path.join(checkpoint_dir, "config.json"))
        tensors = _read_tensors(os.path.join(checkpoint_dir, "model.safetensors"))
        self.embeddings = {name: tensors(f"embeddings.{name}") for name in (
            "word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
            "LayerNorm.weight", "LayerNorm.bias")}
        self.layers = tuple(_layer(tensors, i) for i in range(self.config.n_layers))

    def embed(self, token_ids: np.ndarray) -> np.ndarray:
        """Word + position + segment-0 embeddings, then LayerNorm. (T, C)."""
        e = self.embeddings
        x = (e["word_embeddings.weight"][token_ids]
             + e["position_embeddings.weight"][: len(token_ids)]
             + e["token_type_embeddings.weight"][0])  # (T, C)
        return layer_norm(x, e["LayerNorm.weight"], e["LayerNorm.bias"], self.config.layer_norm_eps)

    def forward(self, token_ids: np.ndarray) -> Activations:
        cfg = self.config
        return run_stack(self.embed(token_ids), self.layers, self.layer_forward, cfg.n_heads, cfg.head_dim)

    def layer_forward(self, x: np.ndarray, w: BertLayer):
        """One encoder layer: (output (T, C), weights (nh, T, T), q (nh, T, hs), k (nh, T, hs))."""
        nh, eps = self.config.n_heads, self.config.layer_norm_eps
        # 1) projections (one matmul for all three), split into heads
        qkv = linear(x, w.w_qkv, w.b_qkv)  # (T, 3C)
        q, k, v = (split_heads(part, nh) for part in np.split(qkv, 3, axis=1))  # (nh, T, hs) each
        # 2) attention: every token sees every token (no padding, one sequence)
        heads, weights = attend(q, k, v, 1 / math.sqrt(self.config.head_dim))  # (nh, T, hs), (nh, T, T)
        # 3) concat and output projection, residual, LayerNorm
        x = layer_norm(x + linear(merge_heads(heads), w.w_o, w.b_o), w.norm1_w, w.norm1_b, eps)  # (T, C)
        # 4) feed-forward: C -> F -> C with exact GELU, residual, LayerNorm
        hidden = gelu(linear(x, w.w_in, w.b_in))  # (T, F)
        x = layer_norm(x + linear(hidden, w.w_out, w.b_out), w.norm2_w, w.norm2_b, eps)  # (T, C)
        return x, weights, q, k


def _read_tensors(path: str):
    """A lookup ``name -> float32 array`` over a safetensors file, tolerant of a 'bert.' prefix."""
    try:
        raw = load_file(path)
    except Exception as error:  # safetensors raises its own error types for corrupt files
        raise PretrainedError(f"Cannot read the weights {path}: {error}") from error
    tensors = {name.removeprefix("bert."): array for name, array in raw.items()}

    def tensor(name: str) -> np.ndarray:
        if name not in tensors:
            raise PretrainedError(f"{path} has no tensor {name!r}; is this a BERT checkpoint?")
        return tensors[name].astype(DTYPE, copy=False)

    return tensor


def _layer(tensors, index: int) -> BertLayer:
    """Layer ``index``'s parameters; PyTorch stores Linear weights (C_out, C_in), so transpose."""
    prefix = f"encoder.layer.{index}."
    fields = {}
    for field, name in _LAYER_TENSORS.items():
        array = tensors(prefix + name)
        fields[field] = array.T if field.startswith("w_") else array  # a view, not a copy
    qkv = [f"{prefix}attention.self.{name}" for name in _QKV]
    fields["w_qkv"] = np.concatenate([tensors(f"{n}.weight") for n in qkv]).T  # (C, 3C)
    fields["b_qkv"] = np.concatenate([tensors(f"{n}.bias") for n in qkv])  # (3C,)
    return BertLayer(**fields)
