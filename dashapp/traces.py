"""One trace per settings, computed once per worker: every server callback asks here.

A settings change fires several callbacks (main view, the other steps, inspector, metrics,
mask lab, explain), each with the same validated config; the trace is a pure function of
that config, so caching it per process keeps any worker answering any request the same way
while the engine runs once instead of six times. Traces are frozen and read-only.
"""

from __future__ import annotations

from functools import lru_cache

from engine import AttentionConfig, AttentionTrace, run_trace

CACHE_SIZE = 16  # 16 traces of the largest size (256 x 1024, 16 heads) stay under ~0.5 GB


@lru_cache(maxsize=CACHE_SIZE)
def trace_for(config: AttentionConfig) -> AttentionTrace:
    return run_trace(config)
