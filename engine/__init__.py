"""Attention Atlas engine: multi-head self-attention in pure NumPy, with the whole trace.

Everything the dashboard draws comes from here. This package knows nothing of Dash or
Plotly (colours, labels, hover text and JSON live in ``dashapp``); it turns a validated
:class:`AttentionConfig` into an :class:`AttentionTrace` that holds every intermediate
array of the six steps the UI walks through.

Glossary (shape letters used in comments; public names use whole words):

    T   tokens in the sequence (no batch axis: one sequence at a time)
    C   d_model, the width of every token vector
    nh  n_heads, the number of attention heads
    hs  head_dim, the width of one head, C = nh * hs
    L   layers (pretrained models only)

Conventions: row vectors and ``x @ W`` (W is (C_in, C_out)); masks are boolean (T, T)
arrays where True means "query i may attend to key j"; arrays are float32 (see
``engine.attention.DTYPE`` for why) and read-only.
"""

from engine.attention import (
    AttentionTrace,
    AttentionWeights,
    Step,
    STEPS,
    merge_heads,
    multi_head_attention,
    run_trace,
    softmax,
    split_heads,
)
from engine.config import (
    INPUT_MODES,
    LIMITS,
    MASKS,
    AttentionConfig,
    ConfigError,
)
from engine.masks import build_mask, causal_mask, padding_mask

__all__ = [
    "AttentionConfig",
    "AttentionTrace",
    "AttentionWeights",
    "ConfigError",
    "INPUT_MODES",
    "LIMITS",
    "MASKS",
    "STEPS",
    "Step",
    "build_mask",
    "causal_mask",
    "merge_heads",
    "multi_head_attention",
    "padding_mask",
    "run_trace",
    "softmax",
    "split_heads",
]
