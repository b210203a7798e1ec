"""The tariff table and the rating of usage into invoice lines (integer cents, exact).

The table is data (``data/tariff_plans.csv`` and ``data/roaming_zones.csv``, or a file of
the operator's own), checked whole when loaded: a malformed table stops the bill run naming
file, row and field. A subscriber whose plan is not in a valid table is a data problem of
that subscriber, not of the run: billing quarantines them with the reason.

Rating is row by row: every usage row (subscriber, line, country) becomes one invoice line,
because each allowance belongs to one line (off-net minutes, national SMS, domestic data).
All arithmetic is on integers: seconds, messages, bytes and cents.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustflux.errors import TariffError
from trustflux.events.schemas import ID_PATTERN

PLAN_COLUMNS = (
    "plan",
    "name",
    "monthly_fee_cents",
    "voice_allowance_min",
    "sms_allowance",
    "data_allowance_mb",
    "on_net_cents_per_min",
    "voice_cents_per_min",
    "sms_cents",
    "data_cents_per_mb",
    "international_cents_per_min",
    "sms_international_cents",
    "roaming_voice_out_cents_per_min",
    "roaming_voice_in_cents_per_min",
    "roaming_sms_cents",
    "roaming_data_cents_per_mb",
)
ALLOWANCES = ("voice_allowance_min", "sms_allowance", "data_allowance_mb")
"""Empty means unlimited."""
ZONE_COLUMNS = ("mcc", "country", "zone")
ZONES = ("eu", "world")
"""eu: EU/EEA roam-like-at-home (no roaming charge); world: the plan's roaming rates."""

BYTES_PER_MB = 1_000_000
SECONDS_PER_MIN = 60

# line -> (unit, rate column, allowance column or None, rate per)
LINES: Mapping[str, tuple[str, str, str | None, str]] = MappingProxyType(
    {
        "voice_on_net": ("second", "on_net_cents_per_min", None, "minute"),
        "voice_off_net": ("second", "voice_cents_per_min", "voice_allowance_min", "minute"),
        "voice_international": ("second", "international_cents_per_min", None, "minute"),
        "sms_national": ("message", "sms_cents", "sms_allowance", "message"),
        "sms_international": ("message", "sms_international_cents", None, "message"),
        "data": ("byte", "data_cents_per_mb", "data_allowance_mb", "MB"),
        "roaming_voice_out": ("second", "roaming_voice_out_cents_per_min", None, "minute"),
        "roaming_voice_in": ("second", "roaming_voice_in_cents_per_min", None, "minute"),
        "roaming_sms": ("message", "roaming_sms_cents", None, "message"),
        "roaming_data": ("byte", "roaming_data_cents_per_mb", None, "MB"),
    }
)
SUBSCRIPTION = "subscription"

LINE_SCHEMA = pa.schema(
    [
        pa.field("subscriber_id", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("plan", pa.string(), nullable=False),
        pa.field("line", pa.string(), nullable=False),
        pa.field("country", pa.string()),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("events", pa.int64(), nullable=False),
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("included", pa.int64(), nullable=False),
        pa.field("chargeable", pa.int64(), nullable=False),
        pa.field("rate_cents", pa.int64(), nullable=False),
        pa.field("rate_per", pa.string(), nullable=False),
        pa.field("amount_cents", pa.int64(), nullable=False),
    ]
)
USAGE_SCHEMA = pa.schema(
    [
        ("subscriber_id", pa.string()),
        ("line", pa.string()),
        ("mcc", pa.string()),
        ("events", pa.int64()),
        ("seconds", pa.int64()),
        ("bytes", pa.int64()),
    ]
)

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Plan:
    """One tariff plan; ``None`` allowances are unlimited."""

    plan: str
    name: str
    values: Mapping[str, int | None]

    def __getitem__(self, column: str) -> int | None:
        return self.values[column]


@dataclass(frozen=True)
class TariffTable:
    """Plans by code and roaming zones by MCC, as loaded and checked."""

    plans: Mapping[str, Plan]
    zones: Mapping[str, tuple[str, str]]
    """mcc -> (ISO country, zone)."""
    source: str

    def zone_of(self, mcc: str) -> tuple[str, str]:
        """Country and zone of a visited network; an unlisted MCC is rated as 'world'."""
        return self.zones.get(mcc, (f"MCC {mcc}", "world"))


def packaged(name: str) -> Path:
    return Path(str(resources.files("trustflux.operations").joinpath("data", name)))


def load_tariffs(plans_file: Path | None = None, zones_file: Path | None = None) -> TariffTable:
    """Read and check the tariff table (the packaged one by default)."""
    plans_path = plans_file or packaged("tariff_plans.csv")
    zones_path = zones_file or (
        plans_path.with_name("roaming_zones.csv")
        if (plans_file is not None and plans_path.with_name("roaming_zones.csv").exists())
        else packaged("roaming_zones.csv")
    )
    plans: dict[str, Plan] = {}
    for row_no, row in _rows(plans_path, PLAN_COLUMNS):
        plan = _plan(plans_path, row_no, row)
        if plan.plan in plans:
            raise TariffError(f"{plans_path}: row {row_no}: plan {plan.plan!r} appears twice")
        plans[plan.plan] = plan
    if not plans:
        raise TariffError(f"{plans_path}: no plans")
    zones: dict[str, tuple[str, str]] = {}
    for row_no, row in _rows(zones_path, ZONE_COLUMNS):
        mcc, country, zone = row["mcc"].strip(), row["country"].strip(), row["zone"].strip()
        if not re.fullmatch(r"\d{3}", mcc):
            raise TariffError(f"{zones_path}: row {row_no}: mcc {mcc!r} is not 3 digits")
        if zone not in ZONES:
            raise TariffError(
                f"{zones_path}: row {row_no}: zone {zone!r} is not one of {', '.join(ZONES)}"
            )
        if mcc in zones:
            raise TariffError(f"{zones_path}: row {row_no}: mcc {mcc} appears twice")
        zones[mcc] = (country, zone)
    return TariffTable(MappingProxyType(plans), MappingProxyType(zones), str(plans_path))


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            if header != columns:
                missing = [c for c in columns if c not in header]
                extra = [c for c in header if c not in columns]
                raise TariffError(
                    f"{path}: header must be {','.join(columns)}"
                    + (f"; missing {', '.join(missing)}" if missing else "")
                    + (f"; unknown {', '.join(extra)}" if extra else "")
                )
            return [(n, row) for n, row in enumerate(reader, start=1)]
    except OSError as exc:
        raise TariffError(f"cannot read the tariff table {path}: {exc}") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise TariffError(f"{path}: not a CSV file: {exc}") from exc


def _plan(path: Path, row_no: int, row: dict[str, str]) -> Plan:
    code = (row.get("plan") or "").strip()
    if not re.fullmatch(ID_PATTERN, code):
        raise TariffError(f"{path}: row {row_no}: plan {code!r} is not a plan code")
    name = (row.get("name") or "").strip()
    if not name:
        raise TariffError(f"{path}: row {row_no} ({code}): name is empty")
    values: dict[str, int | None] = {}
    for column in PLAN_COLUMNS[2:]:
        raw = (row.get(column) or "").strip()
        if raw == "" and column in ALLOWANCES:
            values[column] = None
            continue
        if not re.fullmatch(r"\d{1,12}", raw):
            need = "a whole number >= 0" + (" or empty (unlimited)" if column in ALLOWANCES else "")
            raise TariffError(f"{path}: row {row_no} ({code}): {column} {raw!r} is not {need}")
        values[column] = int(raw)
    return Plan(code, name, MappingProxyType(values))


# -- rating -------------------------------------------------------------------------------
def _ceil_div(a: I64, b: int) -> I64:
    return -((-a) // b)


def rate_usage(usage: pa.Table, tariffs: TariffTable, period: str) -> pa.Table:
    """Invoice lines for ``usage`` (USAGE_SCHEMA rows plus ``plan``, chargeable lines only).

    Every plan in ``usage`` must be in ``tariffs`` (billing quarantines the others first).
    Voice is billed per second (rounded up to the cent per line), data per started MB.
    Vectorised: a (plan x line) matrix of rates and allowances, indexed per row.
    """
    n = usage.num_rows
    if n == 0:
        return LINE_SCHEMA.empty_table()
    line_names = list(LINES)
    plan_names = sorted(tariffs.plans)
    line_idx = _index(usage.column("line"), line_names, "usage line")
    plan_idx = _index(usage.column("plan"), plan_names, "plan")
    rates = np.zeros((len(plan_names), len(line_names)), np.int64)
    limits = np.full((len(plan_names), len(line_names)), -1, np.int64)  # -1: no allowance
    unit_of = [LINES[name][0] for name in line_names]
    for p, code in enumerate(plan_names):
        plan = tariffs.plans[code]
        for j, name in enumerate(line_names):
            _unit, rate_column, allowance_column, _per = LINES[name]
            rates[p, j] = plan[rate_column] or 0
            if allowance_column is not None:
                limit = plan[allowance_column]
                scale = {"second": SECONDS_PER_MIN, "byte": BYTES_PER_MB}.get(unit_of[j], 1)
                limits[p, j] = np.iinfo(np.int64).max if limit is None else limit * scale
    units = np.array(unit_of)[line_idx]
    is_second, is_byte = units == "second", units == "byte"
    events = _ints(usage.column("events"))
    quantity = np.where(
        is_second,
        _ints(usage.column("seconds")),
        np.where(is_byte, _ints(usage.column("bytes")), events),
    )
    rate = rates[plan_idx, line_idx]
    allowance = limits[plan_idx, line_idx]
    roaming = np.char.startswith(np.array(line_names)[line_idx], "roaming_")
    mccs = usage.column("mcc")
    eu = pc.is_in(
        mccs, value_set=pa.array([m for m, (_c, z) in tariffs.zones.items() if z == "eu"])
    )
    in_eu = np.asarray(pc.fill_null(eu, False).to_numpy(zero_copy_only=False), dtype=bool)
    rate = np.where(roaming & in_eu, 0, rate)
    included = np.where(allowance < 0, 0, np.minimum(quantity, np.maximum(allowance, 0)))
    included = np.where(rate == 0, quantity, included)  # nothing to pay: all of it is included
    chargeable = quantity - included
    amount = np.where(
        is_second,
        _ceil_div(chargeable * rate, SECONDS_PER_MIN),
        np.where(is_byte, _ceil_div(chargeable, BYTES_PER_MB) * rate, chargeable * rate),
    )
    country_of = {m: c for m, (c, _z) in tariffs.zones.items()}
    distinct = [m for m in pc.unique(mccs).to_pylist() if m is not None]
    lookup = pa.array(distinct, pa.string())
    names = pa.array([country_of.get(m, f"MCC {m}") for m in distinct], pa.string())
    position = pc.index_in(mccs, value_set=lookup)
    country = pc.take(names, position) if distinct else pa.nulls(n, pa.string())
    country = pc.if_else(pa.array(roaming), country, pa.scalar(None, pa.string()))
    return pa.table(
        {
            "subscriber_id": usage.column("subscriber_id").cast(pa.string()),
            "period": pa.array([period] * n, pa.string()),
            "plan": usage.column("plan").cast(pa.string()),
            "line": usage.column("line").cast(pa.string()),
            "country": country,
            "unit": pa.array(units, pa.string()),
            "events": pa.array(events, pa.int64()),
            "quantity": pa.array(quantity, pa.int64()),
            "included": pa.array(included, pa.int64()),
            "chargeable": pa.array(chargeable, pa.int64()),
            "rate_cents": pa.array(rate, pa.int64()),
            "rate_per": pa.array(
                np.array([LINES[x][3] for x in line_names])[line_idx], pa.string()
            ),
            "amount_cents": pa.array(amount, pa.int64()),
        },
        schema=LINE_SCHEMA,
    )


def _index(column: pa.ChunkedArray, values: list[str], what: str) -> I64:
    position = pc.index_in(column, value_set=pa.array(values, pa.string()))
    if position.null_count:
        unknown = sorted(set(pc.filter(column, pc.is_null(position)).to_pylist()), key=str)
        raise TariffError(f"no rating rule for {what} {unknown[:5]}")
    return np.asarray(position.to_numpy(zero_copy_only=False), dtype=np.int64)


def _ints(column: pa.ChunkedArray) -> I64:
    return np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def subscription_lines(
    subscribers: pa.Table, tariffs: TariffTable, period: str, first: date, last: date
) -> pa.Table:
    """The monthly fee, pro rata of the contract days in the period (half-cents round up).

    ``subscribers`` has subscriber_id, plan, contract_start, contract_end; plans are known.
    """
    month_days = (last - first).days + 1
    epoch = np.datetime64("1970-01-01", "D")
    lo_bound = (np.datetime64(first, "D") - epoch).astype(np.int64)
    hi_bound = (np.datetime64(last, "D") - epoch).astype(np.int64)
    start = _days(subscribers.column("contract_start"), lo_bound)
    end = _days(subscribers.column("contract_end"), hi_bound)
    days = np.maximum(0, np.minimum(end, hi_bound) - np.maximum(start, lo_bound) + 1)
    plan_names = sorted(tariffs.plans)
    fees = np.array([tariffs.plans[p]["monthly_fee_cents"] or 0 for p in plan_names], np.int64)
    fee = fees[_index(subscribers.column("plan"), plan_names, "plan")]
    amount = (2 * fee * days + month_days) // (2 * month_days)
    keep = days > 0
    n = int(keep.sum())
    zeros = pa.array(np.zeros(n, np.int64), pa.int64())
    billed = pa.array(days[keep], pa.int64())
    return pa.table(
        {
            "subscriber_id": subscribers.column("subscriber_id").filter(pa.array(keep)),
            "period": pa.array([period] * n, pa.string()),
            "plan": subscribers.column("plan").filter(pa.array(keep)),
            "line": pa.array([SUBSCRIPTION] * n, pa.string()),
            "country": pa.nulls(n, pa.string()),
            "unit": pa.array(["day"] * n, pa.string()),
            "events": zeros,
            "quantity": billed,
            "included": zeros,
            "chargeable": billed,
            "rate_cents": pa.array(fee[keep], pa.int64()),
            "rate_per": pa.array(["month"] * n, pa.string()),
            "amount_cents": pa.array(amount[keep], pa.int64()),
        },
        schema=LINE_SCHEMA,
    )


def _days(column: pa.ChunkedArray, fill: np.int64) -> I64:
    """Dates as days since 1970 (nulls -> ``fill``)."""
    as_int = pc.cast(column.cast(pa.date32()), pa.int32())
    return np.asarray(pc.fill_null(as_int, int(fill)).to_numpy(zero_copy_only=False), np.int64)


def known_plan_mask(plans: pa.ChunkedArray | pa.Array, tariffs: TariffTable) -> pa.ChunkedArray:
    return pc.is_in(plans, value_set=pa.array(sorted(tariffs.plans), pa.string()))
