"""Row validation as Ibis expressions: each rule names its field and says what is wrong.

Rules are data (a list of ``Rule``) built from the table spec plus a few table-specific checks,
then folded into one CASE expression whose first failing rule becomes the row's reason. Written
once against Ibis, they compile for any backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis

from trustflux.events.schemas import CALL_TYPES, SMS_TYPES, Column, TableSpec, format_bound
from trustflux.events.types import ibis_type

TYPE_LABELS = {
    "string": "text",
    "int16": "whole number",
    "int32": "whole number",
    "int64": "whole number",
    "float64": "number",
    "date": "date (YYYY-MM-DD)",
    "timestamp": "timestamp (ISO 8601, UTC)",
}


@dataclass(frozen=True)
class Rule:
    """A check on one field; ``fails`` is true for rows that break it."""

    field: str
    reason: str
    fails: Any


@dataclass(frozen=True)
class References:
    """Stored tables that rows may point at (None when nothing is stored yet)."""

    zones: Any | None
    cells: Any | None
    subscribers: Any | None


@dataclass(frozen=True)
class TimeWindow:
    """Event times outside [earliest, latest] are rejected as out of range."""

    earliest: datetime
    latest: datetime


def typed_name(name: str) -> str:
    return f"_t_{name}"


def add_typed_columns(raw: Any, spec: TableSpec) -> Any:
    """Raw rows plus ``_t_<column>``: the value cast to the model's type, null when it fails."""
    return raw.mutate(
        **{typed_name(c.name): raw[c.name].try_cast(ibis_type(c)) for c in spec.columns}
    )


def _label(column: Column) -> str:
    kind = ibis_type(column)
    key = "timestamp" if kind.is_timestamp() else str(kind).rstrip("!")
    return TYPE_LABELS.get(key, key)


def column_rules(t: Any, spec: TableSpec) -> list[Rule]:
    """Generic checks every column declares in the data model.

    A type check is only built where the input's type differs from the model's (text from CSV,
    say): a typed Parquet column cannot fail it, and skipping it keeps validation cheap.
    """
    rules: list[Rule] = []
    for c in spec.columns:
        raw, val = t[c.name], t[typed_name(c.name)]
        target = ibis_type(c)
        missing = raw.isnull()
        if target.is_string():
            text = raw.cast("string")
            has_format = c.pattern is not None or c.allowed is not None
            missing = missing | ((text.length() == 0) if has_format else (text.strip() == ""))
        if c.required:
            rules.append(Rule(c.name, "required value is missing", missing))
        if raw.type().copy(nullable=True) != target:
            rules.append(Rule(c.name, f"not a valid {_label(c)}", ~missing & val.isnull()))
        if c.pattern is not None:
            rules.append(
                Rule(
                    c.name,
                    f"must be {c.hint}" if c.hint else f"does not match {c.pattern}",
                    val.notnull() & ~val.re_search(c.pattern),
                )
            )
        if c.minimum is not None:
            rules.append(
                Rule(c.name, f"below the minimum {format_bound(c.minimum)}", val < c.minimum)
            )
        if c.maximum is not None:
            rules.append(
                Rule(c.name, f"above the maximum {format_bound(c.maximum)}", val > c.maximum)
            )
        if c.allowed is not None:
            rules.append(
                Rule(
                    c.name,
                    f"not one of {', '.join(c.allowed)}",
                    val.notnull() & ~val.isin(list(c.allowed)),
                )
            )
    return rules


def luhn_fails(value: Any) -> Any:
    """True where a 15-digit identifier (IMEI) has a wrong Luhn check digit."""
    total: Any = ibis.literal(0)
    for i in range(15):
        digit = value.substr(i, 1).try_cast("int16")
        if i % 2 == 1:
            doubled = digit * 2
            digit = ibis.cases((doubled > 9, doubled - 9), else_=doubled)
        total = total + digit
    return (total % 10) != 0


def cell_key(area_code: Any, cell_id: Any) -> Any:
    """One int64 per cell: the area code (24 bits) above the cell identity (36 bits)."""
    return area_code.cast("int64") * (1 << 36) + cell_id.cast("int64")


def _unknown(value: Any, table: Any | None, column: Callable[[Any], Any]) -> Any:
    if table is None:
        return value.notnull()
    return value.notnull() & ~value.isin(column(table))


def _window_rules(ts: Any, window: TimeWindow) -> list[Rule]:
    return [
        Rule("ts", f"before {window.earliest.isoformat()}", ts < window.earliest),
        Rule("ts", f"after {window.latest.isoformat()} (in the future)", ts > window.latest),
    ]


def table_rules(t: Any, spec: TableSpec, refs: References, window: TimeWindow) -> list[Rule]:
    """Checks that involve several fields or other tables."""
    v = {c: t[typed_name(c)] for c in spec.column_names}
    rules: list[Rule] = []
    if spec.name == "cells":
        rules.append(
            Rule(
                "zone_id",
                "unknown zone (not in zones)",
                _unknown(v["zone_id"], refs.zones, lambda z: z.zone_id),
            )
        )
    elif spec.name == "subscribers":
        rules.append(Rule("imei", "Luhn check digit is wrong", luhn_fails(v["imei"])))
        rules.append(
            Rule(
                "billing_zone_id",
                "unknown zone (not in zones)",
                _unknown(v["billing_zone_id"], refs.zones, lambda z: z.zone_id),
            )
        )
        rules.append(
            Rule("contract_end", "before contract_start", v["contract_end"] < v["contract_start"])
        )
    elif spec.name == "events":
        kind = v["event_type"]
        is_call = kind.isin(list(CALL_TYPES))
        rules += _window_rules(v["ts"], window)
        rules += [
            Rule(
                "counterpart",
                "required for calls and SMS",
                (is_call | kind.isin(list(SMS_TYPES))) & v["counterpart"].isnull(),
            ),
            Rule("duration_s", "required for calls", is_call & v["duration_s"].isnull()),
            Rule(
                "bytes_up",
                "required for data sessions",
                (kind == "data_session") & v["bytes_up"].isnull(),
            ),
            Rule(
                "bytes_down",
                "required for data sessions",
                (kind == "data_session") & v["bytes_down"].isnull(),
            ),
            Rule(
                "cell_id",
                "unknown cell (area_code, cell_id not in cells)",
                _unknown(
                    cell_key(v["area_code"], v["cell_id"]),
                    refs.cells,
                    lambda c: cell_key(c.area_code, c.cell_id),
                ),
            ),
        ]
    elif spec.name == "telemetry":
        rules += _window_rules(v["ts"], window)
        rules += [
            Rule(
                "gateway_id",
                "unknown gateway (no subscriber has it)",
                _unknown(v["gateway_id"], refs.subscribers, lambda s: s.gateway_id),
            ),
        ]
    return rules


ERASURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "subscribers": ("subscriber_id", "msisdn", "imsi", "imei", "gateway_id"),
    "events": ("imsi",),
    "telemetry": ("gateway_id",),
}
"""Columns that name a subscriber: rows with an erased subscriber's value there are refused."""

MASKED_ON_ERASURE: dict[str, str] = {"events": "counterpart"}
"""Columns of other people's rows that may hold an erased subscriber's number: kept, masked."""


def erasure_rules(t: Any, erased: dict[str, dict[str, str]]) -> list[Rule]:
    """Rules refusing rows about erased subscribers: ``erased`` maps a column to the erased
    values found in this input and their reason (one rule per column and reason)."""
    rules: list[Rule] = []
    for column, found in erased.items():
        by_reason: dict[str, list[str]] = {}
        for value, reason in found.items():
            by_reason.setdefault(reason, []).append(value)
        for reason, values in sorted(by_reason.items()):
            rules.append(Rule(column, reason, t[column].cast("string").isin(sorted(values))))
    return rules


def first_failure(rules: list[Rule]) -> Any:
    """``"field: reason"`` of the first rule a row breaks, null for a valid row."""
    return ibis.cases(
        *[(r.fails, f"{r.field}: {r.reason}") for r in rules], else_=ibis.null("string")
    )
