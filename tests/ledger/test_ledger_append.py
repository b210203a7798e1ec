"""Appending choices: what is stored, how state is derived from history, receipts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from trustflux.ledger import Choice, Event, Ledger, Method, build_receipt, notice_text, text_hash
from trustflux.register import Register

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_given_consent_is_stored_with_its_notice_and_chain(ledger: Ledger, sid: str) -> None:
    record = ledger.append(
        Choice(
            sid, "targeted_offers", Event.GIVEN, Method.ACCOUNT_AREA, occurred_at=T0, language="en"
        )
    )
    purpose = ledger.register.purpose("targeted_offers")
    assert record.seq == 1 and record.prev_hash is None
    assert record.notice_version == purpose.notice_version
    assert record.notice_hash == text_hash(notice_text(purpose, "en"))
    assert record.jurisdiction == "FRA"
    assert ledger.record(record.record_id) == record
    assert ledger.history(sid) == [record]


def test_state_is_derived_from_history_at_any_time(ledger: Ledger, sid: str) -> None:
    given = ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    withdrawn = ledger.append(
        Choice(
            sid, "targeted_offers", Event.WITHDRAWN, Method.APP, occurred_at=T0 + timedelta(days=3)
        )
    )
    assert ledger.state_at(sid, "targeted_offers", T0 - timedelta(seconds=1)) is None
    assert ledger.state_at(sid, "targeted_offers", T0) == given
    assert ledger.state_at(sid, "targeted_offers", T0 + timedelta(days=1)) == given
    assert ledger.state_at(sid, "targeted_offers", T0 + timedelta(days=3)) == withdrawn
    assert ledger.current(sid) == {"targeted_offers": withdrawn}
    assert withdrawn.seq == 2 and withdrawn.prev_hash == given.record_hash
    assert [r.event for r in ledger.history(sid)] == [Event.GIVEN, Event.WITHDRAWN]


def test_objections_and_their_withdrawal(ledger: Ledger, sid: str) -> None:
    ledger.append(
        Choice(sid, "mobility_statistics", Event.OBJECTED, Method.CALL_CENTRE, occurred_at=T0)
    )
    back = ledger.append(
        Choice(
            sid,
            "mobility_statistics",
            Event.WITHDRAWN,
            Method.ACCOUNT_AREA,
            occurred_at=T0 + timedelta(hours=1),
        )
    )
    assert ledger.current(sid)["mobility_statistics"] == back
    assert ledger.history(sid, "mobility_statistics")[0].method is Method.CALL_CENTRE


def test_a_lapsed_choice_is_still_the_latest_record(ledger: Ledger, sid: str) -> None:
    record = ledger.append(
        Choice(
            sid,
            "targeted_offers",
            Event.GIVEN,
            Method.APP,
            occurred_at=T0,
            expires_at=T0 + timedelta(days=30),
        )
    )
    later = ledger.state_at(sid, "targeted_offers", T0 + timedelta(days=31))
    assert later == record and later.lapsed(T0 + timedelta(days=31))
    assert not record.lapsed(T0 + timedelta(days=29))


def test_histories_are_separate_per_purpose_and_subject(ledger: Ledger, sid: str) -> None:
    other = sid + "x"
    ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    ledger.append(Choice(sid, "fraud_detection", Event.OBJECTED, Method.APP, occurred_at=T0))
    ledger.append(Choice(other, "targeted_offers", Event.REFUSED, Method.APP, occurred_at=T0))
    assert {r.purpose for r in ledger.history(sid)} == {"targeted_offers", "fraud_detection"}
    assert [r.event for r in ledger.history(other)] == [Event.REFUSED]
    assert all(r.seq == 1 for r in ledger.history(sid))


def test_the_hash_chain_verifies(ledger: Ledger, sid: str) -> None:
    for step, event in enumerate([Event.GIVEN, Event.WITHDRAWN, Event.GIVEN, Event.EXPIRED]):
        ledger.append(
            Choice(
                sid, "targeted_offers", event, Method.APP, occurred_at=T0 + timedelta(minutes=step)
            )
        )
    assert ledger.verify(sid) == []


def test_visitor_choices_from_the_banner(ledger: Ledger) -> None:
    visitor = "visitor:" + "ab" * 16
    record = ledger.append(
        Choice(
            visitor,
            "advertising_cookies",
            Event.REFUSED,
            Method.GPC_SIGNAL,
            occurred_at=T0,
            expires_at=T0 + timedelta(days=182),
            actor="visitor",
        )
    )
    assert record.subject_kind.value == "visitor"
    assert ledger.state_at(visitor, "advertising_cookies", T0) == record


def test_receipt_follows_iso_27560_sections(ledger: Ledger, register: Register, sid: str) -> None:
    record = ledger.append(
        Choice(
            sid, "targeted_offers", Event.GIVEN, Method.ACCOUNT_AREA, occurred_at=T0, language="fr"
        )
    )
    notice = ledger.notice_text(record.notice_hash)
    receipt = build_receipt(record, register, notice, issued_at=T0 + timedelta(hours=1))
    assert set(receipt) >= {"schema", "header", "parties", "processing", "event"}
    assert receipt["header"]["record_id"] == record.record_id
    assert receipt["header"]["pii_principal_id"] == sid
    assert receipt["header"]["chain"]["record_hash"] == record.record_hash
    assert receipt["parties"]["pii_controller"]["name"] == register.controller.name
    assert receipt["processing"]["lawful_basis"] == "consent"
    assert receipt["processing"]["privacy_notice"]["sha256"] == record.notice_hash
    assert receipt["processing"]["privacy_notice"]["text"].startswith("Offres ciblées")
    assert receipt["event"] == {
        "type": "given",
        "time": record.occurred_at.isoformat(timespec="microseconds"),
        "recorded_at": record.recorded_at.isoformat(timespec="microseconds"),
        "collection_method": "account_area",
        "jurisdiction": "FRA",
        "expiry": None,
        "recorded_by": "system",
    }
    json.dumps(receipt)  # serialisable as is
