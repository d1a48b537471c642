"""Step 1's raw material: one vector per token, plus sinusoidal positions.

Every vector is a pure function of (what the token is, the seed, d_model), so the same
settings give the same numbers in every process and on every machine:

* **words** — a token's vector is drawn from a Philox generator keyed by a ``blake2b``
  digest of the seed, d_model and the token's UTF-8 bytes (never Python's salted ``hash()``):
  the same word gets the same vector wherever it stands.
* **numbers** — a value v becomes ``sqrt(2) * R @ [sin(v*w_k), cos(v*w_k)]`` with
  frequencies ``w_k`` log-spaced from 1 down to 0.01 and ``R`` a seeded random rotation.
  Nearby numbers get nearby vectors (the map is smooth: |e(a) - e(b)| <= sqrt(2 sum w_k^2)
  |a - b|), distinct numbers get distinct vectors (the slowest wave has period 200*pi and
  the frequencies are incommensurate), and every vector has the same length, like words.
* **random** — ``seq_len`` standard normal vectors from the seed (the first seed app's model).

All three have entries of mean square about 1, so the positional encoding (entries in
[-1, 1]) is felt but does not drown the tokens. Results are cached and read-only.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

# float32 on purpose: it is what the browser receives (float32 typed arrays), what the
# pretrained checkpoints store, and it halves memory and matmul time. Softmax with the row
# maximum subtracted keeps the error near 1e-7, far below the 3 decimals the UI shows.
DTYPE = np.float32

# Separate random streams, so changing one use of the seed never shifts another.
STREAM_WORDS, STREAM_NUMBERS, STREAM_RANDOM, STREAM_WEIGHTS = 1, 2, 3, 4


def seeded_generator(seed: int, stream: int, *extra: int) -> np.random.Generator:
    """A generator that depends only on its integer arguments (SeedSequence is stable)."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream, *extra]))


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@lru_cache(maxsize=8192)
def word_vector(token: str, seed: int, d_model: int) -> np.ndarray:
    """The (C,) vector of one word token: a Philox stream keyed by a stable digest.

    The 128-bit key is blake2b of (seed, d_model, the token's UTF-8 bytes): Philox takes it as
    it is, which is half the cost of a SeedSequence per word (41 vs 87 us) and just as stable.
    """
    message = f"{STREAM_WORDS}|{seed}|{d_model}|".encode() + token.encode("utf-8")
    key = np.frombuffer(hashlib.blake2b(message, digest_size=16).digest(), dtype="<u8")
    rng = np.random.Generator(np.random.Philox(key=key))
    return _frozen(rng.standard_normal(d_model, dtype=DTYPE))  # (C,)


@lru_cache(maxsize=32)
def _number_map(seed: int, d_model: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (m,) and a random rotation (C, C) for the number embedding."""
    n_waves = (d_model + 1) // 2
    frequencies = np.logspace(0.0, -2.0, n_waves)  # (m,) from 1 down to 0.01
    gaussian = seeded_generator(seed, STREAM_NUMBERS, d_model).standard_normal((d_model, d_model))
    rotation, _ = np.linalg.qr(gaussian)  # (C, C) orthogonal
    return _frozen(frequencies), _frozen(rotation)


def number_embeddings(values: tuple[float, ...], seed: int, d_model: int) -> np.ndarray:
    """(T, C) vectors for scalars: smooth in the value, equal length for every value."""
    frequencies, rotation = _number_map(seed, d_model)
    phases = np.asarray(values, dtype=np.float64)[:, None] * frequencies  # (T, m)
    waves = np.stack([np.sin(phases), np.cos(phases)], axis=-1).reshape(len(values), -1)
    features = np.sqrt(2.0) * waves[:, :d_model]  # (T, C), mean square 1
    return (features @ rotation.T).astype(DTYPE)  # (T, C)


def word_embeddings(tokens: tuple[str, ...], seed: int, d_model: int) -> np.ndarray:
    """(T, C): one cached vector per distinct word."""
    return np.stack([word_vector(t, seed, d_model) for t in tokens])


@lru_cache(maxsize=32)
def random_embeddings(n_tokens: int, seed: int, d_model: int) -> np.ndarray:
    """(T, C) standard normal vectors from the seed (cached: random mode redraws often)."""
    rng = seeded_generator(seed, STREAM_RANDOM, d_model)
    return _frozen(rng.standard_normal((n_tokens, d_model), dtype=DTYPE))


@lru_cache(maxsize=32)
def positional_encoding(n_tokens: int, d_model: int) -> np.ndarray:
    """(T, C) sinusoidal positions (Vaswani et al. 2017): sin on even dims, cos on odd."""
    positions = np.arange(n_tokens)[:, None]  # (T, 1)
    pair_index = np.arange(d_model) // 2  # (C,) 0, 0, 1, 1, 2, 2, ...
    angles = positions / np.power(10000.0, 2 * pair_index / d_model)  # (T, C)
    encoding = np.where(np.arange(d_model) % 2 == 0, np.sin(angles), np.cos(angles))
    return _frozen(encoding.astype(DTYPE))


def token_embeddings(config) -> np.ndarray:
    """(T, C) embeddings for an :class:`engine.config.AttentionConfig`, before positions."""
    if config.resolved_mode == "random":
        return random_embeddings(len(config.tokens), config.seed, config.d_model)
    if config.resolved_mode == "numbers":
        return number_embeddings(config.numbers, config.seed, config.d_model)
    return word_embeddings(config.tokens, config.seed, config.d_model)
