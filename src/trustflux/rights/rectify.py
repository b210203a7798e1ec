"""Rectification (GDPR Art. 16) of the contract fields a subscriber may correct themselves.

A new value passes the same column rules ingestion applies (pattern, allowed values, required),
plus the references: the billing zone must exist in ``zones`` and the billing region must be
that zone's region. The subscriber's Parquet file is rewritten through a temporary file, so
the store never holds a half-changed contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from trustflux.config import Settings
from trustflux.errors import RightsError
from trustflux.events.schemas import SUBSCRIBERS
from trustflux.rights.holdings import (
    ONE_FILE,
    memory_connection,
    parquet_files,
    rewrite_parquet,
    scan,
)
from trustflux.rights.subjects import find_subject

RECTIFIABLE: tuple[str, ...] = ("billing_zone_id", "billing_region_id", "age_bracket")


@dataclass(frozen=True)
class RectifyResult:
    """The rectified fields, before and after."""

    subscriber_id: str
    before: Mapping[str, str | None]
    after: Mapping[str, str | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "subscriber_id": self.subscriber_id,
            "before": dict(self.before),
            "after": dict(self.after),
        }


def rectify_contract(
    settings: Settings, subscriber_id: str, changes: Mapping[str, str | None]
) -> RectifyResult:
    """Correct ``changes`` (field -> new value) in the subscriber's contract."""
    if not changes:
        raise RightsError("rectification: no field to change")
    for name in changes:
        if name not in RECTIFIABLE:
            raise RightsError(
                f"{name}: cannot be rectified here (allowed: {', '.join(RECTIFIABLE)})"
            )
    clean = {name: _checked(name, value) for name, value in changes.items()}
    ids = find_subject(settings, subscriber_id)
    files = parquet_files(settings.store_dir / "subscribers")
    current = _current(files, ids.subscriber_id)
    before = {name: current.get(name) for name in clean}
    merged = {**{n: current.get(n) for n in RECTIFIABLE}, **clean}
    _check_zone(settings, merged.get("billing_zone_id"), merged.get("billing_region_id"))
    if any(before[n] != clean[n] for n in clean):
        _write(settings, files, ids.subscriber_id, clean)
    return RectifyResult(ids.subscriber_id, before, dict(clean))


def _checked(name: str, value: str | None) -> str | None:
    column = SUBSCRIBERS.column(name)
    if value is not None and not isinstance(value, str):
        raise RightsError(f"{name}: expected text, got {type(value).__name__}")
    text = None if value is None or not value.strip() else value.strip()
    if text is None:
        if column.required:
            raise RightsError(f"{name}: required value is missing")
        return None
    if column.pattern is not None and not re.search(column.pattern, text):
        hint = column.hint or f"match {column.pattern}"
        raise RightsError(f"{name}: {text!r} is not valid (must be {hint})")
    if column.allowed is not None and text not in column.allowed:
        raise RightsError(f"{name}: {text!r} is not one of {', '.join(column.allowed)}")
    return text


def _current(files: list[Path], subscriber_id: str) -> dict[str, Any]:
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=list(RECTIFIABLE), filter=ds.field("subscriber_id") == subscriber_id
    )
    if table.num_rows == 0:
        raise RightsError(f"subscriber {subscriber_id}: contract not found in the store")
    row: dict[str, Any] = table.slice(0, 1).to_pylist()[0]
    return row


def _check_zone(settings: Settings, zone_id: str | None, region_id: str | None) -> None:
    files = parquet_files(settings.store_dir / "zones")
    if not files:
        raise RightsError(f"billing_zone_id: no zones in {settings.store_dir / 'zones'}")
    found = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=["zone_id", "region_id"], filter=ds.field("zone_id") == zone_id
    )
    if found.num_rows == 0:
        raise RightsError(f"billing_zone_id: unknown zone {zone_id!r} (not in zones)")
    region = found.column("region_id")[0].as_py()
    if region != region_id:
        raise RightsError(
            f"billing_region_id: {region_id!r} is not the region of zone {zone_id} ({region})"
        )


def _write(
    settings: Settings, files: list[Path], subscriber_id: str, clean: Mapping[str, str | None]
) -> None:
    con = memory_connection(settings)
    try:
        affected = con.execute(
            f"SELECT DISTINCT filename FROM {scan(files)} WHERE subscriber_id = $sid",
            {"sid": subscriber_id},
        ).fetchall()
        params: dict[str, Any] = {"sid": subscriber_id}
        replaced = []
        for i, (name, value) in enumerate(sorted(clean.items())):
            params[f"v{i}"] = value
            replaced.append(
                f"CASE WHEN subscriber_id = $sid THEN CAST($v{i} AS VARCHAR) ELSE {name} END "
                f"AS {name}"
            )
        select = f"SELECT * REPLACE ({', '.join(replaced)}) FROM {ONE_FILE}"
        for (name,) in affected:
            rewrite_parquet(con, Path(name), select, params)
    finally:
        con.close()
