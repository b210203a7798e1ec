"""Governance in the gate: the DPO's DPIA decisions and restrictions of processing (Art. 18).

Tests share one database per backend, and a DPIA decision applies to a whole purpose: each test
works on a copy of ``fraud_detection`` under a purpose id of its own.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from trustflux.audit.trail import AuditTrail
from trustflux.errors import GateError
from trustflux.gate import (
    Decision,
    Gate,
    dpia_history,
    dpia_statuses,
    lift_restriction,
    record_dpia_decision,
    restrict,
    restricted_at,
    sync_subscribers,
)
from trustflux.register import DpiaStatus, Register
from trustflux.register.models import Dpia

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
APPROVED_AT = T0 + timedelta(days=1)
REJECTED_AT = T0 + timedelta(days=3)


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _with_purpose_in_review(register: Register) -> tuple[Register, str]:
    """The register plus an opt-out purpose (a copy of fraud_detection) whose DPIA is in review."""
    purpose_id = f"fraud_{uuid.uuid4().hex[:10]}"
    base = register.purpose("fraud_detection")
    extra = base.model_copy(
        update={"id": purpose_id, "dpia": Dpia(status=DpiaStatus.IN_REVIEW, reference="DPIA-T")}
    )
    return register.model_copy(update={"purposes": (*register.purposes, extra)}), purpose_id


def _population(*ids: str) -> pa.Table:
    return pa.table(
        {
            "subscriber_id": list(ids),
            "contract_start": pa.array([date(2020, 1, 1)] * len(ids), pa.date32()),
            "contract_end": pa.array([None] * len(ids), pa.date32()),
        }
    )


def _says(decision: Decision, allow: bool, code: str, *words: str) -> None:
    assert (decision.allow, decision.code) == (allow, code), decision.reason
    for word in words:
        assert word in decision.reason


def _everywhere(gate: Gate, subject: str, purpose: str, at: datetime) -> set[bool]:
    """The answer of decide, eligible, excluded and a snapshot, as a set (one value if agreed)."""
    population = _population(subject)
    answers = {
        gate.decide(subject, purpose, at).allow,
        gate.eligible(purpose, at, population).num_rows == 1,
        gate.excluded(purpose, at, population).num_rows == 0,
        gate.snapshot([purpose], [subject]).decide(subject, purpose, at).allow,
    }
    return answers


def test_a_purpose_in_review_is_denied_until_the_dpo_approves_and_after_a_rejection(
    engine: Engine, register: Register, sid: str
) -> None:
    copy, purpose = _with_purpose_in_review(register)
    ticker = Ticker()
    long_lived = Gate(engine, copy, refresh_seconds=30, monotonic=ticker)
    _says(long_lived.decide(sid, purpose, APPROVED_AT), False, "dpia_not_cleared", "in_review")
    assert _everywhere(Gate(engine, copy), sid, purpose, APPROVED_AT + timedelta(hours=1)) == {
        False
    }

    record_dpia_decision(
        engine,
        copy,
        purpose,
        DpiaStatus.APPROVED,
        actor="Camille Laurent (DPO)",
        note="Residual risks accepted after the ethics review",
        at=APPROVED_AT,
    )
    after = APPROVED_AT + timedelta(hours=1)
    assert _everywhere(Gate(engine, copy), sid, purpose, after) == {True}
    decision = Gate(engine, copy).decide(sid, purpose, after)
    _says(decision, True, "no_objection")
    assert decision.dpia_status is DpiaStatus.APPROVED
    # a question about a time before the decision is answered with the status of that time
    _says(
        Gate(engine, copy).decide(sid, purpose, APPROVED_AT - timedelta(seconds=1)),
        False,
        "dpia_not_cleared",
        "in_review",
    )
    # the long-lived gate keeps its copy until the refresh interval has passed
    assert not long_lived.decide(sid, purpose, after).allow
    ticker.now += 30
    assert long_lived.decide(sid, purpose, after).allow

    record_dpia_decision(
        engine,
        copy,
        purpose,
        DpiaStatus.REJECTED,
        actor="Camille Laurent (DPO)",
        note="New data source not covered by the assessment",
        at=REJECTED_AT,
    )
    later = REJECTED_AT + timedelta(minutes=1)
    ticker.now += 30
    _says(long_lived.decide(sid, purpose, later), False, "dpia_not_cleared", "rejected")
    assert _everywhere(Gate(engine, copy), sid, purpose, later) == {False}
    assert Gate(engine, copy).decide(sid, purpose, REJECTED_AT - timedelta(hours=1)).allow

    statuses = dpia_statuses(engine, copy, at=later)
    assert statuses[purpose] is DpiaStatus.REJECTED
    assert statuses["fraud_detection"] is DpiaStatus.APPROVED  # untouched: the YAML's
    history = dpia_history(engine, purpose)
    assert [h.status for h in history] == [DpiaStatus.APPROVED, DpiaStatus.REJECTED]
    assert history[0].decided_by == "Camille Laurent (DPO)" and "ethics" in history[0].note

    trail = AuditTrail(engine)
    entries = [e for e in trail.entries() if e.action == "dpia.decided" and e.purpose == purpose]
    assert [e.details["status"] for e in entries] == ["approved", "rejected"]
    assert entries[0].details["previous"] == "in_review"
    assert entries[1].details["note"] == "New data source not covered by the assessment"
    assert trail.verify().ok


def test_refresh_zero_sees_a_decision_at_once(engine: Engine, register: Register, sid: str) -> None:
    copy, purpose = _with_purpose_in_review(register)
    gate = Gate(engine, copy, refresh_seconds=0)
    assert not gate.decide(sid, purpose, T0).allow
    record_dpia_decision(
        engine, copy, purpose, DpiaStatus.APPROVED, actor="dpo", note="approved", at=T0
    )
    assert gate.decide(sid, purpose, T0).allow
    assert gate.rule_at(purpose, T0).dpia_cleared


@pytest.mark.parametrize(
    ("purpose", "note", "at", "words"),
    [
        ("telepathy", "why", T0, "unknown purpose"),
        ("billing", "  ", T0, "needs a note"),
        ("billing", "why", datetime(2026, 3, 2, 9, 0), "time zone"),
    ],
)
def test_a_dpia_decision_needs_a_declared_purpose_a_note_and_a_time_zone(
    engine: Engine, register: Register, purpose: str, note: str, at: datetime, words: str
) -> None:
    with pytest.raises(GateError, match=words):
        record_dpia_decision(
            engine, register, purpose, DpiaStatus.REJECTED, actor="dpo", note=note, at=at
        )


def test_a_restriction_denies_every_purpose_but_privacy_compliance_until_lifted(
    engine: Engine, register: Register, sid: str
) -> None:
    sync_subscribers(engine, _population(sid), now=T0)
    gate = Gate(engine, register, refresh_seconds=0)
    since, until = T0 + timedelta(days=1), T0 + timedelta(days=5)
    during = since + timedelta(hours=2)
    for purpose in ("fraud_detection", "billing", "gateway_diagnostics"):
        assert _everywhere(gate, sid, purpose, during) == {True}, purpose

    restrict(
        engine,
        sid,
        reason="accuracy of the usage data contested",
        request_id=str(uuid.uuid4()),
        at=since,
        actor="dpo",
    )
    for purpose in ("fraud_detection", "billing", "gateway_diagnostics", "mobility_statistics"):
        _says(gate.decide(sid, purpose, during), False, "restricted", "2026-03-03", "Art. 18")
        assert _everywhere(gate, sid, purpose, during) == {False}, purpose
    _says(gate.decide(sid, "privacy_compliance", during), True, "legal_obligation")
    assert _everywhere(gate, sid, "privacy_compliance", during) == {True}
    with gate.reader.connect() as conn:
        assert restricted_at(conn, [sid, "S-nobody"], during) == {sid}
        assert sid in restricted_at(conn, None, during)
        assert restricted_at(conn, [sid], since - timedelta(seconds=1)) == set()

    assert lift_restriction(engine, sid, actor="dpo", at=until)
    assert not lift_restriction(engine, sid, actor="dpo", at=until)  # nothing left open
    after = until + timedelta(hours=1)
    for purpose in ("fraud_detection", "billing"):
        assert _everywhere(gate, sid, purpose, after) == {True}, purpose
    # the past keeps the periods of that time
    _says(gate.decide(sid, "billing", during), False, "restricted")
    assert _everywhere(gate, sid, "billing", during) == {False}
    assert _everywhere(gate, sid, "billing", since - timedelta(hours=1)) == {True}

    trail = AuditTrail(engine)
    actions = [e.action for e in trail.entries(subject=sid)]
    assert actions == ["processing.restricted", "processing.restriction_lifted"]
    assert trail.entries(subject=sid)[0].details["reason"] == "accuracy of the usage data contested"
    assert trail.verify().ok


def test_decide_many_mixes_restricted_and_free_subjects(
    engine: Engine, register: Register, sid: str
) -> None:
    other = f"{sid}x"
    restrict(engine, sid, reason="objection pending", request_id=None, at=T0, actor="dpo")
    gate = Gate(engine, register, refresh_seconds=0)
    later = T0 + timedelta(days=1)
    answers = gate.decide_many(
        [
            (sid, "fraud_detection", later),
            (other, "fraud_detection", later),
            (sid, "privacy_compliance", later),
            (sid, "fraud_detection", T0 - timedelta(days=1)),
        ]
    )
    assert [a.code if isinstance(a, Decision) else "error" for a in answers] == [
        "restricted",
        "no_objection",
        "legal_obligation",
        "no_objection",
    ]


def test_a_long_lived_gate_sees_a_restriction_after_the_refresh_interval(
    engine: Engine, register: Register, sid: str
) -> None:
    ticker = Ticker()
    gate = Gate(engine, register, refresh_seconds=2.0, monotonic=ticker)
    later = T0 + timedelta(days=1)
    assert gate.decide(sid, "fraud_detection", later).allow
    restrict(engine, sid, reason="contested", request_id=None, at=T0, actor="dpo")
    ticker.now += 1.0
    assert gate.decide(sid, "fraud_detection", later).allow  # still its earlier copy
    ticker.now += 1.0
    assert gate.decide(sid, "fraud_detection", later).code == "restricted"
    # bulk answers read the tables fresh whatever the interval
    lift_restriction(engine, sid, actor="dpo", at=later)
    after = later + timedelta(hours=1)
    assert gate.eligible("fraud_detection", after, _population(sid)).num_rows == 1


def test_restriction_needs_a_reason_and_an_aware_time(engine: Engine, sid: str) -> None:
    with pytest.raises(GateError, match="reason"):
        restrict(engine, sid, reason=" ", request_id=None, at=T0, actor="dpo")
    with pytest.raises(GateError, match="malformed"):
        restrict(engine, "bad id!", reason="x", request_id=None, at=T0, actor="dpo")
    with pytest.raises(GateError, match="time zone"):
        restrict(engine, sid, reason="x", request_id=None, at=datetime(2026, 1, 1), actor="dpo")
    with pytest.raises(GateError, match="actor"):
        restrict(engine, sid, reason="x", request_id=None, at=T0, actor="")


def test_a_restriction_cannot_be_lifted_before_it_began(
    engine: Engine, register: Register, sid: str
) -> None:
    sync_subscribers(engine, _population(sid), now=T0)
    gate = Gate(engine, register, refresh_seconds=0)
    since = T0 + timedelta(days=2)
    restrict(engine, sid, reason="accuracy contested", request_id=None, at=since, actor="dpo")
    with pytest.raises(GateError, match="began"):
        lift_restriction(engine, sid, actor="dpo", at=since - timedelta(days=1))
    during = since + timedelta(hours=1)
    _says(gate.decide(sid, "billing", during), False, "restricted")  # still in the past and now
    assert [e.action for e in AuditTrail(engine).entries(subject=sid)] == ["processing.restricted"]
    assert lift_restriction(engine, sid, actor="dpo", at=since + timedelta(days=1))
    _says(gate.decide(sid, "billing", during), False, "restricted")


def test_refresh_seconds_cannot_be_negative(engine: Engine, register: Register) -> None:
    with pytest.raises(GateError, match="refresh_seconds"):
        Gate(engine, register, refresh_seconds=-1)
