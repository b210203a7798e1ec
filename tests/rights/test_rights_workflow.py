"""The request workflow: filing, every step and its audit entry, wrong states, the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from workflow_support import (
    Clock,
    book,
    clock,
    rights_engine,
    rights_register,
    subject,
    trail,
)

from trustflux.audit import AuditTrail
from trustflux.errors import RequestNotFoundError, RequestStateError, RightsError
from trustflux.rights.requests import Kind, RequestBook, Status

__all__ = ["book", "clock", "rights_engine", "rights_register", "subject", "trail"]


def _actions(trail: AuditTrail, subject: str) -> list[str]:
    return [e.action for e in trail.entries(subject=subject)]


def test_a_request_goes_from_received_to_completed_with_an_entry_per_step(
    book: RequestBook, trail: AuditTrail, clock: Clock, subject: str
) -> None:
    filed = book.file(subject, "access", channel="agent", filed_by="agent:alice")
    assert filed.status is Status.RECEIVED
    assert filed.received_at == clock.now
    assert filed.due_at == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert book.get(filed.request_id) == filed

    clock.advance(hours=1)
    verified = book.verify(filed.request_id, method="id_document", actor="agent:alice")
    assert verified.status is Status.VERIFIED
    assert verified.verification == "id_document" and verified.verified_at == clock.now
    started = book.start(filed.request_id, actor="dpo:carol")
    assert started.status is Status.IN_PROGRESS
    done = book.complete(filed.request_id, result={"export": "/x/a.zip", "rows": 3}, actor="dpo")
    assert done.status is Status.COMPLETED
    assert done.result == {"export": "/x/a.zip", "rows": 3}
    assert book.get(filed.request_id) == done

    assert _actions(trail, subject) == [
        "rights_request.filed",
        "rights_request.verified",
        "rights_request.started",
        "rights_request.completed",
    ]
    entries = trail.entries(subject=subject)
    assert all(e.purpose == "privacy_compliance" for e in entries)
    assert all(e.details["request_id"] == filed.request_id for e in entries)
    assert all(e.details["kind"] == "access" for e in entries)
    assert entries[1].details["method"] == "id_document"
    assert entries[3].details["result"] == {"export": "/x/a.zip", "rows": 3, "sections": []}
    assert trail.verify().ok


def test_a_request_from_the_account_area_is_verified_by_the_session(
    book: RequestBook, trail: AuditTrail, subject: str
) -> None:
    request = book.file(subject, Kind.ERASURE, channel="account", filed_by=subject)
    assert request.status is Status.VERIFIED
    assert request.verification == "session"
    assert _actions(trail, subject) == ["rights_request.filed", "rights_request.verified"]


def test_refused_from_any_open_state_with_the_reason(
    book: RequestBook, trail: AuditTrail, subject: str
) -> None:
    first = book.file(subject, "access", channel="web", filed_by="web-form")
    refused = book.refuse(first.request_id, reason="identity not shown", actor="dpo")
    assert refused.status is Status.REFUSED
    assert refused.refusal_reason == "identity not shown"
    assert refused.completed_at is not None

    second = book.file(subject, "erasure", channel="account", filed_by=subject)
    book.start(second.request_id, actor="dpo")
    book.refuse(second.request_id, reason="manifestly unfounded (Art. 12(5))", actor="dpo")
    refusals = [e for e in trail.entries(subject=subject) if e.action == "rights_request.refused"]
    assert [e.details["reason"] for e in refusals] == [
        "identity not shown",
        "manifestly unfounded (Art. 12(5))",
    ]
    with pytest.raises(RightsError, match="reason: must not be empty"):
        book.refuse(
            book.file(subject, "access", channel="cli", filed_by="x").request_id,
            reason="  ",
            actor="dpo",
        )


def test_a_step_from_the_wrong_state_names_the_state_and_the_allowed_steps(
    book: RequestBook, trail: AuditTrail, subject: str
) -> None:
    request = book.file(subject, "access", channel="agent", filed_by="agent:alice")
    with pytest.raises(RequestStateError, match=r"is received: cannot complete .*verify, refuse"):
        book.complete(request.request_id, result={}, actor="dpo")
    with pytest.raises(RequestStateError, match="cannot start"):
        book.start(request.request_id, actor="dpo")
    book.refuse(request.request_id, reason="duplicate", actor="dpo")
    with pytest.raises(RequestStateError, match=r"is refused: .*none: the request is closed"):
        book.verify(request.request_id, method="otp_sms", actor="dpo")
    # nothing was written by the refused steps
    assert _actions(trail, subject) == ["rights_request.filed", "rights_request.refused"]
    assert book.get(request.request_id).status is Status.REFUSED


def test_an_unknown_request_id(book: RequestBook) -> None:
    with pytest.raises(RequestNotFoundError, match="no data-subject request 'nope'"):
        book.get("nope")
    with pytest.raises(RequestNotFoundError):
        book.verify("nope", method="otp_sms", actor="dpo")


def test_extension_moves_the_due_date_and_keeps_the_reason(
    book: RequestBook, trail: AuditTrail, clock: Clock, subject: str
) -> None:
    request = book.file(subject, "portability", channel="account", filed_by=subject)
    clock.advance(days=20)
    extended = book.extend(
        request.request_id, months=1, reason="many stores to collect", actor="dpo"
    )
    assert extended.status is Status.EXTENDED
    assert extended.due_at == datetime(2026, 3, 28, 9, 30, tzinfo=UTC)
    assert extended.original_due_at == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert extended.extension_reason == "many stores to collect"
    assert extended.extension_months == 1

    back = book.start(request.request_id, actor="dpo")
    assert back.status is Status.IN_PROGRESS
    again = book.extend(request.request_id, months=1, reason="still collecting", actor="dpo")
    assert again.due_at == datetime(2026, 4, 28, 9, 30, tzinfo=UTC)
    assert again.extension_months == 2
    book.start(request.request_id, actor="dpo")
    with pytest.raises(RightsError, match="2 month"):
        book.extend(request.request_id, months=1, reason="more", actor="dpo")
    book.complete(request.request_id, result={"ok": True}, actor="dpo")
    extends = [e for e in trail.entries(subject=subject) if e.action == "rights_request.extended"]
    assert [e.details["months"] for e in extends] == [1, 1]
    assert extends[0].details["reason"] == "many stores to collect"
    assert trail.verify().ok


def test_extension_is_refused_once_the_original_due_date_has_passed(
    book: RequestBook, clock: Clock, subject: str
) -> None:
    request = book.file(subject, "access", channel="account", filed_by=subject)
    clock.advance(days=29)  # 1 March: past 28 February
    with pytest.raises(RightsError, match="original due date 2026-02-28 has passed"):
        book.extend(request.request_id, months=1, reason="late", actor="dpo")
    with pytest.raises(RightsError, match="months: an extension is 1 or 2"):
        book.extend(request.request_id, months=3, reason="late", actor="dpo")
    with pytest.raises(RightsError, match="reason: must not be empty"):
        book.extend(request.request_id, months=1, reason="", actor="dpo")
    assert book.get(request.request_id).status is Status.VERIFIED


def test_extended_request_cannot_be_completed_before_it_is_started_again(
    book: RequestBook, subject: str
) -> None:
    request = book.file(subject, "access", channel="account", filed_by=subject)
    book.extend(request.request_id, months=2, reason="complex", actor="dpo")
    with pytest.raises(RequestStateError, match=r"is extended: cannot complete .*start, refuse"):
        book.complete(request.request_id, result={}, actor="dpo")


@pytest.mark.parametrize(
    ("kind", "details", "message"),
    [
        ("objection", {"purposes": ["no_such_purpose"]}, "unknown purpose 'no_such_purpose'"),
        ("objection", {"purposes": ["billing"]}, "billing relies on contract"),
        ("objection", {"purposes": []}, "details.purposes: an objection names"),
        ("objection", {"purposes": "fraud_detection"}, "details.purposes"),
        ("rectification", {"changes": {"msisdn": "33600"}}, "details.changes.msisdn: not a"),
        ("rectification", {"changes": {}}, "details.changes: a rectification"),
        ("restriction", {"reason": " "}, "details.reason: must not be empty"),
        ("restriction", {}, "details.reason: must not be empty"),
        ("access", {"purposes": ["billing"]}, "details.purposes: not a field of a access"),
    ],
)
def test_details_are_checked_at_filing_naming_the_field(
    book: RequestBook, trail: AuditTrail, subject: str, kind: str, details: dict, message: str
) -> None:
    with pytest.raises(RightsError, match=message):
        book.file(subject, kind, channel="cli", filed_by="dpo", details=details)
    assert trail.entries(subject=subject) == []


def test_kind_channel_and_subject_are_checked(book: RequestBook, subject: str) -> None:
    with pytest.raises(RightsError, match="kind: 'deletion' is not one of access"):
        book.file(subject, "deletion", channel="cli", filed_by="dpo")
    with pytest.raises(RightsError, match="channel: 'fax' is not one of"):
        book.file(subject, "access", channel="fax", filed_by="dpo")
    with pytest.raises(RightsError, match="requests are filed for a subscriber id"):
        book.file("visitor:" + "0" * 32, "access", channel="cli", filed_by="dpo")
    with pytest.raises(RightsError, match="filed_by: must not be empty"):
        book.file(subject, "access", channel="cli", filed_by="")


def test_details_are_kept_normalised(book: RequestBook, trail: AuditTrail, subject: str) -> None:
    objection = book.file(
        subject,
        "objection",
        channel="account",
        filed_by=subject,
        details={"purposes": ["targeted_offers", "mobility_statistics", "targeted_offers"]},
    )
    assert objection.details == {"purposes": ["targeted_offers", "mobility_statistics"]}
    fix = book.file(
        subject,
        "rectification",
        channel="account",
        filed_by=subject,
        details={"changes": {"age_bracket": " 35-44 ", "billing_zone_id": None}},
    )
    assert fix.details == {"changes": {"age_bracket": "35-44", "billing_zone_id": None}}
    filed = [e for e in trail.entries(subject=subject) if e.action == "rights_request.filed"]
    assert filed[0].details["purposes"] == ["targeted_offers", "mobility_statistics"]
    # the trail names the fields, not the values asked for
    assert filed[1].details["fields"] == ["age_bracket", "billing_zone_id"]
    assert "35-44" not in str(filed[1].details)


def test_the_queue_sorts_open_requests_by_due_date_and_flags_overdue_ones(
    book: RequestBook, clock: Clock, subject: str
) -> None:
    late = book.file(subject, "access", channel="account", filed_by=subject)  # due 28 Feb
    clock.now = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
    soon = book.file(subject, "erasure", channel="agent", filed_by="agent:bob")  # due 10 Mar
    clock.now = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    middle = book.file(subject, "portability", channel="web", filed_by="web")  # due 1 Mar
    closed = book.file(subject, "access", channel="account", filed_by=subject)
    book.refuse(closed.request_id, reason="duplicate", actor="dpo")

    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    mine = [q for q in book.queue(now) if q.request.subject_id == subject]
    assert [q.request.request_id for q in mine] == [
        late.request_id,
        middle.request_id,
        soon.request_id,
    ]
    assert [q.overdue for q in mine] == [True, True, False]
    assert [q.days_left for q in mine] == [-1, 0, 9]

    clock.now = now - timedelta(days=30)
    assert not any(q.overdue for q in book.queue() if q.request.subject_id == subject)


def test_for_subject_lists_their_requests_newest_first(
    book: RequestBook, clock: Clock, subject: str
) -> None:
    first = book.file(subject, "access", channel="account", filed_by=subject)
    clock.advance(minutes=5)
    second = book.file(subject, "erasure", channel="account", filed_by=subject)
    assert [r.request_id for r in book.for_subject(subject)] == [
        second.request_id,
        first.request_id,
    ]
    assert book.for_subject("T-nobody") == []


def test_a_failure_is_recorded_and_leaves_the_request_in_progress(
    book: RequestBook, trail: AuditTrail, subject: str
) -> None:
    request = book.file(subject, "erasure", channel="account", filed_by=subject)
    book.start(request.request_id, actor="dpo")
    after = book.record_failure(request.request_id, error="store locked", actor="dpo")
    assert after.status is Status.IN_PROGRESS
    [failed] = [e for e in trail.entries(subject=subject) if e.action == "rights_request.failed"]
    assert failed.details["error"] == "store locked"
    assert book.get(request.request_id).as_dict()["status"] == "in_progress"
