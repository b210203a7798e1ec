"""Building blocks: identifiers, sampling helpers and the local-time grid."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from trustflux.events.world.numeric import (
    luhn_complete,
    luhn_valid,
    row_cdf,
    sample_rows,
    split_exact,
    stream,
    unique_draws,
)
from trustflux.events.world.timegrid import day_grid


@given(st.lists(st.integers(0, 10**14 - 1), min_size=1, max_size=50))
def test_luhn_completion_is_valid(bodies: list[int]) -> None:
    numbers = luhn_complete(np.array(bodies, dtype=np.int64), 14)
    for value in numbers.tolist():
        assert luhn_valid(f"{value:015d}")


def test_luhn_rejects_a_changed_digit() -> None:
    assert luhn_valid("490154203237518")  # a published example IMEI
    assert not luhn_valid("490154203237519")


@given(st.integers(1, 2_000), st.integers(0, 2**32))
def test_unique_draws_are_unique_and_in_range(n: int, seed: int) -> None:
    space = 10**10
    values = unique_draws(n, space, np.random.default_rng(seed))
    assert len(set(values.tolist())) == n
    assert values.min() >= 0 and values.max() < space


def test_unique_draws_fill_a_small_space() -> None:
    values = unique_draws(100, 100, np.random.default_rng(1))
    assert sorted(values.tolist()) == list(range(100))


@given(st.integers(0, 10_000), st.lists(st.floats(0.01, 100), min_size=1, max_size=30))
def test_split_exact_sums_to_total(total: int, weights: list[float]) -> None:
    parts = split_exact(total, np.array(weights))
    assert parts.sum() == total and (parts >= 0).all()


def test_sample_rows_follows_each_row() -> None:
    weights = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    cdf = row_cdf(weights)
    rows = np.repeat(np.arange(3), 2_000)
    picks = sample_rows(cdf, rows, np.random.default_rng(0))
    assert (picks[rows == 0] == 0).all()
    assert (picks[rows == 1] == 2).all()
    third = picks[rows == 2]
    assert set(third.tolist()) == {0, 1} and abs((third == 0).mean() - 0.5) < 0.05


def test_streams_are_reproducible_and_independent() -> None:
    assert stream(7, 1, 2).random() == stream(7, 1, 2).random()
    assert stream(7, 1, 2).random() != stream(7, 1, 3).random()
    assert stream(7, 1).random() != stream(8, 1).random()


def test_day_grid_follows_paris_time() -> None:
    winter = day_grid(date(2026, 3, 2), 0)
    assert winter.n_slots == 48
    assert winter.start_ms == 1_772_406_000_000  # 2026-03-01T23:00Z
    assert winter.local_hour[0] == 0 and winter.local_hour[-1] == 23
    spring = day_grid(date(2026, 3, 29), 0)
    assert spring.n_slots == 46
    autumn = day_grid(date(2026, 10, 25), 0)
    assert autumn.n_slots == 50
