"""Privacy accounting with OpenDP: what each indicator costs, what a release costs, what is left.

Every figure here comes out of an OpenDP privacy map, never from a formula of our own:

* one indicator is the chain "exact aggregates -> counts on the public grid" (a transformation
  whose stability is the indicator's L2 contribution bound per privacy unit) followed by
  OpenDP's discrete Gaussian; its map at one unit gives rho (zero-concentrated DP);
* a release is OpenDP's composition of those chains; its map at one unit gives the total rho;
* epsilon is OpenDP's zCDP -> (epsilon, delta)-DP conversion of that measurement.

The stability maps are our claim that the aggregation stage honours its contribution bounds
(OpenDP calls user-defined components "honest-but-curious" for that reason): the bounds are
declared in ``public.contribution`` and enforced upstream, where the data is still per device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import opendp.prelude as dp

from trustflux.errors import StatisticsError

DEFAULT_DELTA = 1e-8
DEVICE_DAY = "device-day"


def _enable() -> None:
    dp.enable_features("contrib", "honest-but-curious")


def l2_sensitivity(cells: int) -> float:
    """sqrt(cells) rounded up to a float (0/1 changes in ``cells`` cells), never below it."""
    if cells < 1:
        raise StatisticsError(f"a contribution bound touches at least one cell, got {cells}")
    root = math.sqrt(cells)
    while Fraction(root) ** 2 < cells:
        root = math.nextafter(root, math.inf)
    return root


def gaussian_measurement(scale: float) -> Any:
    """OpenDP's discrete Gaussian on integer vectors (L2 distance), the one every release uses."""
    _enable()
    return dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.l2_distance(T=float), scale=scale
    )


def scale_for(rho: float, sensitivity: float) -> float:
    """The smallest scale (up to float steps) whose OpenDP map at ``sensitivity`` is <= rho."""
    if not rho > 0:
        raise StatisticsError(f"an indicator needs a positive rho, got {rho!r}")
    scale = sensitivity / math.sqrt(2.0 * rho)
    while _rho(gaussian_measurement(scale), sensitivity) > rho:
        scale = math.nextafter(scale, math.inf)
    return scale


def epsilon_of(rho: float, delta: float) -> float:
    """Epsilon at ``delta`` of any rho-zCDP mechanism, by OpenDP's conversion."""
    if rho == 0:
        return 0.0
    _enable()
    carrier = dp.m.make_user_measurement(
        _unit_domain(),
        _unit_metric(DEVICE_DAY),
        dp.zero_concentrated_divergence(),
        function=lambda _: None,
        privacy_map=lambda d_in: float(rho * d_in * d_in),
    )
    return _epsilon(carrier, delta)


def rho_for_epsilon(epsilon: float, delta: float = DEFAULT_DELTA) -> float:
    """The largest rho (to 1e-12) whose OpenDP conversion gives at most ``epsilon`` at delta."""
    low, high = 0.0, max(1.0, epsilon)
    while epsilon_of(high, delta) <= epsilon:
        high *= 2
    while high - low > 1e-12:
        mid = (low + high) / 2
        if epsilon_of(mid, delta) <= epsilon:
            low = mid
        else:
            high = mid
    return low


@dataclass(frozen=True)
class Part:
    """One noisy vector of a release: its name, its L2 bound (cells per unit) and its scale."""

    name: str
    cells: int
    scale: float


@dataclass(frozen=True)
class Charge:
    """What one indicator costs, read off OpenDP's maps."""

    name: str
    cells: int
    sensitivity: float
    scale: float
    rho: float
    epsilon: float
    noise_std: float


@dataclass(frozen=True)
class Accounting:
    """A release's cost per privacy unit: per part, and composed by OpenDP."""

    unit: str
    delta: float
    charges: tuple[Charge, ...]
    rho: float
    epsilon: float

    def charge(self, name: str) -> Charge:
        for c in self.charges:
            if c.name == name:
                return c
        raise KeyError(name)


def account(
    parts: Sequence[Part], unit: str = DEVICE_DAY, delta: float = DEFAULT_DELTA
) -> Accounting:
    """Compose the parts' chains with OpenDP and read rho and epsilon at one privacy unit."""
    if not parts:
        raise StatisticsError("a release needs at least one indicator")
    names = [p.name for p in parts]
    if len(set(names)) != len(names):
        raise StatisticsError(f"indicator names repeat in one release: {names}")
    chains = [_chain(p, unit) for p in parts]
    charges = tuple(
        Charge(
            name=p.name,
            cells=p.cells,
            sensitivity=l2_sensitivity(p.cells),
            scale=p.scale,
            rho=_rho(chain),
            epsilon=_epsilon(chain, delta),
            noise_std=discrete_gaussian_std(p.scale),
        )
        for p, chain in zip(parts, chains, strict=True)
    )
    composed = dp.c.make_composition(chains)
    return Accounting(
        unit=unit,
        delta=delta,
        charges=charges,
        rho=_rho(composed),
        epsilon=_epsilon(composed, delta),
    )


def _rho(measurement: Any, d_in: object = 1) -> float:
    """rho of a zCDP measurement at ``d_in`` (one privacy unit by default)."""
    return float(measurement.map(d_in))


def _epsilon(measurement: Any, delta: float) -> float:
    """epsilon at ``delta`` of a zCDP measurement at one unit, by OpenDP's conversion."""
    converted: Any = dp.c.make_zCDP_to_approxDP(measurement)
    return float(converted.map(1).epsilon(delta))


def _unit_domain() -> Any:
    return dp.user_domain("trustflux.mobility.exact_aggregates", member=lambda x: True)


def _unit_metric(unit: str) -> Any:
    return dp.user_distance(f"trustflux.mobility.{unit}s (add or remove)")


def _chain(part: Part, unit: str) -> Any:
    """Exact aggregates -> this part's count vector (stable by its L2 bound) -> Gaussian."""
    _enable()
    sensitivity = l2_sensitivity(part.cells)
    to_vector = dp.t.make_user_transformation(
        _unit_domain(),
        _unit_metric(unit),
        dp.vector_domain(dp.atom_domain(T=dp.i64)),
        dp.l2_distance(T=float),
        function=lambda vectors: vectors[part.name],
        stability_map=lambda d_in: float(d_in) * sensitivity,
    )
    return to_vector >> gaussian_measurement(part.scale)


def discrete_gaussian_std(scale: float) -> float:
    """Standard deviation of N_Z(0, scale^2), summed over the support (slightly below scale).

    Beyond scale 1000 the gap to ``scale`` is far below float precision and it is returned.
    """
    if scale > 1000:
        return scale
    reach = int(scale * 40) + 10
    weights = [math.exp(-(x * x) / (2.0 * scale * scale)) for x in range(1, reach)]
    total = 1.0 + 2.0 * math.fsum(weights)
    second = 2.0 * math.fsum(w * x * x for x, w in enumerate(weights, start=1))
    return math.sqrt(second / total)


def discrete_gaussian_tail(scale: float, k: int) -> float:
    """P(X >= k) for X ~ N_Z(0, scale^2): how often an empty cell is still shown at threshold k."""
    if scale > 1000:
        return 0.5 * math.erfc((k - 0.5) / (scale * math.sqrt(2.0)))
    reach = int(scale * 40) + abs(k) + 10
    weights = {x: math.exp(-(x * x) / (2.0 * scale * scale)) for x in range(-reach, reach + 1)}
    total = math.fsum(weights.values())
    return math.fsum(w for x, w in weights.items() if x >= k) / total


@dataclass
class PrivacyBudget:
    """A rho (zCDP) allowance per privacy unit, and the releases charged against it.

    zCDP composes by adding rho, so what is left is the allowance minus what was charged;
    a release that would go beyond it is refused before any noise is drawn.
    """

    total_rho: float
    delta: float = DEFAULT_DELTA
    unit: str = DEVICE_DAY
    history: list[Accounting] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (self.total_rho > 0 and math.isfinite(self.total_rho)):
            raise StatisticsError(f"a privacy budget needs a positive rho, got {self.total_rho}")
        if not 0 < self.delta < 1:
            raise StatisticsError(f"delta must lie in (0, 1), got {self.delta}")

    @property
    def spent_rho(self) -> float:
        return math.fsum(a.rho for a in self.history)

    @property
    def remaining_rho(self) -> float:
        return max(0.0, self.total_rho - self.spent_rho)

    @property
    def total_epsilon(self) -> float:
        return epsilon_of(self.total_rho, self.delta)

    @property
    def spent_epsilon(self) -> float:
        return epsilon_of(self.spent_rho, self.delta)

    def check(self, accounting: Accounting) -> None:
        """Raise ``StatisticsError`` with the figures if ``accounting`` does not fit."""
        if accounting.unit != self.unit or accounting.delta != self.delta:
            raise StatisticsError(
                f"release accounted per {accounting.unit} at delta={accounting.delta} "
                f"cannot be charged to a budget per {self.unit} at delta={self.delta}"
            )
        if self.spent_rho + accounting.rho > self.total_rho:
            parts = ", ".join(f"{c.name} rho={c.rho:.6g}" for c in accounting.charges)
            raise StatisticsError(
                f"privacy budget exceeded: the release needs rho={accounting.rho:.6g} "
                f"(epsilon={accounting.epsilon:.4g} at delta={self.delta:g}) per {self.unit}, "
                f"but only rho={self.remaining_rho:.6g} is left of {self.total_rho:.6g} "
                f"(epsilon={self.total_epsilon:.4g}; already spent rho={self.spent_rho:.6g}); "
                f"parts: {parts}"
            )

    def charge(self, accounting: Accounting) -> None:
        """Record ``accounting`` as spent, or refuse it whole (see ``check``)."""
        self.check(accounting)
        self.history.append(accounting)
