"""Proving who asks: one-time codes sent to the contact on file, and messages to the person.

A request from the public form could come from anyone; answering it would hand one person's
data to another. So a 6-digit code goes to the phone number the operator already holds for
the subscriber (never to a number given in the form), and the request is verified only when
the code comes back. Only HMAC-SHA256(challenge id + code) is stored, under a key kept
outside the database (``<keys>/otp.key``): an unkeyed hash of a 6-digit code is undone by
trying the million codes. The code is compared in constant time, expires, and a few wrong
tries spend it.

The core never prints: codes and notices leave through a ``CodeSender`` (a file standing in
for the SMS gateway, or the console of the command that runs).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, func, insert, select, update

from trustflux.audit.trail import draft
from trustflux.config import Settings
from trustflux.db.tables import dsr_requests, otp_challenges
from trustflux.errors import RequestStateError, RightsError, VerificationError
from trustflux.keyfile import read_or_create
from trustflux.ledger.model import utc_now
from trustflux.rights.requests import (
    AUDIT_PURPOSE,
    Method,
    Request,
    RequestBook,
    Status,
    allowed_steps,
)

CODE_DIGITS = 6
CHANNEL = "sms"
CODES_PER_HOUR = 3
"""Codes one request may be sent per hour: enough for a lost text, too few to flood a phone."""
CODES_PER_SUBJECT_HOUR = 5
"""Codes one phone may be sent per hour over all its requests: filing request after request
on the public form must not flood the number on file either."""
OTP_KEY_FILE = "otp.key"
OTP_KEY_BYTES = 32
SENDER_ACTOR = "rights:otp"
"""The actor of the trail entries about codes (the system sends them, nobody chooses to)."""


class CodeSender(Protocol):
    """Where codes and notices to the person go (an SMS gateway in production)."""

    def send(self, to: str, text: str) -> None: ...


class FileSender:
    """Appends ``{"at", "to", "text"}`` lines to a file: a stand-in for an SMS gateway."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.clock = clock

    def send(self, to: str, text: str) -> None:
        line = json.dumps({"at": self.clock().isoformat(), "to": to, "text": text})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise RightsError(f"cannot write to the outbox {self.path}: {exc}") from None


class ConsoleSender:
    """Shows the message on the terminal of the command that runs (local use, demos)."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self.show = show

    def send(self, to: str, text: str) -> None:
        self.show(f"to {to}: {text}")


def outbox_path(settings: Settings) -> Path:
    """The file ``FileSender`` writes to."""
    return settings.rights_dir / "outbox.jsonl"


def sender_for(settings: Settings, show: Callable[[str], None] | None = None) -> CodeSender:
    """The sender ``settings.otp_sender`` names; ``show`` is the console for 'console'."""
    if settings.otp_sender == "console":
        if show is None:
            raise RightsError("otp_sender: 'console' needs a console to show codes on")
        return ConsoleSender(show)
    return FileSender(outbox_path(settings))


@dataclass(frozen=True)
class Challenge:
    """A code sent for one request (the code itself is never kept)."""

    challenge_id: str
    request_id: str
    channel: str
    contact_hint: str
    created_at: datetime
    expires_at: datetime
    attempts: int
    verified_at: datetime | None


def mask(contact: str) -> str:
    """The contact with all but its last 2 characters hidden (shown to the requester)."""
    return "*" * max(len(contact) - 2, 0) + contact[-2:]


def issue_code(
    engine: Engine, book: RequestBook, settings: Settings, request_id: str, sender: CodeSender
) -> Challenge:
    """Send a new code to the subscriber's number on file; earlier codes stop counting."""
    from trustflux.rights.subjects import find_subject

    request = book.get(request_id)
    if request.status is not Status.RECEIVED:
        raise RequestStateError(
            f"request {request_id} is {request.status.value}: no code is needed "
            f"(allowed: {', '.join(allowed_steps(request.status)) or 'none'})"
        )
    contact = find_subject(settings, request.subject_id).msisdn
    key = otp_key(settings, create=True)
    now = book.clock()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = Challenge(
        challenge_id=str(uuid.uuid4()),
        request_id=request_id,
        channel=CHANNEL,
        contact_hint=mask(contact),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.otp_ttl_minutes),
        attempts=0,
        verified_at=None,
    )
    with engine.begin() as conn:
        recent = conn.execute(
            select(func.count())
            .select_from(otp_challenges)
            .where(
                otp_challenges.c.request_id == request_id,
                otp_challenges.c.created_at > now - timedelta(hours=1),
            )
        ).scalar_one()
        if recent >= CODES_PER_HOUR:
            raise VerificationError(
                f"{recent} codes were sent for request {request_id} in the last hour: "
                "wait before asking for another"
            )
        to_subject = conn.execute(
            select(func.count())
            .select_from(
                otp_challenges.join(
                    dsr_requests, dsr_requests.c.request_id == otp_challenges.c.request_id
                )
            )
            .where(
                dsr_requests.c.subject_id == request.subject_id,
                otp_challenges.c.created_at > now - timedelta(hours=1),
            )
        ).scalar_one()
        if to_subject >= CODES_PER_SUBJECT_HOUR:
            raise VerificationError(
                f"{to_subject} codes were sent to this number in the last hour: "
                "wait before asking for another"
            )
        # A new code supersedes the earlier ones: they expire now.
        conn.execute(
            update(otp_challenges)
            .where(
                otp_challenges.c.request_id == request_id,
                otp_challenges.c.verified_at.is_(None),
                otp_challenges.c.expires_at > now,
            )
            .values(expires_at=now)
        )
        conn.execute(
            insert(otp_challenges),
            {
                "challenge_id": challenge.challenge_id,
                "request_id": request_id,
                "channel": CHANNEL,
                "contact_hint": challenge.contact_hint,
                "code_sha256": _hash(key, challenge.challenge_id, code),
                "created_at": now,
                "expires_at": challenge.expires_at,
                "attempts": 0,
                "verified_at": None,
            },
        )
        _audit(
            book,
            conn,
            request,
            "code_sent",
            SENDER_ACTOR,
            now,
            {
                "challenge_id": challenge.challenge_id,
                "contact_hint": challenge.contact_hint,
                "expires_at": challenge.expires_at.isoformat(timespec="seconds"),
            },
        )
    sender.send(
        contact,
        f"Your code for data request {request_id[:8]} is {code}. It expires in "
        f"{settings.otp_ttl_minutes} minutes. If you did not ask for it, ignore this message.",
    )
    return challenge


def check_code(
    engine: Engine, book: RequestBook, settings: Settings, request_id: str, code: str
) -> Request:
    """Verify the request (method ``otp_sms``) if ``code`` matches its latest challenge.

    A wrong code is counted before ``VerificationError`` is raised; after
    ``settings.otp_max_attempts`` wrong codes, or once expired, the challenge is spent.
    """
    request = book.get(request_id)
    with engine.begin() as conn:
        row = _latest(conn, request_id, lock=engine.dialect.name == "postgresql")
        if row is None:
            raise VerificationError(f"no code was sent for request {request_id}: ask for one")
        now = book.clock()
        attempts = int(row["attempts"])
        if row["verified_at"] is not None:
            raise VerificationError("this code was already used: ask for a new one")
        if attempts >= settings.otp_max_attempts:
            raise VerificationError(
                f"{attempts} wrong codes were entered: this code is spent, ask for a new one"
            )
        if now >= row["expires_at"]:
            raise VerificationError(
                f"the code expired at {row['expires_at'].isoformat(timespec='minutes')}: "
                "ask for a new one"
            )
        expected = _hash(otp_key(settings), str(row["challenge_id"]), code.strip())
        ok = hmac.compare_digest(expected, str(row["code_sha256"]))
        attempts += 1
        values: dict[str, Any] = {"attempts": attempts}
        if ok:
            values["verified_at"] = now
        conn.execute(
            update(otp_challenges)
            .where(otp_challenges.c.challenge_id == row["challenge_id"])
            .values(**values)
        )
        if ok:
            return book.verify_in(conn, request_id, method=Method.OTP_SMS, actor=request.subject_id)
        left = max(settings.otp_max_attempts - attempts, 0)
        _audit(
            book,
            conn,
            request,
            "code_rejected",
            SENDER_ACTOR,
            now,
            {"challenge_id": str(row["challenge_id"]), "attempts": attempts, "left": left},
        )
    # Raised after the commit, so the wrong attempt stays counted.
    if left:
        raise VerificationError(f"wrong code: {left} attempt(s) left")
    raise VerificationError("wrong code: this code is spent, ask for a new one")


def latest_challenge(engine: Engine, request_id: str) -> Challenge | None:
    """The code most recently sent for the request (the only one that counts)."""
    with engine.connect() as conn:
        row = _latest(conn, request_id, lock=False)
    if row is None:
        return None
    return Challenge(
        challenge_id=row["challenge_id"],
        request_id=row["request_id"],
        channel=row["channel"],
        contact_hint=row["contact_hint"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        attempts=int(row["attempts"]),
        verified_at=row["verified_at"],
    )


def tell_subject(
    settings: Settings,
    book: RequestBook,
    request_id: str,
    text: str,
    sender: CodeSender,
    *,
    actor: str,
    about: str,
) -> str:
    """Send ``text`` to the subscriber's number on file; audit it; return the masked number.

    Used for what the person must be told: an extension and its reason (Art. 12(3)), a
    refusal and its reason with the right to complain (Art. 12(4)).
    """
    from trustflux.rights.subjects import find_subject

    request = book.get(request_id)
    contact = find_subject(settings, request.subject_id).msisdn
    sender.send(contact, text)
    hint = mask(contact)
    with book.engine.begin() as conn:
        _audit(book, conn, request, "informed", actor, book.clock(), {"about": about, "to": hint})
    return hint


def extension_notice(request: Request) -> str:
    """What the person is told when their request is extended."""
    return (
        f"Your {request.kind.value} request {request.request_id[:8]} needs more time: "
        f"{request.extension_reason}. We will answer by {request.due_at.date().isoformat()}."
    )


def refusal_notice(request: Request, authority: str) -> str:
    """What the person is told when their request is refused (with the right to complain)."""
    return (
        f"We cannot act on your {request.kind.value} request {request.request_id[:8]}: "
        f"{request.refusal_reason}. You may complain to {authority} or seek a judicial remedy."
    )


def tell_decision(
    settings: Settings,
    book: RequestBook,
    request: Request,
    sender: CodeSender,
    *,
    authority: str,
    actor: str,
) -> str:
    """Tell the person their request was extended (and why) or refused (why, and where to
    complain): Art. 12(3) and 12(4). Returns the masked number the notice went to."""
    if request.status is Status.EXTENDED:
        text, about = extension_notice(request), "extension"
    elif request.status is Status.REFUSED:
        text, about = refusal_notice(request, authority), "refusal"
    else:
        raise RequestStateError(
            f"request {request.request_id} is {request.status.value}: only an extension or a "
            "refusal is told this way"
        )
    return tell_subject(settings, book, request.request_id, text, sender, actor=actor, about=about)


def otp_key(settings: Settings, *, create: bool = False) -> bytes:
    """The key the code hashes are made with (``<keys>/otp.key``, 32 bytes, mode 0600),
    created once when ``create``; without it no stored code can be checked."""
    path = settings.keys_dir / OTP_KEY_FILE
    try:
        key = read_or_create(path, OTP_KEY_BYTES, create=create)
    except (OSError, ValueError) as exc:
        raise RightsError(f"cannot use the one-time-code key {path}: {exc}") from exc
    if key is None:
        raise VerificationError(f"the one-time-code key {path} is missing: ask for a new code")
    return key


def _hash(key: bytes, challenge_id: str, code: str) -> str:
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _latest(conn: Connection, request_id: str, *, lock: bool) -> Any:
    query = (
        select(otp_challenges)
        .where(otp_challenges.c.request_id == request_id)
        # Superseded codes expired when the newer one was sent: the latest expiry breaks ties.
        .order_by(otp_challenges.c.created_at.desc(), otp_challenges.c.expires_at.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def _audit(
    book: RequestBook,
    conn: Connection,
    request: Request,
    step: str,
    actor: str,
    now: datetime,
    extra: dict[str, Any],
) -> None:
    entry = draft(
        actor,
        f"rights_request.{step}",
        purpose=AUDIT_PURPOSE,
        subject=request.subject_id,
        at=now,
        details={"request_id": request.request_id, "kind": request.kind.value, **extra},
    )
    book.trail.append_in(conn, [entry])
