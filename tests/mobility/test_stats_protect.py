"""Protect: full public grid, keys never from the data, noise then k-suppression."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stats_world import make_aggregates, make_keys

from trustflux.errors import StatisticsError
from trustflux.mobility.budget import PrivacyBudget
from trustflux.mobility.grid import grid_table, to_grid
from trustflux.mobility.noise import SeededNoise
from trustflux.mobility.protect import ProtectedRelease, ProtectionConfig, plan, protect
from trustflux.mobility.public import INDICATORS, ContributionBounds, PublicKeys, contribution

SEED = b"protect-tests-seed"
KEYS = make_keys(2)
AGGREGATES = make_aggregates(KEYS)


@pytest.fixture(scope="module")
def release() -> ProtectedRelease:
    return protect(AGGREGATES, KEYS, ProtectionConfig(), SeededNoise(SEED))


def _public_grid(name: str, keys: PublicKeys) -> set[tuple[object, ...]]:
    indicator = INDICATORS[name]
    combos: list[tuple[object, ...]] = [()]
    for key in indicator.keys:
        combos = [(*c, v) for c in combos for v in key.values(keys)]
    return set(combos)


def test_stats_every_published_key_is_public_and_grid_complete(release: ProtectedRelease) -> None:
    for name, item in release.indicators.items():
        columns = [k.column for k in INDICATORS[name].keys]
        rows = list(zip(*(item.table.column(c).to_pylist() for c in columns), strict=True))
        assert len(rows) == len(set(rows))
        assert set(rows) == _public_grid(name, KEYS), name


def test_stats_no_published_count_below_k_and_flag_matches(release: ProtectedRelease) -> None:
    for item in release.indicators.values():
        values = item.table.column(item.indicator.value)
        flags = item.table.column("suppressed")
        assert pc.min(values).as_py() is None or pc.min(values).as_py() >= item.threshold
        assert values.is_null().equals(flags)
        assert 0 < item.suppressed_share < 1


def test_stats_threshold_is_k_or_a_multiple_of_the_noise(release: ProtectedRelease) -> None:
    """Shown only at max(k, 2.33 sigma): an empty cell passes about 1 % of the time."""
    for item in release.indicators.values():
        expected = max(20, math.ceil(2.33 * item.charge.noise_std))
        assert item.threshold == expected >= 20


def test_stats_zero_cells_are_noised_too() -> None:
    """Cells with no data row get noise like any other (some appear above k)."""
    empty = {"overnight_by_origin": AGGREGATES["overnight_by_origin"].slice(0, 0)}
    out = protect(empty, KEYS, ProtectionConfig(k=0, noise_multiple=0), SeededNoise(SEED))
    values = out.indicators["overnight_by_origin"].table.column("devices").to_numpy()
    assert values.min() == 0 and values.max() > 0


def test_stats_seeded_protect_is_reproducible(release: ProtectedRelease) -> None:
    again = protect(AGGREGATES, KEYS, ProtectionConfig(), SeededNoise(SEED))
    for name, item in release.indicators.items():
        assert item.table.equals(again.indicators[name].table)
    different = protect(AGGREGATES, KEYS, ProtectionConfig(), SeededNoise(b"other-seed-000"))
    assert not different.indicators["presence"].table.equals(release.indicators["presence"].table)


def test_stats_noise_per_indicator_does_not_depend_on_others(release: ProtectedRelease) -> None:
    """An engine that hands tables over in another order still gets the same noise."""
    subset = {"od_matrix": AGGREGATES["od_matrix"], "presence": AGGREGATES["presence"]}
    weights = {n: (0.35 if n == "presence" else 0.15) for n in subset}
    alone = protect(subset, KEYS, ProtectionConfig(weights=weights), SeededNoise(SEED))
    scales = {n: alone.accounting.charge(n).scale for n in subset}
    pinned = protect(
        dict(reversed(subset.items())), KEYS, ProtectionConfig(scales=scales), SeededNoise(SEED)
    )
    for name in subset:
        assert alone.indicators[name].table.equals(pinned.indicators[name].table)


def test_stats_release_accounting_is_charged(release: ProtectedRelease) -> None:
    assert release.budget_spent_rho == release.accounting.rho
    assert release.accounting.rho <= release.budget_rho
    assert set(release.indicators) == {c.name for c in release.accounting.charges}


def test_stats_key_outside_public_list_is_refused_by_name() -> None:
    bad = AGGREGATES["visitors_by_origin"].to_pylist()
    bad[0]["origin"] = "XX"
    tables = dict(
        AGGREGATES,
        visitors_by_origin=pa.Table.from_pylist(
            bad, schema=AGGREGATES["visitors_by_origin"].schema
        ),
    )
    with pytest.raises(StatisticsError, match=r"visitors_by_origin: origin .*'XX'"):
        protect(tables, KEYS, ProtectionConfig(), SeededNoise(SEED))


def test_stats_refusal_spends_nothing() -> None:
    bad = AGGREGATES["presence"].to_pylist()
    bad[0]["zone_id"] = "Z99999"
    tables = dict(AGGREGATES, presence=pa.Table.from_pylist(bad, AGGREGATES["presence"].schema))
    budget = PrivacyBudget(0.017)
    with pytest.raises(StatisticsError, match="presence: zone_id"):
        protect(tables, KEYS, ProtectionConfig(), SeededNoise(SEED), budget=budget)
    assert budget.spent_rho == 0


def test_stats_repeated_key_missing_column_unknown_indicator() -> None:
    table = AGGREGATES["od_matrix"]
    with pytest.raises(StatisticsError, match="more than one row"):
        to_grid(INDICATORS["od_matrix"], pa.concat_tables([table, table.slice(0, 1)]), KEYS)
    with pytest.raises(StatisticsError, match="missing"):
        to_grid(INDICATORS["od_matrix"], table.drop_columns(["trips"]), KEYS)
    with pytest.raises(StatisticsError, match="unknown indicators"):
        protect({"footfall": table}, KEYS, ProtectionConfig(), SeededNoise(SEED))


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_stats_grid_places_each_row_in_its_cell(data: st.DataObject) -> None:
    indicator = INDICATORS["od_by_band"]
    grid = grid_table(indicator, KEYS)
    picks = data.draw(st.sets(st.integers(0, grid.num_rows - 1), max_size=40))
    counts = data.draw(st.lists(st.integers(1, 10**6), min_size=len(picks), max_size=len(picks)))
    order = sorted(picks)
    rows = grid.take(pa.array(order, pa.int64())).append_column(
        "trips", pa.array(counts, pa.int64())
    )
    shuffled = rows.take(pa.array(list(reversed(range(rows.num_rows))), pa.int64()))
    vector = to_grid(indicator, shuffled, KEYS)
    expected = np.zeros(grid.num_rows, dtype=np.int64)
    expected[order] = counts
    assert np.array_equal(vector, expected)


def test_stats_contribution_bounds_per_period_length() -> None:
    one, week = make_keys(1), make_keys(7)
    bounds = ContributionBounds()
    assert contribution("presence", bounds, one).cells == 24
    assert contribution("visitors_by_category", bounds, one).cells == 4
    assert contribution("overnight_by_origin", bounds, one).cells == 1
    assert contribution("od_matrix", bounds, one).cells == 6
    assert contribution("presence", bounds, week).cells == 24 + 2 * 4
    assert contribution("visitors_by_category", bounds, week).cells == 4 * 13
    assert contribution("length_of_stay", bounds, week).cells == 8
    custom = ContributionBounds(overrides=(("visitors_by_category", 4),))
    assert contribution("visitors_by_category", custom, week).cells == 4


def test_stats_dst_day_has_25_presence_slots() -> None:
    autumn = make_keys(1, start=date(2025, 10, 26))
    assert len(autumn.presence_slots) == 25
    assert contribution("presence", ContributionBounds(), autumn).cells == 25
    assert plan(["presence"], autumn, ProtectionConfig()).charge("presence").cells == 25


def test_stats_public_keys_are_checked() -> None:
    with pytest.raises(StatisticsError, match="repeats"):
        PublicKeys(
            zones=("A", "A"),
            days=KEYS.days,
            presence_slots=KEYS.presence_slots,
            origins=KEYS.origins,
        )
    with pytest.raises(StatisticsError, match="empty"):
        PublicKeys(
            zones=(), days=KEYS.days, presence_slots=KEYS.presence_slots, origins=KEYS.origins
        )
