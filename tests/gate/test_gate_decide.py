"""decide(subject, purpose, at): every rule of the register, with its reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from trustflux.errors import GateError
from trustflux.gate import Decision, Gate, sync_subscribers
from trustflux.ledger import Choice, Event, Ledger, Method
from trustflux.register import DpiaStatus, Register
from trustflux.register.models import Dpia

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=10)


def _contract(engine: Engine, subscriber: str, start: date, end: date | None) -> None:
    sync_subscribers(
        engine,
        pa.table(
            {
                "subscriber_id": [subscriber],
                "contract_start": pa.array([start], pa.date32()),
                "contract_end": pa.array([end], pa.date32()),
            }
        ),
        now=T0,
    )


def _says(decision: Decision, allow: bool, code: str, *words: str) -> None:
    assert (decision.allow, decision.code) == (allow, code), decision.reason
    for word in words:
        assert word in decision.reason


def test_consent_purposes_need_a_valid_unexpired_consent(
    gate: Gate, ledger: Ledger, sid: str
) -> None:
    _says(gate.decide(sid, "targeted_offers", T0), False, "no_consent", "no consent")
    given = ledger.append(
        Choice(
            sid,
            "targeted_offers",
            Event.GIVEN,
            Method.APP,
            occurred_at=T0,
            expires_at=T0 + timedelta(days=5),
        )
    )
    decision = gate.decide(sid, "targeted_offers", T0 + timedelta(days=1))
    _says(decision, True, "consent_given", "given", "app")
    assert decision.record_id == given.record_id and decision.lawful_basis.value == "consent"
    _says(
        gate.decide(sid, "targeted_offers", T0 + timedelta(days=5)),
        False,
        "consent_expired",
        "expired",
    )
    ledger.append(
        Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0 + timedelta(days=6))
    )
    ledger.append(Choice(sid, "targeted_offers", Event.WITHDRAWN, Method.APP, occurred_at=LATER))
    _says(gate.decide(sid, "targeted_offers", LATER), False, "consent_withdrawn", "withdrawn")
    # the past is answered from history
    _says(gate.decide(sid, "targeted_offers", T0 + timedelta(days=7)), True, "consent_given")
    _says(gate.decide(sid, "targeted_offers", T0 - timedelta(seconds=1)), False, "no_consent")


def test_refused_and_expired_events_deny(gate: Gate, ledger: Ledger, sid: str) -> None:
    ledger.append(Choice(sid, "targeted_offers", Event.REFUSED, Method.CALL_CENTRE, occurred_at=T0))
    _says(gate.decide(sid, "targeted_offers", T0), False, "consent_refused", "call_centre")
    ledger.append(
        Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0 + timedelta(hours=1))
    )
    ledger.append(
        Choice(
            sid, "targeted_offers", Event.EXPIRED, Method.API, occurred_at=T0 + timedelta(hours=2)
        )
    )
    _says(gate.decide(sid, "targeted_offers", LATER), False, "consent_expired")


def test_legitimate_interests_allowed_unless_objected(gate: Gate, ledger: Ledger, sid: str) -> None:
    _says(gate.decide(sid, "fraud_detection", T0), True, "no_objection", "legitimate interests")
    ledger.append(
        Choice(sid, "fraud_detection", Event.OBJECTED, Method.ACCOUNT_AREA, occurred_at=T0)
    )
    _says(gate.decide(sid, "fraud_detection", T0), False, "objected", "objection")
    ledger.append(
        Choice(sid, "fraud_detection", Event.WITHDRAWN, Method.ACCOUNT_AREA, occurred_at=LATER)
    )
    _says(gate.decide(sid, "fraud_detection", LATER), True, "no_objection", "withdrawn")
    _says(gate.decide(sid, "fraud_detection", LATER - timedelta(days=1)), False, "objected")


def test_an_objection_with_an_expiry_lapses(gate: Gate, ledger: Ledger) -> None:
    visitor = "visitor:" + "d" * 32
    ledger.append(
        Choice(
            visitor,
            "web_audience_measurement",
            Event.OBJECTED,
            Method.COOKIE_BANNER,
            occurred_at=T0,
            expires_at=T0 + timedelta(days=182),
        )
    )
    _says(
        gate.decide(visitor, "web_audience_measurement", T0 + timedelta(days=1)), False, "objected"
    )
    _says(
        gate.decide(visitor, "web_audience_measurement", T0 + timedelta(days=200)),
        True,
        "objection_lapsed",
    )


def test_contract_purposes_while_the_contract_runs(gate: Gate, engine: Engine, sid: str) -> None:
    _says(gate.decide(sid, "billing", T0), False, "no_contract")
    _contract(engine, sid, date(2026, 1, 1), date(2026, 6, 30))
    _says(gate.decide(sid, "billing", T0), True, "contract_running", "2026-01-01")
    _says(
        gate.decide(sid, "billing", datetime(2025, 12, 31, 23, tzinfo=UTC)),
        False,
        "contract_not_started",
    )
    _says(
        gate.decide(sid, "billing", datetime(2026, 6, 30, 23, tzinfo=UTC)), True, "contract_running"
    )
    _says(
        gate.decide(sid, "billing", datetime(2026, 7, 1, tzinfo=UTC)),
        False,
        "contract_ended",
        "2026-06-30",
    )
    _contract(engine, sid, date(2026, 1, 1), None)  # renewed: a later sync updates the period
    _says(gate.decide(sid, "billing", datetime(2027, 7, 1, tzinfo=UTC)), True, "contract_running")


def test_website_visitors_and_strictly_necessary_cookies(gate: Gate) -> None:
    visitor = "visitor:" + "e" * 32
    _says(gate.decide(visitor, "strictly_necessary_cookies", T0), True, "service_requested")
    _says(gate.decide(visitor, "gateway_diagnostics", T0), False, "no_contract")
    _says(gate.decide(visitor, "advertising_cookies", T0), False, "no_consent")


def test_a_purpose_without_a_cleared_dpia_is_denied_for_everyone(
    engine: Engine, register: Register, ledger: Ledger, sid: str
) -> None:
    ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    _contract(engine, sid, date(2020, 1, 1), None)
    for purpose_id, status in (
        ("targeted_offers", DpiaStatus.IN_REVIEW),
        ("billing", DpiaStatus.REJECTED),
    ):
        purposes = tuple(
            p.model_copy(update={"dpia": Dpia(status=status, reference="DPIA-X")})
            if p.id == purpose_id
            else p
            for p in register.purposes
        )
        blocked = Gate(engine, register.model_copy(update={"purposes": purposes}))
        _says(blocked.decide(sid, purpose_id, LATER), False, "dpia_not_cleared", status.value)
        assert blocked.decide(sid, purpose_id, LATER).dpia_status is status


@pytest.mark.parametrize(
    ("subject", "purpose", "at", "words"),
    [
        ("bad id!", "billing", T0, "malformed"),
        ("visitor:nothex", "billing", T0, "malformed"),
        ("S1", "telepathy", T0, "unknown purpose"),
        ("S1", "billing", datetime(2026, 3, 2, 9, 0), "time zone"),
    ],
)
def test_malformed_questions_are_refused(
    gate: Gate, subject: str, purpose: str, at: datetime, words: str
) -> None:
    with pytest.raises(GateError, match=words):
        gate.decide(subject, purpose, at)


def test_decide_many_answers_in_order_and_isolates_errors(
    gate: Gate, ledger: Ledger, sid: str
) -> None:
    ledger.append(Choice(sid, "mobility_statistics", Event.OBJECTED, Method.APP, occurred_at=T0))
    answers = gate.decide_many(
        [
            (sid, "mobility_statistics", LATER),
            ("bad id!", "billing", None),
            (sid, "mobility_statistics", T0 - timedelta(days=1)),
            (sid, "targeted_offers", None),
        ]
    )
    assert [a.code if isinstance(a, Decision) else "error" for a in answers] == [
        "objected",
        "error",
        "no_objection",
        "no_consent",
    ]
    assert isinstance(answers[1], GateError)


def test_default_time_is_now(gate: Gate, ledger: Ledger, sid: str) -> None:
    ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP))
    decision = gate.decide(sid, "targeted_offers")
    assert decision.allow and abs(decision.at - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_unreachable_database_is_a_typed_error(register: Register) -> None:
    from trustflux.db import create_db_engine
    from trustflux.errors import DatabaseError
    from trustflux.web.errors import status_of

    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(DatabaseError, match="unavailable") as caught:
        Gate(engine, register).decide("S1", "fraud_detection")
    with pytest.raises(DatabaseError, match="unavailable"):
        Ledger(engine, register).append_batch(
            [[Choice("S1", "fraud_detection", Event.OBJECTED, Method.API)]]
        )
    assert status_of(caught.value) == 503
