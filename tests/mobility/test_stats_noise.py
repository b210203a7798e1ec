"""Noise distributions: both sources draw N_Z(0, scale^2); the seeded one replays exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trustflux.errors import StatisticsError
from trustflux.mobility.budget import discrete_gaussian_std
from trustflux.mobility.noise import (
    ByteStream,
    DiscreteGaussianSampler,
    NoiseSource,
    OpenDPNoise,
    SeededNoise,
)

DRAWS = 20_000
SEED = b"reproducibility-test-seed"
PINNED = [-2, 13, -5, 2, 0, 20, 1, -5]


def _draw(source: NoiseSource, scale: float, stream: str = "test") -> np.ndarray:
    return source.discrete_gaussian(np.zeros(DRAWS, dtype=np.int64), scale, stream=stream)


@pytest.mark.parametrize("source", [OpenDPNoise(), SeededNoise(SEED)], ids=["opendp", "seeded"])
@pytest.mark.parametrize("scale", [2.5, 43.77])
def test_stats_noise_mean_and_variance(source: NoiseSource, scale: float) -> None:
    noise = _draw(source, scale)
    variance = discrete_gaussian_std(scale) ** 2
    # 5 standard errors: sd(mean) = sigma/sqrt(n), sd(sample variance) ~ sigma^2 sqrt(2/n)
    assert abs(noise.mean()) < 5 * math.sqrt(variance / DRAWS)
    assert noise.var() == pytest.approx(variance, rel=5 * math.sqrt(2 / DRAWS))
    assert noise.dtype == np.int64


def _pmf(scale: float, support: range) -> np.ndarray:
    reach = int(scale * 40) + 10
    total = sum(math.exp(-(x * x) / (2 * scale * scale)) for x in range(-reach, reach + 1))
    return np.array([math.exp(-(x * x) / (2 * scale * scale)) / total for x in support])


@pytest.mark.parametrize("source", [OpenDPNoise(), SeededNoise(SEED)], ids=["opendp", "seeded"])
def test_stats_noise_matches_discrete_gaussian_pmf(source: NoiseSource) -> None:
    scale = 1.5
    noise = _draw(source, scale, "pmf")
    support = range(-4, 5)
    expected = _pmf(scale, support) * DRAWS
    observed = np.array([(noise == x).sum() for x in support])
    tails = DRAWS - observed.sum()
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    chi2 += (tails - (DRAWS - expected.sum())) ** 2 / (DRAWS - expected.sum())
    assert chi2 < 33.7  # 9 degrees of freedom: p = 1e-4


def test_stats_seeded_noise_replays_and_separates_streams() -> None:
    counts = np.arange(500, dtype=np.int64)
    first = SeededNoise(SEED).discrete_gaussian(counts, 20.0, stream="2025-06-02/presence")
    again = SeededNoise(SEED).discrete_gaussian(counts, 20.0, stream="2025-06-02/presence")
    other_stream = SeededNoise(SEED).discrete_gaussian(counts, 20.0, stream="2025-06-02/od")
    other_seed = SeededNoise(b"another-seed-entirely").discrete_gaussian(
        counts, 20.0, stream="2025-06-02/presence"
    )
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_stream)
    assert not np.array_equal(first, other_seed)


def test_stats_seeded_noise_is_pinned() -> None:
    """The stream is part of the contract: the same seed gives these draws on every machine."""
    sampler = DiscreteGaussianSampler(ByteStream(SEED, "pinned"), 10.0)
    draws = [sampler.sample() for _ in range(8)]
    assert draws == PINNED


def test_stats_bernoulli_exp_is_exact_in_frequency() -> None:
    sampler = DiscreteGaussianSampler(ByteStream(SEED, "bernoulli"), 1.0)
    for num, den in ((1, 3), (3, 2), (7, 2)):
        hits = sum(sampler.bernoulli_exp(num, den) for _ in range(DRAWS))
        p = math.exp(-num / den)
        assert abs(hits / DRAWS - p) < 5 * math.sqrt(p * (1 - p) / DRAWS)


def test_stats_descriptions_say_which_source_ran() -> None:
    opendp = OpenDPNoise().description
    seeded = SeededNoise(SEED).description
    assert opendp.cryptographic and opendp.for_publication and opendp.seed_fingerprint is None
    assert not seeded.cryptographic and not seeded.for_publication
    assert seeded.seed_fingerprint and SEED.decode() not in seeded.detail


def test_stats_noise_refuses_bad_scale_and_seed() -> None:
    with pytest.raises(StatisticsError):
        OpenDPNoise().discrete_gaussian(np.zeros(3, dtype=np.int64), 0.0, stream="x")
    with pytest.raises(StatisticsError):
        SeededNoise(b"short")
