"""Ingestion: every row is accepted, quarantined with its reason, or counted as a duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from mini_world import T0, base_rows, write_tables

from trustflux.config import Settings
from trustflux.errors import InputError
from trustflux.events.ingest import IngestReport, ingest_directory

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def ingest(settings: Settings, directory: Path) -> IngestReport:
    return ingest_directory(settings, directory, now=NOW)


def by_table(report: IngestReport) -> dict[str, Any]:
    return {t.table: t for t in report.tables}


def quarantine(settings: Settings) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(settings.catalog_path), read_only=True)
    try:
        return con.execute(
            "SELECT table_name, source_file, source_row, field, reason, record FROM quarantine "
            "ORDER BY table_name, source_file, source_row"
        ).fetchall()
    finally:
        con.close()


def stored_rows(settings: Settings, table: str) -> int:
    files = sorted((settings.store_dir / table).rglob("*.parquet"))
    return sum(pq.read_metadata(f).num_rows for f in files)


def test_clean_input_is_all_accepted_and_partitioned_by_day(
    settings: Settings, tmp_path: Path
) -> None:
    rows = base_rows()
    report = ingest(settings, write_tables(tmp_path / "in", rows))
    for name, counts in by_table(report).items():
        assert counts.read == len(rows[name])
        assert counts.accepted == len(rows[name]), counts.reasons
        assert counts.quarantined == counts.duplicates == 0
        assert stored_rows(settings, name) == len(rows[name])
    days = sorted(p.name for p in (settings.store_dir / "events").iterdir())
    assert days == ["day=2026-03-02", "day=2026-03-03"]
    assert quarantine(settings) == []


def test_rerun_adds_nothing_and_counts_duplicates(settings: Settings, tmp_path: Path) -> None:
    src = write_tables(tmp_path / "in", base_rows())
    ingest(settings, src)
    before = {t: stored_rows(settings, t) for t in ("zones", "events", "telemetry")}
    again = by_table(ingest(settings, src))
    for counts in again.values():
        assert counts.accepted == 0
        assert counts.duplicates == counts.read > 0
    assert {t: stored_rows(settings, t) for t in before} == before


def test_rows_already_stored_are_duplicates_even_in_a_new_file(
    settings: Settings, tmp_path: Path
) -> None:
    rows = base_rows()
    ingest(settings, write_tables(tmp_path / "a", rows))
    extra = dict(rows["events"][0], ts=T0 + timedelta(hours=1))
    second = {"events": [*rows["events"], extra, extra]}
    counts = by_table(ingest(settings, write_tables(tmp_path / "b", second)))["events"]
    assert (counts.read, counts.accepted, counts.duplicates) == (
        len(rows["events"]) + 2,
        1,
        len(rows["events"]) + 1,
    )
    assert stored_rows(settings, "events") == len(rows["events"]) + 1


BAD_EVENTS = [
    ({"imsi": "2080100000"}, "imsi", "must be 15 digits"),
    ({"imsi": None}, "imsi", "required value is missing"),
    ({"event_type": "teleport"}, "event_type", "not one of"),
    ({"cell_id": 424242}, "cell_id", "unknown cell"),
    (
        {"event_type": "call_mo", "counterpart": "33145678901", "duration_s": -3},
        "duration_s",
        "below the minimum 0",
    ),
    (
        {"event_type": "call_mt", "counterpart": "33145678901", "duration_s": None},
        "duration_s",
        "required for calls",
    ),
    ({"event_type": "sms_mo", "counterpart": None}, "counterpart", "required for calls and SMS"),
    (
        {"event_type": "data_session", "bytes_up": -1, "bytes_down": 10},
        "bytes_up",
        "below the minimum 0",
    ),
    ({"ts": datetime(1999, 12, 31, tzinfo=UTC)}, "ts", "before 2000-01-01"),
    ({"ts": NOW + timedelta(days=3)}, "ts", "in the future"),
    ({"counterpart": "+33 1 45"}, "counterpart", "must be 3 to 15 digits"),
]


@pytest.mark.parametrize(("change", "field", "reason"), BAD_EVENTS)
def test_each_bad_event_is_quarantined_with_field_and_reason(
    settings: Settings, tmp_path: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    rows = base_rows()
    rows["events"].append(dict(rows["events"][0], **change))
    report = by_table(ingest(settings, write_tables(tmp_path / "in", rows)))
    counts = report["events"]
    assert (counts.quarantined, counts.accepted) == (1, len(rows["events"]) - 1)
    assert counts.reconciles
    [(table, source, row, got_field, got_reason, record)] = quarantine(settings)
    assert (table, got_field) == ("events", field)
    assert reason in got_reason
    assert source.endswith("events.parquet")
    assert row == len(rows["events"])
    assert '"imsi"' in record


BAD_SUBSCRIBERS = [
    ({"imei": "350000000000001"}, "imei", "Luhn"),
    ({"msisdn": "06 12"}, "msisdn", "must be 8 to 15 digits"),
    ({"billing_zone_id": "NOWHERE"}, "billing_zone_id", "unknown zone"),
    ({"age_bracket": "12-17"}, "age_bracket", "not one of"),
]


@pytest.mark.parametrize(("change", "field", "reason"), BAD_SUBSCRIBERS)
def test_bad_subscribers_are_quarantined(
    settings: Settings, tmp_path: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    rows = base_rows()
    rows["subscribers"].append(dict(rows["subscribers"][0], subscriber_id="S9", **change))
    counts = by_table(ingest(settings, write_tables(tmp_path / "in", rows)))["subscribers"]
    assert counts.quarantined == 1 and counts.reconciles
    [(_, _, _, got_field, got_reason, _)] = quarantine(settings)
    assert got_field == field and reason in got_reason


def test_same_key_with_other_values_is_a_conflict(settings: Settings, tmp_path: Path) -> None:
    rows = base_rows()
    ingest(settings, write_tables(tmp_path / "a", rows))
    changed = dict(rows["subscribers"][0], plan="OTHER")
    counts = by_table(ingest(settings, write_tables(tmp_path / "b", {"subscribers": [changed]})))[
        "subscribers"
    ]
    assert (counts.read, counts.quarantined, counts.accepted) == (1, 1, 0)
    [(_, _, _, field, reason, _)] = quarantine(settings)
    assert field == "subscriber_id" and "already present with other values" in reason


def test_csv_wrong_types_and_malformed_lines(settings: Settings, tmp_path: Path) -> None:
    rows = base_rows()
    src = write_tables(tmp_path / "in", rows, fmt="csv", typed=False)
    events = src / "events.csv"
    lines = events.read_text().splitlines()
    good = lines[1].split(",")
    bad_duration = [*good]
    bad_duration[4], bad_duration[5], bad_duration[6] = '"call_mo"', '"3312345678"', '"12s"'
    bad_ts = [*good]
    bad_ts[1] = '"yesterday"'
    lines += [",".join(bad_duration), ",".join(bad_ts), '"208010000000001","x"']
    events.write_text("\n".join(lines) + "\n")
    counts = by_table(ingest(settings, src))["events"]
    assert counts.reconciles
    assert (counts.read, counts.quarantined) == (len(rows["events"]) + 3, 3)
    got = {(q[2], q[3]): q[4] for q in quarantine(settings)}
    n = len(rows["events"])
    assert "not a valid whole number" in got[(n + 1, "duration_s")]
    assert "not a valid timestamp" in got[(n + 2, "ts")]
    assert "malformed CSV line" in got[(n + 3, "(line)")]


def test_missing_column_stops_before_anything_is_written(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_tables(tmp_path / "in", base_rows())
    table = pq.read_table(src / "events.parquet").drop_columns(["cell_id"])
    pq.write_table(table, src / "events.parquet")
    with pytest.raises(InputError, match=r"events\.parquet.*missing column\(s\) cell_id"):
        ingest(settings, src)
    assert stored_rows(settings, "events") == 0


def test_empty_or_missing_directory_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        ingest(settings, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no input tables found"):
        ingest(settings, tmp_path / "empty")
