"""Where noise comes from: OpenDP for releases, a seeded exact sampler for reproducibility.

Both draw from the same distribution, the discrete Gaussian N_Z(0, scale^2) on the integers
(P(x) proportional to exp(-x^2 / (2 scale^2))), so a release and its reproducible twin carry
the same guarantee on paper. Only OpenDP's sampler reads a cryptographic random source that no
one can replay; the seeded sampler exists so that two engines (DuckDB, Spark) given the same
input and seed can be shown to publish identical tables. Whoever knows the seed can subtract
the noise: a seeded release is never for publication, and its metadata says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np
import numpy.typing as npt

from trustflux.errors import StatisticsError
from trustflux.mobility.budget import gaussian_measurement

IntArray = npt.NDArray[np.int64]

_STREAM_DOMAIN = b"trustflux.mobility.noise/v1"
_CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class NoiseDescription:
    """What a release says about the noise it carries (goes into release.json)."""

    name: str
    cryptographic: bool
    for_publication: bool
    detail: str
    seed_fingerprint: str | None = None


class NoiseSource(Protocol):
    """Adds discrete Gaussian noise of a given scale to a vector of integer counts."""

    @property
    def description(self) -> NoiseDescription: ...

    def discrete_gaussian(self, counts: IntArray, scale: float, stream: str) -> IntArray:
        """``counts`` plus independent N_Z(0, scale^2) noise per cell.

        ``stream`` names the vector (period and indicator); a seeded source derives its
        random stream from it so that one indicator's noise never depends on another's.
        """
        ...


class OpenDPNoise:
    """Noise from OpenDP's discrete Gaussian measurement (exact sampling, OS CSPRNG).

    The measurement is built with the same constructor the budget accounts with, so the
    privacy map that was reported is the one of the mechanism that ran.
    """

    @property
    def description(self) -> NoiseDescription:
        return NoiseDescription(
            name="opendp",
            cryptographic=True,
            for_publication=True,
            detail="OpenDP make_gaussian on integer vectors: exact discrete Gaussian, "
            "randomness from the operating system's CSPRNG (cannot be replayed)",
        )

    def discrete_gaussian(self, counts: IntArray, scale: float, stream: str) -> IntArray:
        _check_scale(scale)
        if counts.size == 0:
            return counts.astype(np.int64)
        measurement = gaussian_measurement(scale)
        noisy = measurement(counts.astype(np.int64).tolist())
        return np.asarray(noisy, dtype=np.int64)


class SeededNoise:
    """Exact discrete Gaussian from a replayable stream, for reproducibility tests only.

    Sampling follows Canonne, Kamath and Steinke (2020), "The Discrete Gaussian for
    Differential Privacy", Algorithms 1-3: Bernoulli(exp(-gamma)) by alternating series,
    discrete Laplace by rejection, discrete Gaussian by rejection from the Laplace, all in
    integer arithmetic on the exact rational value of ``scale^2`` (no floating point).
    Random bits are SHAKE-256 of (seed, stream, chunk counter): the same seed and stream
    give the same noise on every machine and Python version.
    """

    def __init__(self, seed: bytes | str) -> None:
        raw = seed.encode("utf-8") if isinstance(seed, str) else bytes(seed)
        if len(raw) < 8:
            raise StatisticsError("a noise seed needs at least 8 bytes")
        self._seed = raw

    @property
    def description(self) -> NoiseDescription:
        fingerprint = hashlib.blake2b(self._seed, digest_size=8, person=b"tf-seed-fp").hexdigest()
        return NoiseDescription(
            name="seeded-discrete-gaussian",
            cryptographic=False,
            for_publication=False,
            detail="exact discrete Gaussian (Canonne-Kamath-Steinke 2020) on a SHAKE-256 "
            "stream keyed by a seed: replayable, for reproducibility tests only; whoever "
            "holds the seed can remove the noise",
            seed_fingerprint=fingerprint,
        )

    def discrete_gaussian(self, counts: IntArray, scale: float, stream: str) -> IntArray:
        _check_scale(scale)
        sampler = DiscreteGaussianSampler(ByteStream(self._seed, stream), scale)
        noise = [sampler.sample() for _ in range(counts.size)]
        return counts.astype(np.int64) + np.asarray(noise, dtype=np.int64).reshape(counts.shape)


class ByteStream:
    """Deterministic random bytes: SHAKE-256(domain, seed, stream, chunk index), chunked."""

    def __init__(self, seed: bytes, stream: str) -> None:
        label = stream.encode("utf-8")
        self._prefix = (
            _STREAM_DOMAIN
            + len(seed).to_bytes(4, "big")
            + seed
            + len(label).to_bytes(4, "big")
            + label
        )
        self._chunk = 0
        self._buffer = b""
        self._position = 0

    def take(self, n: int) -> bytes:
        end = self._position + n
        if end > len(self._buffer):
            rest = self._buffer[self._position :]
            while len(rest) < n:
                rest += self._next_chunk()
            self._buffer, self._position, end = rest, 0, n
        out = self._buffer[self._position : end]
        self._position = end
        return out

    def _next_chunk(self) -> bytes:
        data = hashlib.shake_256(self._prefix + self._chunk.to_bytes(8, "big")).digest(_CHUNK_BYTES)
        self._chunk += 1
        return data

    def below(self, m: int) -> int:
        """Uniform integer in [0, m), by rejection on just enough bits."""
        if m <= 1:
            return 0
        bits = (m - 1).bit_length()
        n = (bits + 7) >> 3
        shift = 8 * n - bits
        while True:
            x = int.from_bytes(self.take(n), "big") >> shift
            if x < m:
                return x


class DiscreteGaussianSampler:
    """N_Z(0, scale^2) in exact integer arithmetic over a ``ByteStream``."""

    def __init__(self, stream: ByteStream, scale: float) -> None:
        _check_scale(scale)
        variance = Fraction(scale) ** 2
        self._stream = stream
        self._a = variance.numerator
        self._b = variance.denominator
        self._t = int(Fraction(scale)) + 1  # floor(scale) + 1, the Laplace scale
        self._den = 2 * self._a * self._b * self._t * self._t

    def sample(self) -> int:
        a, b, t = self._a, self._b, self._t
        while True:
            y = self.discrete_laplace(t)
            # gamma = (|y| - scale^2 / t)^2 / (2 scale^2), as one exact fraction
            num = (abs(y) * b * t - a) ** 2
            if self.bernoulli_exp(num, self._den):
                return y

    def discrete_laplace(self, t: int) -> int:
        """P(x) proportional to exp(-|x| / t) on the integers (CKS Algorithm 2, s = 1)."""
        below = self._stream.below
        while True:
            u = below(t)
            if not self.bernoulli_exp_unit(u, t):
                continue
            v = 0
            while self.bernoulli_exp_unit(1, 1):
                v += 1
            x = u + t * v
            negative = below(2) == 1
            if negative and x == 0:
                continue
            return -x if negative else x

    def bernoulli_exp(self, num: int, den: int) -> bool:
        """True with probability exp(-num/den), for num >= 0, den > 0."""
        while num > den:
            if not self.bernoulli_exp_unit(1, 1):
                return False
            num -= den
        return self.bernoulli_exp_unit(num, den)

    def bernoulli_exp_unit(self, num: int, den: int) -> bool:
        """True with probability exp(-gamma), gamma = num/den in [0, 1] (CKS Algorithm 1)."""
        below = self._stream.below
        k = 1
        while below(den * k) < num:
            k += 1
        return k % 2 == 1


def _check_scale(scale: float) -> None:
    if not (scale > 0 and np.isfinite(scale)):
        raise StatisticsError(f"noise scale must be a positive finite number, got {scale!r}")
