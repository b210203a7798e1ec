"""Erasure markers: keyed hashes only, one key made once, the SQL HMAC equals Python's, and
ingestion refuses an erased subscriber's rows only once someone was erased."""

from __future__ import annotations

import hashlib
import hmac
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from input_support import SQUARE, write_inputs
from trustflux.config import Settings
from trustflux.engine.store import Store
from trustflux.errors import RightsError
from trustflux.events.ingest import ingest_directory
from trustflux.events.schemas import TABLES
from trustflux.rights import tombstones

AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_the_key_is_made_once_private_and_is_32_bytes(settings: Settings) -> None:
    assert tombstones.erasure_key(settings) is None
    key = tombstones.erasure_key(settings, create=True)
    path = settings.keys_dir / "erasure.key"
    assert key is not None and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tombstones.erasure_key(settings, create=True) == key
    path.write_bytes(b"short")
    with pytest.raises(RightsError, match=r"erasure\.key has 5 bytes"):
        tombstones.erasure_key(settings)


def test_markers_hold_keyed_hashes_never_the_identifiers(settings: Settings) -> None:
    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    ids = {"subscriber_id": "S1", "msisdn": "33610000001", "imsi": "208010000000001"}
    with Store(settings) as store:
        assert not tombstones.has_markers(store.raw)
        assert tombstones.add_markers(settings, store.raw, key, ids, "req-1", AT) == 3
        assert tombstones.add_markers(settings, store.raw, key, ids, "req-2", AT) == 0  # idempotent
        rows = store.raw.execute("SELECT kind, digest, request_id FROM erasure_markers").fetchall()
        text = repr(rows)
        assert all(value not in text for value in ids.values())
        expected = hmac.new(key, b"208010000000001", hashlib.sha256).hexdigest()
        assert ("imsi", expected, "req-1") in rows
        assert tombstones.erased_on(store.raw, key, "imsi", "208010000000001") == AT
        assert tombstones.erased_on(store.raw, key, "imsi", "208010000000002") is None
        assert tombstones.erased_on(store.raw, key, "msisdn", "208010000000001") is None
        assert tombstones.markers_of(store.raw, "req-1") == 3


def test_the_sql_hmac_is_the_python_hmac(settings: Settings) -> None:
    """Ingestion hashes in DuckDB; markers are written from Python: they must agree."""
    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    values = ["208010000000001", "GW-7.a:b", "S000000001", "é"]
    with Store(settings) as store:
        tombstones.add_markers(settings, store.raw, key, {"imsi": values[0]}, "r", AT)
        tombstones.add_markers(settings, store.raw, key, {"gateway_id": values[1]}, "r", AT)
        relation = "SELECT * FROM (VALUES " + ", ".join(f"('{v}')" for v in values) + ") t(x)"
        assert tombstones.erased_values(store.raw, key, relation, "x", ["imsi"]) == {values[0]: AT}
        both = tombstones.erased_values(store.raw, key, relation, "x", ["imsi", "gateway_id"])
        assert set(both) == set(values[:2])


def test_a_marker_without_its_key_is_an_error_not_a_pass(settings: Settings) -> None:
    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    with Store(settings) as store:
        tombstones.add_markers(settings, store.raw, key, {"imsi": "208010000000001"}, "r", AT)
    (settings.keys_dir / "erasure.key").unlink()
    with pytest.raises(RightsError, match=r"erasure\.key is missing"):
        tombstones.require_key(settings)
    with pytest.raises(RightsError, match=r"erasure\.key is missing"):
        tombstones.ErasedLookup.load(settings, "gateway_id")


def test_the_reason_names_the_day_and_the_article() -> None:
    assert tombstones.erasure_reason(datetime(2026, 11, 26, 23, 30, tzinfo=UTC)) == (
        "subscriber erased on 2026-11-26 (GDPR Art. 17): data about them is refused"
    )


T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def subscriber(i: int) -> dict[str, Any]:
    return dict(
        subscriber_id=f"S{i}",
        msisdn=f"3361000000{i}",
        imsi=f"20801{i:010d}",
        imei=["352099001761481", "490154203237518"][i - 1],
        contract_start=date(2025, 1, 1),
        contract_end=None,
        billing_zone_id="Z1",
        billing_region_id="R1",
        plan="P",
        gateway_id=f"GW{i}",
        age_bracket=None,
    )


def event(imsi: str, minutes: int) -> dict[str, Any]:
    return dict(
        imsi=imsi,
        ts=T0 + timedelta(minutes=minutes),
        area_code=1,
        cell_id=1,
        event_type="location_update",
        counterpart=None,
        duration_s=None,
        bytes_up=None,
        bytes_down=None,
    )


def reference_tables() -> dict[str, list[dict[str, Any]]]:
    """One zone and one cell, for subscribers and events to point at."""
    zone = dict(
        zone_id="Z1", name="Z", region_id="R1", population=1, lon=2.05, lat=45.05, geometry=SQUARE
    )
    cell = dict(
        radio="LTE",
        mcc="208",
        mnc="01",
        area_code=1,
        cell_id=1,
        lon=2.05,
        lat=45.05,
        azimuth=None,
        range_m=500,
        zone_id="Z1",
    )
    return {"zones": [zone], "cells": [cell]}


def test_ingestion_refuses_rows_of_an_erased_subscriber_only(
    settings: Settings, tmp_path: Path
) -> None:
    """After S1's markers, rows naming S1 by any identifier are refused; S2's are accepted;
    counts reconcile and the quarantine keeps the reason, not the row."""
    s1, s2 = subscriber(1), subscriber(2)
    first = {
        **reference_tables(),
        "subscribers": [s1, s2],
        "events": [event(s1["imsi"], 0), event(s2["imsi"], 1)],
    }
    report = ingest_directory(settings, write_inputs(first, tmp_path / "first"), now=NOW)
    assert report.total("quarantined") == 0
    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    ids = {k: str(s1[k]) for k in ("subscriber_id", "msisdn", "imsi", "imei", "gateway_id")}
    with Store(settings) as store:
        tombstones.add_markers(settings, store.raw, key, ids, "req-9", AT)
    again = {
        # S1 under a new contract id but the same IMSI; S2 changed nothing (a duplicate)
        "subscribers": [dict(s1, subscriber_id="S1-NEW"), s2],
        "events": [event(s1["imsi"], m) for m in range(10, 13)] + [event(s2["imsi"], 20)],
        "telemetry": [
            dict(gateway_id=g, ts=T0, path="Device.DeviceInfo.UpTime", value="60")
            for g in ("GW1", "GW2")
        ],
    }
    report = ingest_directory(settings, write_inputs(again, tmp_path / "second"), now=NOW)
    by_table = {t.table: t for t in report.tables}
    assert all(t.reconciles for t in report.tables)
    reason = "subscriber erased on 2026-11-26 (GDPR Art. 17): data about them is refused"
    subs, events, telemetry = by_table["subscribers"], by_table["events"], by_table["telemetry"]
    assert (subs.quarantined, subs.duplicates) == (1, 1)
    assert set(subs.reasons) == {f"msisdn: {reason}"}  # the first identifier column that hits
    assert (events.quarantined, events.accepted) == (3, 1)
    assert events.reasons == {f"imsi: {reason}": 3}
    assert (telemetry.quarantined, telemetry.accepted) == (1, 1)
    assert telemetry.reasons == {f"gateway_id: {reason}": 1}
    with Store(settings) as store:
        records = store.raw.execute("SELECT DISTINCT record FROM quarantine").fetchall()
    assert records == [(tombstones.ERASED_RECORD,)]


def test_other_peoples_calls_to_an_erased_number_are_kept_with_the_number_masked(
    settings: Settings, tmp_path: Path
) -> None:
    """S2's call to erased S1 arrives after the erasure: S2's row is accepted, S1's number
    loses its last digits (as the erasure left the stored rows); other numbers are untouched."""
    s1, s2 = subscriber(1), subscriber(2)
    first = {
        **reference_tables(),
        "subscribers": [s1, s2],
    }
    ingest_directory(settings, write_inputs(first, tmp_path / "first"), now=NOW)
    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    with Store(settings) as store:
        tombstones.add_markers(settings, store.raw, key, {"msisdn": str(s1["msisdn"])}, "req-9", AT)

    def call(minutes: int, to: str) -> dict[str, Any]:
        return dict(
            event(s2["imsi"], minutes),
            event_type="call_mo",
            counterpart=to,
            duration_s=60,
        )

    calls = {"events": [call(30, str(s1["msisdn"])), call(31, "33699999999")]}
    report = ingest_directory(settings, write_inputs(calls, tmp_path / "calls"), now=NOW)
    [events] = [t for t in report.tables if t.table == "events"]
    assert (events.accepted, events.quarantined) == (2, 0) and events.reconciles
    with Store(settings) as store:
        stored = store.read("events").to_pyarrow().column("counterpart").to_pylist()
    assert sorted(stored) == sorted([str(s1["msisdn"])[: -tombstones.MASKED_DIGITS], "33699999999"])


def test_refused_rows_keep_no_erased_identifier_in_the_quarantine(
    settings: Settings, tmp_path: Path
) -> None:
    """After S1's erasure, rows quarantined for another reason (S2's call to S1 with a bad
    duration) or lines too malformed to split (naming S1's IMSI) must not bring S1's
    identifiers back into the quarantine."""
    s1, s2 = subscriber(1), subscriber(2)
    ingest_directory(
        settings,
        write_inputs({**reference_tables(), "subscribers": [s1, s2]}, tmp_path / "first"),
        now=NOW,
    )
    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    ids = {k: str(s1[k]) for k in ("subscriber_id", "msisdn", "imsi", "imei", "gateway_id")}
    with Store(settings) as store:
        tombstones.add_markers(settings, store.raw, key, ids, "req-9", AT)
    bad_call = dict(
        event(s2["imsi"], 30), event_type="call_mo", counterpart=s1["msisdn"], duration_s=-5
    )
    write_inputs({"events": [bad_call]}, tmp_path / "late")
    csv_text = (
        ",".join(TABLES["events"].column_names)
        + f"\n{s1['imsi']},2026-03-02T06:40:00Z,1,1,location_update\n"
        + f"{s2['imsi']},2026-03-02T06:41:00Z,1,1,call_mo,{s1['msisdn']},60,,,extra\n"
        + f"{s2['imsi']},2026-03-02T06:42:00Z,1,1,location_update,,,,\n"
    )
    (tmp_path / "late" / "events.csv").write_text(csv_text, encoding="utf-8")
    report = ingest_directory(settings, tmp_path / "late", now=NOW)
    [events] = [t for t in report.tables if t.table == "events"]
    assert events.reconciles and (events.quarantined, events.accepted) == (3, 1)
    with Store(settings) as store:
        rows = store.raw.execute("SELECT source_file, reason, record FROM quarantine").fetchall()
    assert len(rows) == 3
    text = repr(rows)
    for value in (s1["msisdn"], s1["imsi"]):
        assert str(value) not in text
    # the masked number of the other person's row stays, as in the store
    assert str(s1["msisdn"])[: -tombstones.MASKED_DIGITS] in text
