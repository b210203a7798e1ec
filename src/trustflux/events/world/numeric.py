"""Small vectorised helpers shared by the world modules (random streams, hashing, ids)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def stream(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one part of the world, fixed by ``seed`` and ``key``.

    Each stage and block draws from its own stream so that reordering or resizing work in
    one place never shifts the random numbers of another.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Stateless 64-bit mix: a stable pseudo-random value per key (contacts, anchors)."""
    z = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
    return z ^ (z >> np.uint64(31))


def unique_draws(n: int, space: int, rng: np.random.Generator) -> IntArray:
    """``n`` distinct pseudo-random integers in ``[0, space)`` without materialising the space.

    An affine map ``i -> (a * (i + c) + b) mod space`` with ``gcd(a, space) == 1`` is a
    bijection, so the values are unique; ``a`` stays small enough to never overflow int64.
    """
    if n > space:
        raise ValueError(f"cannot draw {n} distinct values from {space}")
    limit = max(3, min(space - 1, (2**62) // max(space, 1)))
    while True:
        a = int(rng.integers(max(2, limit // 3), limit + 1))
        if math.gcd(a, space) == 1:
            break
    b = int(rng.integers(0, space))
    c = int(rng.integers(0, space))
    i = (np.arange(n, dtype=np.int64) + c) % space
    return np.asarray((a * i + b) % space, dtype=np.int64)


def luhn_complete(body: IntArray, digits: int) -> IntArray:
    """Append the Luhn check digit to ``digits``-digit bodies (IMEI: 14 + 1)."""
    total = np.zeros(body.shape, dtype=np.int64)
    rest = body.copy()
    for position in range(digits):
        d = rest % 10
        rest //= 10
        if position % 2 == 0:  # rightmost body digit is doubled
            d = d * 2
            d = np.where(d > 9, d - 9, d)
        total += d
    check = (10 - total % 10) % 10
    return np.asarray(body * 10 + check, dtype=np.int64)


def luhn_valid(number: str) -> bool:
    """Whether a decimal string passes the Luhn check (used by tests and validation)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        d = int(char)
        if position % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def split_exact(total: int, weights: FloatArray) -> IntArray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=np.float64)
    share = w / w.sum() * total
    base: IntArray = np.floor(share).astype(np.int64)
    left = total - int(base.sum())
    if left > 0:
        order = np.argsort(-(share - base), kind="stable")
        base[order[:left]] += 1
    return base


def row_cdf(weights: FloatArray) -> FloatArray:
    """Row-normalised cumulative sums; rows without weight get a uniform distribution."""
    w = np.asarray(weights, dtype=np.float64)
    sums = w.sum(axis=-1, keepdims=True)
    uniform = np.ones_like(w) / w.shape[-1]
    safe = np.where(sums > 0, w / np.where(sums > 0, sums, 1.0), uniform)
    cdf = np.cumsum(safe, axis=-1)
    cdf[..., -1] = 1.0
    return cdf


def sample_rows(cdf: FloatArray, rows: IntArray, rng: np.random.Generator) -> IntArray:
    """One category per entry of ``rows``, drawn from that row of a row-wise CDF matrix.

    Offsetting each row's CDF by its row number makes the flattened matrix monotonic, so a
    single ``searchsorted`` serves every row at once.
    """
    n_rows, n_cols = int(cdf.shape[0]), int(cdf.shape[1])
    flat = (cdf + np.arange(n_rows, dtype=np.float64)[:, None]).ravel()
    u = rng.random(rows.shape[0]) * (1.0 - 1e-9)
    idx = np.searchsorted(flat, rows.astype(np.float64) + u, side="right")
    col: IntArray = np.clip(idx - rows.astype(np.int64) * n_cols, 0, n_cols - 1).astype(np.int64)
    return col


def sample_cdf(cdf: FloatArray, n: int, rng: np.random.Generator) -> IntArray:
    """``n`` draws from one CDF vector."""
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return np.clip(idx, 0, cdf.shape[0] - 1).astype(np.int64)
