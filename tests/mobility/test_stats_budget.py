"""Privacy accounting: every figure equals what OpenDP's maps say, and the budget holds."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import opendp.prelude as dp
import pytest
from stats_world import make_keys

from trustflux.errors import StatisticsError
from trustflux.mobility.budget import (
    Part,
    PrivacyBudget,
    account,
    discrete_gaussian_std,
    discrete_gaussian_tail,
    epsilon_of,
    gaussian_measurement,
    l2_sensitivity,
    rho_for_epsilon,
    scale_for,
)
from trustflux.mobility.protect import DEFAULT_RHO, ProtectionConfig, plan
from trustflux.mobility.public import INDICATORS

dp.enable_features("contrib")


def opendp_rho(scale: float, sensitivity: float) -> float:
    measurement: Any = dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.l2_distance(T=float), scale=scale
    )
    return float(measurement.map(sensitivity))


@pytest.mark.parametrize("cells", [1, 2, 4, 6, 8, 24, 25, 32, 52])
def test_stats_sensitivity_is_sqrt_of_cells_rounded_up(cells: int) -> None:
    s = l2_sensitivity(cells)
    assert Fraction(s) ** 2 >= cells
    assert Fraction(math.nextafter(s, 0)) ** 2 < cells


def test_stats_each_charge_is_opendp_map_exactly() -> None:
    parts = [Part("presence", 24, 43.5), Part("od_matrix", 6, 30.0), Part("overnight", 1, 12.0)]
    accounting = account(parts)
    for part, charge in zip(parts, accounting.charges, strict=True):
        assert charge.rho == opendp_rho(part.scale, l2_sensitivity(part.cells))
        assert charge.rho == pytest.approx(part.cells / (2 * part.scale**2), rel=1e-12)
        converted: Any = dp.c.make_zCDP_to_approxDP(
            dp.m.make_gaussian(
                dp.vector_domain(dp.atom_domain(T=dp.i64)),
                dp.l2_distance(T=float),
                scale=part.scale,
            )
        )
        expected_eps = converted.map(l2_sensitivity(part.cells)).epsilon(accounting.delta)
        assert charge.epsilon == expected_eps


def test_stats_total_is_composition_of_parts() -> None:
    parts = [Part("a", 24, 43.5), Part("b", 4, 27.0), Part("c", 6, 50.0)]
    accounting = account(parts)
    total = math.fsum(c.rho for c in accounting.charges)
    assert accounting.rho == pytest.approx(total, rel=1e-12)
    assert accounting.rho >= total * (1 - 1e-15)
    # epsilon of the composition is OpenDP's conversion of the total rho, not a sum of epsilons
    assert accounting.epsilon == pytest.approx(epsilon_of(accounting.rho, 1e-8), rel=1e-12)
    assert accounting.epsilon < sum(c.epsilon for c in accounting.charges)


def test_stats_default_release_is_at_most_epsilon_one() -> None:
    for days in (1, 7):
        keys = make_keys(days)
        names = [n for n in INDICATORS if days > 1 or not INDICATORS[n].period_level]
        accounting = plan(names, keys, ProtectionConfig())
        assert accounting.rho <= DEFAULT_RHO
        assert accounting.rho == pytest.approx(DEFAULT_RHO, rel=1e-8)
        assert accounting.epsilon <= 1.0
        assert accounting.delta == 1e-8


def test_stats_weights_split_the_budget() -> None:
    keys = make_keys(1)
    accounting = plan(["presence", "od_matrix"], keys, ProtectionConfig())
    presence, od = accounting.charge("presence"), accounting.charge("od_matrix")
    assert presence.rho / od.rho == pytest.approx(0.35 / 0.15, rel=1e-6)
    assert presence.cells == 24 and od.cells == 6


def test_stats_scale_for_never_overspends() -> None:
    for rho in (0.001, 0.00595, 0.017, 0.3):
        for cells in (1, 6, 24, 52):
            sensitivity = l2_sensitivity(cells)
            scale = scale_for(rho, sensitivity)
            assert opendp_rho(scale, sensitivity) <= rho
            assert opendp_rho(scale, sensitivity) == pytest.approx(rho, rel=1e-9)


def test_stats_default_rho_is_largest_round_value_under_epsilon_one() -> None:
    limit = rho_for_epsilon(1.0, 1e-8)
    assert DEFAULT_RHO <= limit < DEFAULT_RHO * 1.02
    assert epsilon_of(limit, 1e-8) <= 1.0


def test_stats_budget_refuses_overspend_with_figures() -> None:
    keys = make_keys(1)
    # fixing a small noise scale costs more than the default budget allows
    config = ProtectionConfig(scales={"presence": 5.0})
    accounting = plan(["presence", "od_matrix"], keys, config)
    budget = PrivacyBudget(config.rho)
    with pytest.raises(StatisticsError) as err:
        budget.charge(accounting)
    message = str(err.value)
    assert "privacy budget exceeded" in message
    assert f"{accounting.rho:.6g}" in message and "0.017" in message
    assert budget.history == [] and budget.spent_rho == 0


def test_stats_budget_tracks_what_is_left() -> None:
    keys = make_keys(1)
    config = ProtectionConfig(rho=0.01)
    small = plan(["overnight_by_origin"], keys, config)
    budget = PrivacyBudget(0.025)
    budget.charge(small)
    budget.charge(small)
    assert budget.spent_rho == pytest.approx(2 * small.rho)
    assert budget.remaining_rho == pytest.approx(0.025 - 2 * small.rho)
    with pytest.raises(StatisticsError, match="already spent"):
        budget.charge(small)
    assert len(budget.history) == 2


def test_stats_budget_refuses_other_unit() -> None:
    accounting = account([Part("x", 1, 10.0)], unit="subscriber")
    with pytest.raises(StatisticsError, match="per subscriber"):
        PrivacyBudget(1.0).charge(accounting)


def test_stats_noise_std_and_tail() -> None:
    assert discrete_gaussian_std(40.0) == pytest.approx(40.0, rel=1e-12)
    # at small scales the discrete Gaussian is narrower than its scale parameter
    assert discrete_gaussian_std(0.5) < 0.5
    assert discrete_gaussian_tail(40.0, 0) == pytest.approx(
        0.5 + 0.5 / (40 * math.sqrt(2 * math.pi)), rel=1e-6
    )
    # continuity-corrected normal tail, close to the exact sum at this scale
    expected = 0.5 * math.erfc(19.5 / (40 * math.sqrt(2)))
    assert discrete_gaussian_tail(40.0, 20) == pytest.approx(expected, rel=1e-4)


def test_stats_noise_uses_the_accounted_measurement() -> None:
    measurement = gaussian_measurement(33.0)
    assert float(measurement.map(l2_sensitivity(6))) == opendp_rho(33.0, l2_sensitivity(6))
