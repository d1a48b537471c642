"""Write the small reference arrays the pretrained tests compare against, from Hugging Face.

Run once, by hand, where torch and transformers are installed (the tests need neither):

    pip install torch==2.13.0 transformers accelerate   # accelerate: transformers needs it for GGUF
    python tests/pretrained/reference/make_reference.py

It loads the very files our engine loads (MiniLM's checkpoint folder; SmolLM2's GGUF, which
transformers dequantizes itself), runs transformers with eager attention in float32, and saves
token ids, attentions and a few hidden states as float32 ``.npz`` files beside this script,
plus ``token_ids.json`` with the HF tokenizer's ids for texts that stress the tokenizer.
To keep the files small, SmolLM2 keeps attentions of a few layers only.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..", "..", "..")))

from engine.pretrained import PACKAGES  # noqa: E402  (only to find the same files)

SENTENCES = ("The cat sat on the mat.", "In 2024, Ada's robot wrote 12 short poems; critics loved them!")
TOKENIZER_TEXTS = (
    "The cat sat on the mat.",
    "  Leading spaces,\ttabs\nand\n\nnewlines.",
    "Numbers 3.14159 and 1,000,000 and 2024-11-23.",
    "Ünïcödé café, naïve façade, 東京, emoji 😀🚀.",
    "don't can't we'll I'm you're",
    "<|im_start|>user\nHi there<|im_end|>",
    "[CLS] brackets [SEP] and [MASK] in text",
    "URLs like https://example.com/a?b=c&d=e",
)
SMOLLM2_LAYERS = (0, 1, 15, 29)  # attentions kept for SmolLM2: first, second, middle, last
SMOLLM2_HIDDEN = (0, 1, 15, 30)  # hidden states kept (index 30 = last layer output, before the final norm)


def run_hf(model, token_ids):
    """transformers' attentions (L, nh, T, T) and hidden states (L + 1, T, C), float32."""
    with torch.no_grad():
        out = model(torch.tensor([token_ids]), output_attentions=True, output_hidden_states=True)
    attentions = torch.stack(out.attentions)[:, 0].numpy().astype(np.float32)
    hidden = torch.stack(out.hidden_states)[:, 0].numpy().astype(np.float32)
    return attentions, hidden


def make_minilm(path):
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, attn_implementation="eager", dtype=torch.float32).eval()
    arrays = {}
    for n, text in enumerate(SENTENCES):
        ids = tokenizer(text)["input_ids"]
        attentions, hidden = run_hf(model, ids)
        arrays[f"ids_{n}"] = np.array(ids, dtype=np.int32)
        arrays[f"attentions_{n}"] = attentions
        if n == 0:
            arrays[f"hidden_states_{n}"] = hidden
    np.savez_compressed(os.path.join(HERE, "minilm.npz"), **arrays)
    return {text: tokenizer(text)["input_ids"] for text in TOKENIZER_TEXTS}


def hf_pre_norm_hidden(model, token_ids):
    """Each layer's raw output: transformers may hand back the last one after the final norm."""
    captured = []
    hooks = [layer.register_forward_hook(lambda m, i, o: captured.append(o[0] if isinstance(o, tuple) else o))
             for layer in model.model.layers]
    run_hf(model, token_ids)
    for hook in hooks:
        hook.remove()
    return np.stack([c[0].numpy() for c in captured]).astype(np.float32)  # (L, T, C)


def make_smollm2(path):
    folder, name = os.path.split(path)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, attn_implementation="eager", dtype=torch.float32).eval()
    arrays = {}
    for n, text in enumerate(SENTENCES):
        ids = tokenizer(text)["input_ids"]
        attentions, hidden = run_hf(model, ids)
        hidden[1:] = hf_pre_norm_hidden(model, ids)
        arrays[f"ids_{n}"] = np.array(ids, dtype=np.int32)
        arrays[f"attentions_{n}"] = attentions[list(SMOLLM2_LAYERS)]
        if n == 0:
            arrays[f"hidden_states_{n}"] = hidden[list(SMOLLM2_HIDDEN)]
    arrays["attention_layers"] = np.array(SMOLLM2_LAYERS)
    arrays["hidden_layers"] = np.array(SMOLLM2_HIDDEN)
    np.savez_compressed(os.path.join(HERE, "smollm2.npz"), **arrays)
    return {text: tokenizer(text)["input_ids"] for text in TOKENIZER_TEXTS}


def main():
    torch.manual_seed(0)
    ids = {"minilm": make_minilm(PACKAGES["minilm"].find()),
           "smollm2": make_smollm2(PACKAGES["smollm2"].find()),
           "made_with": {"torch": torch.__version__, "transformers": transformers.__version__}}
    with open(os.path.join(HERE, "token_ids.json"), "w", encoding="utf-8") as f:
        json.dump(ids, f, ensure_ascii=False, indent=1)
    for name in ("minilm.npz", "smollm2.npz", "token_ids.json"):
        print(name, os.path.getsize(os.path.join(HERE, name)), "bytes")


if __name__ == "__main__":
    main()
