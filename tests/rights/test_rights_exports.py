"""Access and portability exports: everything held, the register's account, streaming formats."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from rights_support import RightsWorld, scan

from trustflux.errors import RequestNotFoundError, RightsError
from trustflux.rights.exports import export_access, export_portability
from trustflux.rights.subjects import find_by_msisdn, find_subject

AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def read_zip(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return json.loads(members["summary.json"]), members


def jsonl(members: dict[str, bytes], section: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in members[f"{section}.jsonl"].splitlines() if line]


def csv_rows(members: dict[str, bytes], section: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(members[f"{section}.csv"].decode("utf-8"))))


EVENTS = Path("{store}") / "events" / "*" / "*.parquet"


def store_count(world: RightsWorld, sql: str, value: str) -> int:
    row = duckdb.connect().execute(sql.format(store=world.settings.store_dir), [value]).fetchone()
    assert row is not None
    return int(row[0])


def test_the_subject_is_found_by_id_and_number(rights_world: RightsWorld) -> None:
    s = rights_world.subject
    assert find_subject(rights_world.settings, s.subscriber_id) == s
    assert find_by_msisdn(rights_world.settings, "+" + s.msisdn) == s
    with pytest.raises(RequestNotFoundError, match="no subscriber 'NOBODY'"):
        find_subject(rights_world.settings, "NOBODY")


def test_access_export_holds_every_store_and_the_register(rights_world: RightsWorld) -> None:
    w, s = rights_world, rights_world.subject
    result = export_access(
        w.settings, w.register, w.engine, s.subscriber_id, request_id="req-access-1", at=AT
    )
    assert result.path == w.settings.rights_dir / "exports" / "req-access-1-access.zip"
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    summary, members = read_zip(result.path)
    counts = summary["counts"]
    assert result.as_dict()["counts"] == counts
    assert summary["subscriber_id"] == s.subscriber_id
    assert summary["request_id"] == "req-access-1"
    events = store_count(
        w,
        f"SELECT count(*) FROM {scan(EVENTS)} WHERE imsi = ?",
        s.imsi,
    )
    assert counts["events"] == events > 100
    # every section is there, with rows, as JSON lines and CSV that agree with the counts
    for section in (
        "contract",
        "contract_period",
        "account",
        "events",
        "telemetry",
        "consents",
        "billing_invoices",
        "billing_invoice_lines",
        "fraud_alerts",
        "offers",
        "diagnostics",
        "audit_trail",
        "rights_requests",
        "tickets",
        "quarantine",
    ):
        assert counts[section] > 0, section
        assert len(jsonl(members, section)) == counts[section], section
        assert len(csv_rows(members, section)) == counts[section], section
    assert {r["imsi"] for r in jsonl(members, "events")} == {s.imsi}
    assert jsonl(members, "contract")[0]["msisdn"] == s.msisdn
    assert {r["gateway_id"] for r in jsonl(members, "telemetry")} == {s.gateway_id}
    assert [r["purpose"] for r in jsonl(members, "consents")] == ["targeted_offers"]
    assert "password_hash" not in jsonl(members, "account")[0]
    assert jsonl(members, "offers")[0]["reasons"]
    assert "unknown cell" in jsonl(members, "quarantine")[0]["reason"]
    actions = {r["action"] for r in jsonl(members, "audit_trail")}
    assert "diagnosis_viewed" in actions
    # the register's account: purposes, bases, retention, recipients, rights, complaint
    register = summary["register"]
    purposes = {p["id"]: p for p in register["purposes"]}
    assert set(purposes) == set(w.register.purpose_ids)
    billing = purposes["billing"]
    assert billing["lawful_basis"] == "contract"
    assert billing["retention"]["period"] == "P1Y"
    assert billing["retention"]["exceptions"][0]["period"] == "P10Y"
    assert billing["recipients"] and billing["data_categories"] and billing["sources"]
    assert register["dpo"]["email"] and register["controller"]["name"]
    assert {r["article"] for r in register["rights"]} >= {"GDPR Art. 15", "GDPR Art. 22"}
    assert "CNIL" in register["complaint"]["authority"]["name"]
    assert "anonymous" in summary["out_of_scope"][0]
    assert set(summary["format"]) == {"jsonl", "csv"}


def test_portability_has_what_they_gave_and_generated_not_what_we_inferred(
    rights_world: RightsWorld,
) -> None:
    w, s = rights_world, rights_world.subject
    result = export_portability(
        w.settings, w.register, w.engine, s.subscriber_id, request_id="req-port-1", at=AT
    )
    assert result.path.name == "req-port-1-portability.zip"
    summary, members = read_zip(result.path)
    for section in ("contract", "events", "telemetry", "consents", "billing_invoices"):
        assert summary["counts"][section] > 0
        assert f"{section}.jsonl" in members and f"{section}.csv" in members
    for inferred in ("fraud_alerts", "offers", "diagnostics", "audit_trail", "quarantine"):
        assert inferred not in summary["counts"]
        assert f"{inferred}.jsonl" not in members
    assert "register" not in summary
    assert csv_rows(members, "events")[0]["imsi"] == s.imsi


def test_an_export_refuses_a_naive_time_and_a_bad_request_id(rights_world: RightsWorld) -> None:
    w, sid = rights_world, rights_world.subject.subscriber_id
    with pytest.raises(RightsError, match="no time zone"):
        export_access(
            w.settings, w.register, w.engine, sid, request_id="r", at=datetime(2026, 3, 5)
        )
    with pytest.raises(RightsError, match="request id"):
        export_access(w.settings, w.register, w.engine, sid, request_id="../x", at=AT)
