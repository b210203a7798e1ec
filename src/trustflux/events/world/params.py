"""Parameters of the synthetic operator world, with defaults for a French-like operator.

Every number that shapes the world lives here so a run is described by one frozen value
(written to ``world.json``) and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from trustflux.errors import WorldError

MAX_DAYS = 31
MAX_SUBSCRIBERS = 20_000_000

OWN_MCC = "208"
OWN_MNC = "01"
OWN_REGION = "R01"


@dataclass(frozen=True)
class Country:
    """A foreign country whose visitors may roam on our network."""

    iso: str
    mcc: str
    mnc: str
    dial: str
    weight: float
    mobile_prefix: str
    """E.164 prefix of its mobile numbers (country code included)."""
    number_length: int


ROAMING_COUNTRIES: tuple[Country, ...] = (
    Country("GB", "234", "15", "44", 0.20, "447", 12),
    Country("DE", "262", "02", "49", 0.18, "49151", 13),
    Country("IT", "222", "10", "39", 0.11, "393", 12),
    Country("ES", "214", "07", "34", 0.11, "346", 11),
    Country("BE", "206", "10", "32", 0.12, "324", 11),
    Country("CH", "228", "01", "41", 0.10, "417", 11),
    Country("NL", "204", "08", "31", 0.08, "316", 11),
    Country("US", "310", "260", "1", 0.10, "1415", 11),
)

WANGIRI_DIAL_CODES = ("216", "224", "232", "222", "269", "53", "243")
"""Country codes often seen in one-ring (wangiri) campaigns."""

IRSF_PREMIUM_PREFIXES = ("3712", "3706", "5399", "25290", "67570", "22466")
"""International premium-rate ranges used for revenue-share fraud."""


@dataclass(frozen=True)
class WorldParams:
    """Everything that shapes one generated world; defaults give a plausible operator."""

    subscribers: int
    days: int
    seed: int
    start: date = date(2026, 3, 2)

    # Geography: one study region of communes plus a few other regions (origins only).
    zones: int = 60
    other_regions: int = 6
    zones_per_other_region: int = 3
    centre_lon: float = 2.95
    centre_lat: float = 46.15
    region_km: float = 44.0
    people_per_site: int = 2_500

    # Population.
    market_share: float = 0.35
    domestic_visitor_share: float = 0.12
    foreign_visitor_share: float = 0.15
    roaming_share: float = 0.30
    worker_share: float = 0.55
    gateway_share: float = 0.40
    fibre_share: float = 0.70
    night_off_share: float = 0.20
    contract_change_share: float = 0.005
    excursion_day_probability: float = 0.15
    transit_day_probability: float = 0.10
    explore_probability: float = 0.25

    # Usage: mean events per device over a full day of presence.
    lu_period_min: float = 54.0
    calls_mo_per_day: float = 3.0
    calls_mt_per_day: float = 3.0
    sms_mo_per_day: float = 4.0
    sms_mt_per_day: float = 5.0
    data_sessions_per_day: float = 70.0
    handovers_per_trip: float = 1.5
    international_call_share: float = 0.04
    on_net_share: float = 0.35

    # Gateway telemetry.
    telemetry_interval_min: int = 60
    gateway_fault_share: float = 0.03

    # Fraud (per own subscriber; at least one case of each kind from 1,000 subscribers).
    simboxes_per_subscriber: float = 1 / 50_000
    simbox_sims: int = 8
    simbox_calls_per_day: float = 250.0
    irsf_cases_per_subscriber: float = 1 / 50_000
    irsf_sims: int = 2
    wangiri_numbers_per_subscriber: float = 1 / 100_000
    wangiri_victim_share: float = 0.01
    fraud_min_subscribers: int = 1_000

    # Engineering.
    block_devices: int = 20_000

    def validate(self) -> None:
        """Refuse parameters the generator cannot honour, naming the parameter."""
        problems: list[str] = []
        if not 1 <= self.subscribers <= MAX_SUBSCRIBERS:
            problems.append(f"subscribers must be between 1 and {MAX_SUBSCRIBERS:,}")
        if not 1 <= self.days <= MAX_DAYS:
            problems.append(f"days must be between 1 and {MAX_DAYS}")
        if self.seed < 0:
            problems.append("seed must be a non-negative integer")
        if not 4 <= self.zones <= 2_000:
            problems.append("zones must be between 4 and 2000")
        if self.other_regions < 1 or self.zones_per_other_region < 1:
            problems.append("other_regions and zones_per_other_region must be at least 1")
        for name in (
            "market_share",
            "roaming_share",
            "worker_share",
            "gateway_share",
            "fibre_share",
            "night_off_share",
            "excursion_day_probability",
            "transit_day_probability",
            "explore_probability",
            "international_call_share",
            "on_net_share",
            "gateway_fault_share",
            "wangiri_victim_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                problems.append(f"{name} must be between 0 and 1 (got {value})")
        if self.market_share <= 0:
            problems.append("market_share must be above 0")
        if not 0.0 <= self.domestic_visitor_share < 1.0:
            problems.append("domestic_visitor_share must be in [0, 1)")
        if not 0.0 <= self.foreign_visitor_share <= 5.0:
            problems.append("foreign_visitor_share must be in [0, 5]")
        if not 1 <= self.telemetry_interval_min <= 1_440:
            problems.append("telemetry_interval_min must be between 1 and 1440")
        if self.lu_period_min < 6:
            problems.append("lu_period_min must be at least 6")
        if self.block_devices < 100:
            problems.append("block_devices must be at least 100")
        if self.simbox_sims < 1 or self.irsf_sims < 1:
            problems.append("simbox_sims and irsf_sims must be at least 1")
        if problems:
            raise WorldError("invalid world parameters: " + "; ".join(problems))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready form for ``world.json``."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        return data
