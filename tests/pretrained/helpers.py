"""Helpers for the pretrained-model tests: load a model or skip with the install command as the
reason, read the committed Hugging Face references, check a trace against its own q and k."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from engine.pretrained import PACKAGES, load_model

REFERENCE_DIR = os.path.join(os.path.dirname(__file__), "reference")
SENTENCES = ("The cat sat on the mat.", "In 2024, Ada's robot wrote 12 short poems; critics loved them!")


def model_or_skip(key: str):
    package = PACKAGES[key]
    if package.find() is None:
        pytest.skip(f"{package.name} is not installed: {package.install_command}")
    return load_model(key)


def reference(key: str) -> dict[str, np.ndarray]:
    with np.load(os.path.join(REFERENCE_DIR, f"{key}.npz")) as data:
        return dict(data)


def reference_token_ids(key: str) -> dict[str, list[int]]:
    with open(os.path.join(REFERENCE_DIR, "token_ids.json"), encoding="utf-8") as f:
        return json.load(f)[key]


def assert_attention_consistent(trace):
    """Rows sum to 1, and softmax(q k^T * scale) rebuilt from the kept q and k gives the weights."""
    np.testing.assert_allclose(trace.attentions.sum(axis=-1), 1.0, atol=1e-5)
    scores = trace.queries @ trace.keys.swapaxes(-1, -2) * trace.scale  # (L, nh, T, T)
    if trace.causal:
        scores = np.where(np.tril(np.ones((trace.n_tokens,) * 2, bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(trace.attentions, weights, atol=1e-5)
