"""Property: whatever mix of good, broken and repeated rows arrives, the counts reconcile
exactly and each row lands where it should."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mini_world import T0, base_rows, write_tables

from trustflux.config import Settings
from trustflux.events.ingest import ingest_directory

NOW = datetime(2026, 3, 10, tzinfo=UTC)
IMSIS = [f"20801000000000{i}" for i in range(3)]

CORRUPTIONS: dict[str, dict[str, Any]] = {
    "short imsi": {"imsi": "2080"},
    "unknown type": {"event_type": "teleport"},
    "unknown cell": {"cell_id": 987654},
    "negative duration": {"event_type": "call_mo", "counterpart": "33111111111", "duration_s": -1},
    "too old": {"ts": datetime(1990, 1, 1, tzinfo=UTC)},
    "negative bytes": {"event_type": "data_session", "bytes_up": -5, "bytes_down": 5},
    "bad counterpart": {"event_type": "sms_mt", "counterpart": "abc"},
}


@st.composite
def valid_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["location_update", "call_mo", "sms_mt", "data_session"]))
    row: dict[str, Any] = {
        "imsi": draw(st.sampled_from(IMSIS)),
        "ts": T0 + timedelta(seconds=draw(st.integers(0, 36 * 3600))),
        "area_code": 100,
        "cell_id": 1000 + draw(st.integers(0, 2)),
        "event_type": kind,
        "counterpart": None,
        "duration_s": None,
        "bytes_up": None,
        "bytes_down": None,
    }
    if kind in ("call_mo", "sms_mt"):
        row["counterpart"] = "3361" + str(draw(st.integers(1000000, 9999999)))
    if kind == "call_mo":
        row["duration_s"] = draw(st.integers(0, 3600))
    if kind == "data_session":
        row["bytes_up"] = draw(st.integers(0, 10**9))
        row["bytes_down"] = draw(st.integers(0, 10**10))
    return row


@st.composite
def event_batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int, int, int]:
    """Rows plus the expected (accepted, quarantined, duplicates)."""
    rows: list[dict[str, Any]] = []
    bad = 0
    for _ in range(draw(st.integers(1, 40))):
        choice = draw(st.sampled_from(["good", "good", "bad", "repeat"]))
        if choice == "repeat" and rows:
            rows.append(dict(draw(st.sampled_from(rows))))
            if rows[-1].get("_bad"):
                bad += 1
            continue
        row = draw(valid_event())
        if choice == "bad":
            row.update(CORRUPTIONS[draw(st.sampled_from(sorted(CORRUPTIONS)))])
            row["_bad"] = True
            bad += 1
        rows.append(row)
    good = [tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows if not r.get("_bad")]
    accepted = len(set(good))
    for r in rows:
        r.pop("_bad", None)
    return rows, accepted, bad, len(good) - accepted


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with zones, cells and subscribers already ingested, copied for each example."""
    root = tmp_path_factory.mktemp("template")
    rows = base_rows()
    reference = {k: rows[k] for k in ("zones", "cells", "subscribers")}
    ingest_directory(Settings(home=root / "home"), write_tables(root / "in", reference), now=NOW)
    return root / "home"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=event_batches())
def test_counts_reconcile_for_any_mix(
    template_home: Path, tmp_path_factory: pytest.TempPathFactory, batch: Any
) -> None:
    rows, accepted, quarantined, duplicates = batch
    work = tmp_path_factory.mktemp("example")
    home = work / "home"
    shutil.copytree(template_home, home)
    src = write_tables(work / "in", {"events": rows})
    report = ingest_directory(Settings(home=home), src, now=NOW)
    [counts] = report.tables
    assert counts.read == len(rows)
    assert (counts.accepted, counts.quarantined, counts.duplicates) == (
        accepted,
        quarantined,
        duplicates,
    )
    assert counts.reconciles
    again = ingest_directory(Settings(home=home), src, now=NOW).tables[0]
    assert (again.read, again.accepted, again.duplicates) == (len(rows), 0, len(rows))
