"""Consent and objection changes written by the ledger are chained into the trail, atomically."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from trustflux.audit import AuditTrail
from trustflux.audit.consent import CONSENT_CHANGE
from trustflux.errors import LedgerError
from trustflux.ledger import Choice, Event, Ledger, Method
from trustflux.register import load_register

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_each_record_becomes_a_consent_change_entry(engine: Engine, trail: AuditTrail) -> None:
    ledger = Ledger(engine, load_register(ROOT / "register"), audit=trail)
    sid = f"T{uuid.uuid4().hex[:15]}"
    given = ledger.append(
        Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0, actor="app")
    )
    objected = ledger.append(
        Choice(
            sid,
            "mobility_statistics",
            Event.OBJECTED,
            Method.CALL_CENTRE,
            occurred_at=T0 + timedelta(hours=1),
            actor="agent:bob",
        )
    )
    with pytest.raises(LedgerError):  # refused: nothing in the ledger, nothing in the trail
        ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    entries = trail.entries(subject=sid)
    assert [(e.action, e.actor, e.purpose) for e in entries] == [
        (CONSENT_CHANGE, "app", "targeted_offers"),
        (CONSENT_CHANGE, "agent:bob", "mobility_statistics"),
    ]
    assert [e.details["record_id"] for e in entries] == [given.record_id, objected.record_id]
    assert entries[1].details["event"] == "objected"
    assert entries[0].details["record_hash"] == given.record_hash
    assert trail.verify().ok
