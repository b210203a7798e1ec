"""One-time codes: sent to the number on file, hashed, counted, expiring, spent."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from workflow_support import (
    Clock,
    book,
    clock,
    rights_engine,
    rights_register,
    subject,
    tiny_home,
    trail,
)

from trustflux.audit import AuditTrail
from trustflux.config import Settings
from trustflux.db.tables import otp_challenges
from trustflux.errors import RequestNotFoundError, RequestStateError, RightsError, VerificationError
from trustflux.rights.otp import (
    CODES_PER_SUBJECT_HOUR,
    ConsoleSender,
    FileSender,
    check_code,
    issue_code,
    latest_challenge,
    mask,
    sender_for,
    tell_subject,
)
from trustflux.rights.requests import RequestBook, Status

__all__ = [
    "book",
    "clock",
    "rights_engine",
    "rights_register",
    "subject",
    "tiny_home",
    "trail",
]

MSISDN = "33610000001"  # subscriber S1 of the tiny operator


class Outbox:
    """A sender that keeps what it sent, as the SMS gateway would deliver it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))

    def last_code(self) -> str:
        match = re.search(r"\b(\d{6})\b", self.sent[-1][1])
        assert match is not None
        return match.group(1)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


_DAYS = itertools.count(1)


@pytest.fixture(autouse=True)
def _a_new_day(clock: Clock) -> None:
    """Each test starts a day after the previous one: the database is shared by the module,
    and codes sent by an earlier test must not count in this one's hourly limits."""
    clock.now += timedelta(days=next(_DAYS))


def _web_request(book: RequestBook, subscriber: str = "S1") -> str:
    return book.file(subscriber, "access", channel="web", filed_by="web-form").request_id


def _dump(engine: Engine) -> str:
    """Every row of every table the rights workflow writes, as text."""
    parts = []
    with engine.connect() as conn:
        for table in ("otp_challenges", "dsr_requests", "audit_entries"):
            parts += [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(parts)


def test_the_right_code_verifies_the_request(
    rights_engine: Engine,
    book: RequestBook,
    trail: AuditTrail,
    tiny_home: Settings,
    outbox: Outbox,
) -> None:
    request_id = _web_request(book)
    challenge = issue_code(rights_engine, book, tiny_home, request_id, outbox)
    assert outbox.sent[0][0] == MSISDN
    assert challenge.contact_hint == "*********01"
    assert "expires in 15 minutes" in outbox.sent[0][1]
    assert (challenge.expires_at - challenge.created_at).total_seconds() == 15 * 60

    verified = check_code(rights_engine, book, tiny_home, request_id, outbox.last_code())
    assert verified.status is Status.VERIFIED
    assert verified.verification == "otp_sms"
    stored = latest_challenge(rights_engine, request_id)
    assert stored is not None and stored.verified_at is not None and stored.attempts == 1
    entries = [e for e in trail.entries(subject="S1") if e.details["request_id"] == request_id]
    assert [e.action for e in entries] == [
        "rights_request.filed",
        "rights_request.code_sent",
        "rights_request.verified",
    ]
    assert entries[1].details["contact_hint"] == "*********01"
    assert entries[2].details["method"] == "otp_sms"
    assert trail.verify().ok


def test_the_code_is_never_stored(
    rights_engine: Engine, book: RequestBook, tiny_home: Settings, outbox: Outbox
) -> None:
    request_id = _web_request(book)
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    code = outbox.last_code()
    with pytest.raises(VerificationError):
        check_code(rights_engine, book, tiny_home, request_id, "x" + code)
    check_code(rights_engine, book, tiny_home, request_id, code)
    assert not re.search(rf"(?<!\d){code}(?!\d)", _dump(rights_engine))
    with rights_engine.connect() as conn:
        challenge_id, digest = conn.execute(
            select(otp_challenges.c.challenge_id, otp_challenges.c.code_sha256).where(
                otp_challenges.c.request_id == request_id
            )
        ).one()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    # A 6-digit code under an unkeyed hash is found by trying the 10^6 codes: whoever reads
    # the table must not be able to test guesses without the key kept outside the database.
    assert hashlib.sha256((challenge_id + code).encode()).hexdigest() != digest
    key_file = tiny_home.keys_dir / "otp.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keyed = hmac.new(key_file.read_bytes(), f"{challenge_id}:{code}".encode(), hashlib.sha256)
    assert keyed.hexdigest() == digest


def test_a_wrong_code_is_counted_then_the_right_one_still_works(
    rights_engine: Engine, book: RequestBook, tiny_home: Settings, outbox: Outbox
) -> None:
    request_id = _web_request(book)
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    with pytest.raises(VerificationError, match="wrong code: 4 attempt"):
        check_code(rights_engine, book, tiny_home, request_id, wrong)
    with pytest.raises(VerificationError, match="wrong code: 3 attempt"):
        check_code(rights_engine, book, tiny_home, request_id, "not a code")
    stored = latest_challenge(rights_engine, request_id)
    assert stored is not None and stored.attempts == 2
    assert book.get(request_id).status is Status.RECEIVED
    check_code(rights_engine, book, tiny_home, request_id, f" {outbox.last_code()} ")
    assert book.get(request_id).status is Status.VERIFIED


def test_too_many_wrong_codes_spend_the_challenge(
    rights_engine: Engine,
    book: RequestBook,
    trail: AuditTrail,
    tiny_home: Settings,
    outbox: Outbox,
) -> None:
    settings = tiny_home.model_copy(update={"otp_max_attempts": 2})
    request_id = _web_request(book)
    issue_code(rights_engine, book, settings, request_id, outbox)
    code = outbox.last_code()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(VerificationError, match="1 attempt"):
        check_code(rights_engine, book, settings, request_id, wrong)
    with pytest.raises(VerificationError, match="this code is spent"):
        check_code(rights_engine, book, settings, request_id, wrong)
    with pytest.raises(VerificationError, match="2 wrong codes were entered"):
        check_code(rights_engine, book, settings, request_id, code)
    assert book.get(request_id).status is Status.RECEIVED
    rejected = [
        e
        for e in trail.entries(subject="S1")
        if e.action == "rights_request.code_rejected" and e.details["request_id"] == request_id
    ]
    assert [e.details["left"] for e in rejected] == [1, 0]

    # a new code starts afresh; the spent one no longer counts
    issue_code(rights_engine, book, settings, request_id, outbox)
    check_code(rights_engine, book, settings, request_id, outbox.last_code())
    assert book.get(request_id).status is Status.VERIFIED


def test_a_code_expires(
    rights_engine: Engine, book: RequestBook, clock: Clock, tiny_home: Settings, outbox: Outbox
) -> None:
    request_id = _web_request(book)
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    clock.advance(minutes=15)
    with pytest.raises(VerificationError, match=r"the code expired at .*ask for a new one"):
        check_code(rights_engine, book, tiny_home, request_id, outbox.last_code())
    assert book.get(request_id).status is Status.RECEIVED


def test_a_new_code_supersedes_the_earlier_one_and_sending_is_limited(
    rights_engine: Engine, book: RequestBook, clock: Clock, tiny_home: Settings, outbox: Outbox
) -> None:
    request_id = _web_request(book)
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    first = outbox.last_code()
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    second = outbox.last_code()
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    third = outbox.last_code()
    with pytest.raises(VerificationError, match=r"3 codes were sent .* in the last hour"):
        issue_code(rights_engine, book, tiny_home, request_id, outbox)
    if first != third:
        with pytest.raises(VerificationError, match="wrong code"):
            check_code(rights_engine, book, tiny_home, request_id, first)
    if second != third:
        with pytest.raises(VerificationError, match="wrong code"):
            check_code(rights_engine, book, tiny_home, request_id, second)
    clock.advance(minutes=61)
    issue_code(rights_engine, book, tiny_home, request_id, outbox)
    check_code(rights_engine, book, tiny_home, request_id, outbox.last_code())
    assert book.get(request_id).status is Status.VERIFIED


def test_filing_request_after_request_cannot_flood_the_phone(
    rights_engine: Engine, book: RequestBook, clock: Clock, tiny_home: Settings, outbox: Outbox
) -> None:
    for _ in range(CODES_PER_SUBJECT_HOUR):
        issue_code(rights_engine, book, tiny_home, _web_request(book), outbox)
    fresh = _web_request(book)
    with pytest.raises(VerificationError, match=r"5 codes were sent to this number"):
        issue_code(rights_engine, book, tiny_home, fresh, outbox)
    assert len(outbox.sent) == CODES_PER_SUBJECT_HOUR
    clock.advance(minutes=61)
    issue_code(rights_engine, book, tiny_home, fresh, outbox)
    check_code(rights_engine, book, tiny_home, fresh, outbox.last_code())
    assert book.get(fresh).status is Status.VERIFIED


def test_codes_only_for_received_requests_of_known_subscribers(
    rights_engine: Engine, book: RequestBook, tiny_home: Settings, outbox: Outbox, subject: str
) -> None:
    verified = book.file("S2", "access", channel="account", filed_by="S2").request_id
    with pytest.raises(RequestStateError, match="is verified: no code is needed"):
        issue_code(rights_engine, book, tiny_home, verified, outbox)
    unknown = _web_request(book, subject)
    with pytest.raises(RequestNotFoundError, match=f"no subscriber '{subject}'"):
        issue_code(rights_engine, book, tiny_home, unknown, outbox)
    with pytest.raises(VerificationError, match="no code was sent"):
        check_code(rights_engine, book, tiny_home, unknown, "123456")
    assert outbox.sent == []


def test_senders(tmp_path: Path, tiny_home: Settings) -> None:
    shown: list[str] = []
    console = sender_for(tiny_home.model_copy(update={"otp_sender": "console"}), shown.append)
    assert isinstance(console, ConsoleSender)
    console.send("33600", "hello")
    assert shown == ["to 33600: hello"]
    with pytest.raises(RightsError, match="otp_sender: 'console' needs a console"):
        sender_for(tiny_home.model_copy(update={"otp_sender": "console"}))

    settings = tiny_home.model_copy(update={"rights_directory": tmp_path / "rights"})
    file_sender = sender_for(settings)
    assert isinstance(file_sender, FileSender)
    file_sender.send("33600", "one")
    file_sender.send("33601", "two")
    lines = (tmp_path / "rights" / "outbox.jsonl").read_text().splitlines()
    assert [json.loads(line)["to"] for line in lines] == ["33600", "33601"]
    assert set(json.loads(lines[0])) == {"at", "to", "text"}
    assert mask("33612345678") == "*********78"


def test_telling_the_subject_goes_to_the_number_on_file_and_is_audited(
    book: RequestBook, trail: AuditTrail, tiny_home: Settings, outbox: Outbox
) -> None:
    request = book.file("S1", "access", channel="account", filed_by="S1")
    extended = book.extend(request.request_id, months=1, reason="archive restore", actor="dpo")
    from trustflux.rights.otp import extension_notice

    hint = tell_subject(
        tiny_home,
        book,
        request.request_id,
        extension_notice(extended),
        outbox,
        actor="dpo",
        about="extension",
    )
    assert hint == "*********01"
    assert outbox.sent[0][0] == MSISDN
    answer_by = extended.due_at.date().isoformat()
    assert "archive restore" in outbox.sent[0][1] and answer_by in outbox.sent[0][1]
    [informed] = [
        e
        for e in trail.entries(subject="S1")
        if e.action == "rights_request.informed" and e.details["request_id"] == request.request_id
    ]
    assert informed.actor == "dpo" and informed.details["about"] == "extension"
