"""Bad input is refused with a typed error saying why, and nothing recorded before changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from trustflux.errors import (
    InvalidRecordError,
    LedgerError,
    OutOfOrderError,
    ReplayError,
    UnknownPurposeError,
)
from trustflux.ledger import Choice, Event, Ledger, Method

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def seeded(ledger: Ledger, sid: str) -> Callable[[], list[object]]:
    """One subject with two events; returns a snapshot function of everything stored for it."""
    ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    ledger.append(Choice(sid, "mobility_statistics", Event.OBJECTED, Method.APP, occurred_at=T0))
    return lambda: [ledger.history(sid), ledger.current(sid)]


def _case(sid: str, **changes: object) -> Choice:
    fields: dict[str, object] = {
        "subject": sid,
        "purpose": "targeted_offers",
        "event": Event.WITHDRAWN,
        "method": Method.APP,
        "occurred_at": T0 + timedelta(hours=1),
    }
    fields.update(changes)
    return Choice(**fields)  # type: ignore[arg-type]


BAD: list[tuple[str, dict[str, object], type[LedgerError], str]] = [
    ("unknown purpose", {"purpose": "telepathy"}, UnknownPurposeError, "unknown purpose"),
    ("malformed subject", {"subject": "S 1; DROP"}, InvalidRecordError, "malformed"),
    ("visitor id not hex", {"subject": "visitor:xyz"}, InvalidRecordError, "malformed"),
    ("malformed record id", {"record_id": "not-a-uuid"}, InvalidRecordError, "not a UUID"),
    (
        "no choice for billing",
        {"purpose": "billing", "event": Event.GIVEN},
        InvalidRecordError,
        "information only",
    ),
    (
        "objection to consent purpose",
        {"event": Event.OBJECTED},
        InvalidRecordError,
        "does not apply",
    ),
    (
        "refusal of an opt-out purpose",
        {"purpose": "fraud_detection", "event": Event.REFUSED},
        InvalidRecordError,
        "does not apply",
    ),
    ("unknown event", {"event": "maybe"}, InvalidRecordError, "event 'maybe'"),
    ("unknown method", {"method": "pigeon"}, InvalidRecordError, "method 'pigeon'"),
    ("naive time", {"occurred_at": datetime(2026, 3, 2, 10, 0)}, InvalidRecordError, "time zone"),
    (
        "future time",
        {"occurred_at": datetime.now(UTC) + timedelta(days=1)},
        InvalidRecordError,
        "future",
    ),
    (
        "expiry before event",
        {"event": Event.GIVEN, "expires_at": T0},
        InvalidRecordError,
        "expires_at",
    ),
    ("unknown notice version", {"notice_version": "1999.9"}, InvalidRecordError, "unknown"),
    (
        "wrong notice hash",
        {"event": Event.GIVEN, "notice_hash": "0" * 64},
        InvalidRecordError,
        "does not match",
    ),
    (
        "malformed notice hash",
        {"event": Event.GIVEN, "notice_hash": "xyz"},
        InvalidRecordError,
        "64",
    ),
    ("bad jurisdiction", {"jurisdiction": "France"}, InvalidRecordError, "ISO 3166"),
    ("bad language", {"language": "de"}, InvalidRecordError, "language"),
    ("out of order", {"occurred_at": T0 - timedelta(minutes=1)}, OutOfOrderError, "must be later"),
    ("same time, other event", {"occurred_at": T0}, OutOfOrderError, "must be later"),
    (
        "identical event again",
        {"event": Event.GIVEN, "occurred_at": T0},
        ReplayError,
        "already has",
    ),
    (
        "withdraw what was not given",
        {"purpose": "network_optimisation"},
        InvalidRecordError,
        "nothing to withdraw",
    ),
    (
        "visitor on a subscriber-only purpose",
        {
            "subject": "visitor:" + "c" * 32,
            "purpose": "fraud_detection",
            "event": Event.OBJECTED,
            "method": Method.COOKIE_BANNER,
        },
        InvalidRecordError,
        "not offered to website visitors",
    ),
    (
        "visitor through the call centre",
        {
            "subject": "visitor:" + "c" * 32,
            "purpose": "advertising_cookies",
            "event": Event.GIVEN,
            "method": Method.CALL_CENTRE,
        },
        InvalidRecordError,
        "cookie banner",
    ),
]


@pytest.mark.parametrize(
    ("changes", "error", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_records_are_refused_and_nothing_changes(
    ledger: Ledger,
    sid: str,
    seeded: Callable[[], list[object]],
    changes: dict[str, object],
    error: type[LedgerError],
    words: str,
) -> None:
    before = seeded()
    with pytest.raises(error, match=words):
        ledger.append(_case(sid, **changes))
    assert seeded() == before
    assert ledger.verify(sid) == []


def test_replaying_a_record_id_is_refused(ledger: Ledger, sid: str) -> None:
    first = ledger.append(_case(sid, event=Event.GIVEN, record_id=str(uuid.uuid4())))
    with pytest.raises(ReplayError, match="already in the ledger"):
        ledger.append(
            _case(
                sid,
                event=Event.WITHDRAWN,
                record_id=first.record_id,
                occurred_at=T0 + timedelta(hours=2),
            )
        )
    assert ledger.history(sid) == [first]


def test_a_record_id_is_normalised(ledger: Ledger, sid: str) -> None:
    wanted = uuid.uuid4()
    record = ledger.append(_case(sid, event=Event.GIVEN, record_id=str(wanted).upper()))
    assert record.record_id == str(wanted)


def test_consent_must_be_given_on_the_current_notice(ledger: Ledger, sid: str) -> None:
    from trustflux.ledger.notices import Notice

    ledger.notices.add(Notice("targeted_offers", "2024.1", "fr", "old text", "f" * 64))
    with pytest.raises(InvalidRecordError, match="current notice"):
        ledger.append(_case(sid, event=Event.GIVEN, notice_version="2024.1"))
    # a refusal on the older notice is still a valid refusal
    record = ledger.append(_case(sid, event=Event.REFUSED, notice_version="2024.1"))
    assert record.notice_hash == "f" * 64


def test_a_refused_group_writes_nothing(ledger: Ledger, sid: str) -> None:
    good = _case(sid, event=Event.GIVEN)
    bad = _case(sid, purpose="fraud_detection", event=Event.REFUSED)
    with pytest.raises(InvalidRecordError):
        ledger.append_group([good, bad])
    assert ledger.history(sid) == []
