"""Benchmark the pretrained models: load time, forward time at 16/64/256 tokens, peak memory.

    python bench/pretrained.py            # every installed model, ours and (if present) torch's
    python bench/pretrained.py --quick    # 3 rounds instead of 9
    python bench/pretrained.py minilm     # one model only

Each (engine, model) pair lives in its own fresh interpreter, so load times include imports and
peak memory (``ru_maxrss``) is that pair's alone. Where torch and transformers are installed,
the same model runs in transformers too (eager attention, float32, attentions and hidden states
returned, like ours). The two are timed in alternation, one forward each per round, so a busy
machine slows both alike; a forward is the model's pass on fixed token ids (no tokenizing).
Each figure is "best / median" over the rounds after one warm-up: on a shared machine the best
is the steadier measure of the code, the median of what a user waits. No asserts on time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LENGTHS = (16, 64, 256)
TEXT = ("Attention lets every token look at every other token and decide how much each one "
        "matters for what it should become next. ") * 40
PAUSE_S = 0.05  # between alternating engines: lets OpenMP/BLAS threads of the other one go idle


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def load_numpy(key: str):
    """Our model and a ``forward(n)`` that runs it on the first n token ids of TEXT."""
    from engine.pretrained import load_model

    model = load_model(key)
    ids = model.tokenizer.encode(TEXT)[0]
    import numpy as np

    return lambda n: model.network.forward(np.asarray(ids[:n], dtype=np.int64))


def load_torch(key: str):
    """transformers' model on the same files, and its ``forward(n)``."""
    import torch
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    from engine.pretrained import PACKAGES

    path = PACKAGES[key].find()
    if key == "smollm2":
        folder, name = os.path.split(path)
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, attn_implementation="eager", dtype=torch.float32).model.eval()
    else:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path, attn_implementation="eager", dtype=torch.float32).eval()
    ids = tokenizer(TEXT)["input_ids"]

    def forward(n):
        with torch.no_grad():
            model(torch.tensor([ids[:n]]), output_attentions=True, output_hidden_states=True)

    return forward


def serve(engine: str, key: str) -> None:
    """Worker: load, report, then time one forward per request line ('64'), until 'done'."""
    start = time.perf_counter()
    if engine == "torch":
        import torch  # noqa: F401  (timed apart: the import alone is a large share)
        import transformers  # noqa: F401
    imported = time.perf_counter()
    forward = (load_numpy if engine == "numpy" else load_torch)(key)
    print(json.dumps({"import_s": imported - start, "load_s": time.perf_counter() - imported,
                      "peak_after_load_mb": peak_mb()}), flush=True)
    for line in sys.stdin:
        if line.strip() == "done":
            break
        begin = time.perf_counter()
        forward(int(line))
        print(json.dumps({"s": time.perf_counter() - begin}), flush=True)
    print(json.dumps({"peak_mb": peak_mb()}), flush=True)


class Worker:
    """A worker process and a line-based request/reply over its pipes."""

    def __init__(self, engine: str, key: str):
        env = dict(os.environ, TRANSFORMERS_VERBOSITY="error", TQDM_DISABLE="1")
        self.engine = engine
        self.process = subprocess.Popen([sys.executable, __file__, "--worker", engine, key], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.result = self.reply()
        self.times = {n: [] for n in LENGTHS}

    def reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.engine} worker stopped (run it with --worker to see why)")
        return json.loads(line)

    def ask(self, request: str) -> dict:
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        return self.reply()

    def close(self) -> None:
        self.result |= self.ask("done")
        self.process.wait()


def bench_model(key: str, engines: tuple[str, ...], rounds: int) -> list[Worker]:
    workers = [Worker(engine, key) for engine in engines]  # loaded one after the other
    for n in LENGTHS:
        for worker in workers:
            worker.ask(str(n))  # warm-up
        for _ in range(rounds):
            for worker in workers:
                time.sleep(PAUSE_S)
                worker.times[n].append(worker.ask(str(n))["s"])
    for worker in workers:
        worker.close()
    return workers


def print_row(key: str, worker: Worker) -> None:
    r = worker.result
    forwards = "  ".join(f"{min(worker.times[n]) * 1000:6.1f} /{statistics.median(worker.times[n]) * 1000:7.1f}"
                         for n in LENGTHS)
    imports = f"  (+{r['import_s']:.1f} s to import torch, transformers)" if worker.engine == "torch" else ""
    print(f"{key:8} {worker.engine:6} {r['load_s']:7.2f}  {forwards}  {r['peak_after_load_mb']:8.0f}"
          f"  {r['peak_mb']:8.0f}{imports}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("models", nargs="*", help="model keys (default: all)")
    args = parser.parse_args()
    if args.worker:
        serve(*args.worker)
        return
    from engine.pretrained import available_models

    rounds = 3 if args.quick else args.rounds
    has_torch = all(importlib.util.find_spec(m) for m in ("torch", "transformers"))
    engines = ("numpy", "torch") if has_torch else ("numpy",)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"forward ms: best / median of {rounds} alternating rounds after a warm-up")
    print(f"{'model':8} {'engine':6} {'load s':>7}  " + "  ".join(f"{f'{n} tok ms':>15}" for n in LENGTHS)
          + f"  {'load MB':>8}  {'peak MB':>8}")
    for key, _, installed in available_models():
        if args.models and key not in args.models:
            continue
        if not installed:
            print(f"{key:8} not installed")
            continue
        for worker in bench_model(key, engines, rounds):
            print_row(key, worker)
    if not has_torch:
        print("torch/transformers absent: no comparison (pip install torch==2.13.0 transformers accelerate)")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (on a busy machine, compare rows, not runs)")


if __name__ == "__main__":
    main()
