"""Stage 5, protect: exact aggregates -> noisy counts on the public grid, then suppression.

Order matters and is fixed: check every table against the public keys, account the whole
release with OpenDP and charge the budget (refusing before any noise is drawn), add discrete
Gaussian noise to every cell of the grid (zeros included), and only then post-process:
negative counts become 0 and counts below k are withheld (null, flagged ``suppressed``).
Post-processing cannot weaken differential privacy; it only changes what readers see.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pyarrow as pa

from trustflux.errors import StatisticsError
from trustflux.mobility.budget import (
    DEFAULT_DELTA,
    DEVICE_DAY,
    Accounting,
    Charge,
    Part,
    PrivacyBudget,
    account,
    l2_sensitivity,
    scale_for,
)
from trustflux.mobility.grid import IntArray, grid_table, to_grid
from trustflux.mobility.noise import NoiseDescription, NoiseSource
from trustflux.mobility.public import (
    INDICATORS,
    Contribution,
    ContributionBounds,
    Indicator,
    Key,
    PublicKeys,
    contribution,
)

DEFAULT_RHO = 0.017
"""rho per device-day of a default release: OpenDP converts it to epsilon = 0.994 at 1e-8."""

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "presence": 0.35,
        "visitors_by_category": 0.15,
        "visitors_by_origin": 0.15,
        "area_visitors_by_origin": 0.05,
        "overnight_by_origin": 0.10,
        "od_matrix": 0.15,
        "od_by_band": 0.05,
        "length_of_stay": 0.025,
        "repeat_visits": 0.025,
    }
)

DEFAULT_SUBSCRIBER_RHO = 0.01
"""rho per subscriber for the billing-zone counts behind the extrapolation weights."""

SUBSCRIBER = "subscriber"
_HELD_BACK = 1 - 1e-9  # a billionth of each share absorbs float rounding in the composition

SUBSCRIBERS = Indicator(
    "subscribers_by_zone",
    "Own subscribers per billing-address zone",
    (Key("zone_id", pa.string(), lambda k: k.zones),),
    "subscribers",
)


@dataclass(frozen=True)
class ProtectionConfig:
    """How much privacy a release spends and how it is shared out.

    ``scales`` fixes the noise scale of some indicators outright (their cost then follows from
    OpenDP's map and may exceed the budget, which is refused); the others share ``rho`` by
    ``weights``, renormalised over the indicators present in the release.
    """

    rho: float = DEFAULT_RHO
    delta: float = DEFAULT_DELTA
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    scales: Mapping[str, float] = field(default_factory=dict)
    k: int = 20
    bounds: ContributionBounds = field(default_factory=ContributionBounds)
    subscriber_rho: float = DEFAULT_SUBSCRIBER_RHO
    noise_multiple: float = 2.33
    """A cell is shown only if its noisy count reaches max(k, noise_multiple x noise std):
    at 2.33, an empty cell is shown with probability about 1 %, so sums over many cells
    (the report's totals) are not inflated by noise that happened to pass k."""

    def threshold(self, noise_std: float) -> int:
        """The publication threshold of an indicator with this noise."""
        return max(self.k, math.ceil(self.noise_multiple * noise_std))

    def __post_init__(self) -> None:
        if self.k < 0:
            raise StatisticsError(f"k must be >= 0, got {self.k}")
        if not (self.noise_multiple >= 0 and math.isfinite(self.noise_multiple)):
            raise StatisticsError(f"noise_multiple must be >= 0, got {self.noise_multiple}")
        unknown = sorted(set(self.weights) - set(INDICATORS))
        if unknown:
            raise StatisticsError(f"budget weights for unknown indicators: {unknown}")
        if any(not (w >= 0 and math.isfinite(w)) for w in self.weights.values()):
            raise StatisticsError(f"budget weights must be >= 0: {dict(self.weights)}")


@dataclass(frozen=True)
class ProtectedIndicator:
    """One published table (keys, noisy count or null, ``suppressed``) and what it cost."""

    indicator: Indicator
    table: pa.Table
    charge: Charge
    contribution: Contribution
    threshold: int

    @property
    def suppressed_share(self) -> float:
        flags = self.table.column("suppressed")
        return float(np.mean(flags.to_numpy(zero_copy_only=False))) if len(flags) else 0.0


@dataclass(frozen=True)
class ProtectedRelease:
    """Everything the protect stage hands on: tables, accounting, budget state, noise used."""

    keys: PublicKeys
    indicators: Mapping[str, ProtectedIndicator]
    accounting: Accounting
    budget_rho: float
    budget_spent_rho: float
    k: int
    noise: NoiseDescription
    bounds: ContributionBounds


@dataclass(frozen=True)
class ProtectedSubscribers:
    """Noisy own-subscriber counts per billing zone (never published as such)."""

    table: pa.Table
    accounting: Accounting
    noise: NoiseDescription


def plan(names: Sequence[str], keys: PublicKeys, config: ProtectionConfig) -> Accounting:
    """The OpenDP accounting of a release of ``names``, before any data is touched."""
    unknown = sorted(set(names) - set(INDICATORS))
    if unknown:
        raise StatisticsError(f"unknown indicators {unknown}; known: {sorted(INDICATORS)}")
    shared = [n for n in names if n not in config.scales]
    total_weight = math.fsum(config.weights.get(n, 0.0) for n in shared)
    if shared and total_weight <= 0:
        raise StatisticsError(f"no budget weight for any of {shared}")
    parts = []
    for name in names:
        cells = contribution(name, config.bounds, keys).cells
        if name in config.scales:
            scale = float(config.scales[name])
        else:
            weight = config.weights.get(name, 0.0)
            if weight <= 0:
                raise StatisticsError(f"{name} has no budget weight: give it one or drop it")
            share = config.rho * weight / total_weight * _HELD_BACK
            scale = scale_for(share, l2_sensitivity(cells))
        parts.append(Part(name, cells, scale))
    return account(parts, DEVICE_DAY, config.delta)


def protect(
    aggregates: Mapping[str, pa.Table],
    keys: PublicKeys,
    config: ProtectionConfig,
    noise: NoiseSource,
    budget: PrivacyBudget | None = None,
) -> ProtectedRelease:
    """Noisy, suppressed tables on the full public grid, charged to ``budget``.

    Without a ``budget``, a fresh one of ``config.rho`` per device-day is used; pass one to
    account several releases over the same days against a single allowance.
    """
    names = list(aggregates)
    accounting = plan(names, keys, config)
    grids = {n: to_grid(INDICATORS[n], aggregates[n], keys) for n in names}
    budget = budget if budget is not None else PrivacyBudget(config.rho, config.delta)
    budget.charge(accounting)
    period = f"{keys.days[0].isoformat()}..{keys.days[-1].isoformat()}"
    tables: dict[str, ProtectedIndicator] = {}
    for name in names:
        indicator = INDICATORS[name]
        charge = accounting.charge(name)
        noisy = noise.discrete_gaussian(grids[name], charge.scale, stream=f"{period}/{name}")
        threshold = config.threshold(charge.noise_std)
        tables[name] = ProtectedIndicator(
            indicator=indicator,
            table=_published(indicator, keys, noisy, threshold),
            charge=charge,
            contribution=contribution(name, config.bounds, keys),
            threshold=threshold,
        )
    return ProtectedRelease(
        keys=keys,
        indicators=tables,
        accounting=accounting,
        budget_rho=budget.total_rho,
        budget_spent_rho=budget.spent_rho,
        k=config.k,
        noise=noise.description,
        bounds=config.bounds,
    )


def protect_subscribers(
    subscribers_by_zone: pa.Table,
    zone_ids: Sequence[str],
    keys: PublicKeys,
    config: ProtectionConfig,
    noise: NoiseSource,
) -> ProtectedSubscribers:
    """Own subscribers per billing zone with their own budget (unit: one subscriber).

    ``zone_ids`` is the public zone list of the geography (all regions, not only the
    published zones), since domestic origins are weighted by their home region.
    """
    zone_keys = replace(keys, zones=tuple(zone_ids))
    grid = to_grid(SUBSCRIBERS, subscribers_by_zone, zone_keys)
    scale = scale_for(config.subscriber_rho * _HELD_BACK, l2_sensitivity(1))
    accounting = account([Part(SUBSCRIBERS.name, 1, scale)], SUBSCRIBER, config.delta)
    budget = PrivacyBudget(config.subscriber_rho, config.delta, unit=SUBSCRIBER)
    budget.charge(accounting)
    noisy = noise.discrete_gaussian(grid, scale, stream=f"{keys.days[0]}/{SUBSCRIBERS.name}")
    table = grid_table(SUBSCRIBERS, zone_keys).append_column(
        "subscribers", pa.array(np.maximum(noisy, 0), pa.int64())
    )
    return ProtectedSubscribers(table=table, accounting=accounting, noise=noise.description)


def _published(indicator: Indicator, keys: PublicKeys, noisy: IntArray, k: int) -> pa.Table:
    """Post-processing only: clamp at 0, withhold below the threshold ``k``."""
    clamped = np.maximum(noisy, 0)
    suppressed = clamped < k
    values = pa.array(clamped, pa.int64(), mask=suppressed)
    return (
        grid_table(indicator, keys)
        .append_column(indicator.value, values)
        .append_column("suppressed", pa.array(suppressed, pa.bool_()))
    )
