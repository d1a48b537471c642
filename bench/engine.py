"""Benchmark: median time of ``run_trace`` against the bare matrix products it cannot avoid.

The floor is the matrix products of the forward pass (x @ [W_q | W_k | W_v] as one product,
Q K^T per head, weights @ V per head, concat @ W_o) on ready-made float32 inputs, timed in
the same run, so the ratio says how much the engine adds on top (tokenizing, embedding, masking,
softmax, freezing). Prints figures; asserts nothing. Run: ``python bench/engine.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import AttentionConfig, run_trace, split_heads  # noqa: E402
from engine.attention import init_weights  # noqa: E402

SIZES = [(8, 64, 4), (32, 128, 8), (128, 512, 8), (256, 1024, 16)]


def median_ms(fn, repeats: int) -> float:
    fn()  # warm caches (weights, embeddings) like a live server would be
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def floor_products(n_tokens: int, d_model: int, n_heads: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n_tokens, d_model), dtype=np.float32)
    w = init_weights(0, d_model)
    attn = np.full((n_heads, n_tokens, n_tokens), 1.0 / n_tokens, np.float32)

    def run():
        q, k, v = np.split(x @ w.w_qkv, 3, axis=1)  # the fastest form of the three projections
        qh, kh, vh = (split_heads(m, n_heads) for m in (q, k, v))
        qh @ kh.transpose(0, 2, 1)
        out = attn @ vh
        out.transpose(1, 0, 2).reshape(n_tokens, d_model) @ w.w_o

    return run


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print(f"{'tokens':>6} {'d_model':>7} {'heads':>5} {'run_trace ms':>12} {'floor ms':>9} {'ratio':>6}")
    for n_tokens, d_model, n_heads in SIZES:
        config = AttentionConfig(
            input_mode="random", seq_len=n_tokens, d_model=d_model, n_heads=n_heads, mask="causal"
        )
        trace_ms = median_ms(lambda: run_trace(config), repeats)
        floor_ms = median_ms(floor_products(n_tokens, d_model, n_heads), repeats)
        print(f"{n_tokens:>6} {d_model:>7} {n_heads:>5} {trace_ms:>12.3f} {floor_ms:>9.3f} "
              f"{trace_ms / floor_ms:>6.2f}")


if __name__ == "__main__":
    main()
