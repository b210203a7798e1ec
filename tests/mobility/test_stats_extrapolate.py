"""Extrapolation: weights from census and (noisy) subscribers, applied after protection."""

from __future__ import annotations

import pyarrow as pa
import pytest
from stats_world import make_aggregates, make_keys, make_subscribers, make_zones

from trustflux.errors import StatisticsError
from trustflux.mobility.budget import Part, account
from trustflux.mobility.extrapolate import ExtrapolationConfig, compute_weights, extrapolate
from trustflux.mobility.noise import SeededNoise
from trustflux.mobility.protect import (
    ProtectedSubscribers,
    ProtectionConfig,
    protect,
    protect_subscribers,
)

KEYS = make_keys(2)
ZONES = make_zones()
SEED = b"extrapolate-tests-seed"


def exact_subscribers() -> ProtectedSubscribers:
    """Known counts, to check the arithmetic (the real ones are noisy)."""
    return ProtectedSubscribers(
        table=make_subscribers(),
        accounting=account([Part("subscribers_by_zone", 1, 7.0)], unit="subscriber"),
        noise=SeededNoise(SEED).description,
    )


def test_stats_weights_zone_region_overall_floor_cap() -> None:
    weights = compute_weights(exact_subscribers(), ZONES, ExtrapolationConfig())
    r01 = (12000 + 8000 + 0 + 20000) / (3000 + 40 + 500 + 5000)
    assert weights.zone["Z01001"] == pytest.approx(12000 / 3000)
    assert weights.zone_method["Z01001"] == "zone"
    assert weights.zone["Z01002"] == pytest.approx(r01)  # 40 subscribers: too few
    assert weights.zone_method["Z01002"] == "region"
    assert weights.zone["Z01003"] == pytest.approx(r01)  # no census population
    assert weights.region["R02"] == pytest.approx(12000 / 3000)
    assert weights.overall == pytest.approx(52000 / 11540)
    assert weights.foreign == pytest.approx(1 / 0.3)
    capped = compute_weights(exact_subscribers(), ZONES, ExtrapolationConfig(weight_cap=4.2))
    assert capped.zone["Z01002"] == 4.2 and capped.zone["Z01001"] == 4.0
    floored = compute_weights(exact_subscribers(), ZONES, ExtrapolationConfig(weight_floor=5.0))
    assert set(floored.zone.values()) == {5.0}


def test_stats_people_are_weighted_devices() -> None:
    protected = protect(make_aggregates(KEYS), KEYS, ProtectionConfig(k=20), SeededNoise(SEED))
    out = extrapolate(protected, exact_subscribers(), ZONES, ExtrapolationConfig())
    w = out.weights
    for name, table in out.tables.items():
        value = protected.indicators[name].indicator.value
        for row in table.to_pylist():
            if row["suppressed"]:
                assert row["people"] is None and row[value] is None
                continue
            if row.get("origin_kind") == "foreign":
                factor = 1 / 0.3
            elif row.get("origin") in ("R01", "R02"):
                factor = w.region[row["origin"]]
            elif row.get("origin") not in (None, "unknown"):
                factor = 1 / 0.3
            else:
                factor = w.zone[row.get("zone_id") or row["origin_zone"]]
            assert row["people"] == round(row[value] * factor), (name, row)


def test_stats_extrapolation_uses_noisy_subscribers() -> None:
    config = ProtectionConfig()
    zone_ids = ZONES.column("zone_id").to_pylist()
    noisy = protect_subscribers(make_subscribers(), zone_ids, KEYS, config, SeededNoise(SEED))
    assert noisy.accounting.unit == "subscriber"
    assert noisy.accounting.rho <= config.subscriber_rho
    counts = noisy.table.column("subscribers").to_pylist()
    assert counts != make_subscribers().column("subscribers").to_pylist()
    assert all(c >= 0 for c in counts)


def test_stats_extrapolation_config_and_missing_zones() -> None:
    with pytest.raises(StatisticsError, match="capture rate"):
        ExtrapolationConfig(capture_rate=0)
    with pytest.raises(StatisticsError, match="no subscriber count"):
        compute_weights(
            ProtectedSubscribers(
                table=pa.table({"zone_id": ["Z01001"], "subscribers": pa.array([5], pa.int64())}),
                accounting=exact_subscribers().accounting,
                noise=SeededNoise(SEED).description,
            ),
            ZONES,
            ExtrapolationConfig(),
        )
