"""What may be recorded: checks on one choice alone, then against the subject's latest event.

The first half needs only the register and the clock (shape, purpose, event allowed for the
purpose's kind of choice, notice); the second needs the latest record of the same subject and
purpose (replay, order, something to withdraw). Each failure is a typed ``LedgerError`` whose
message says what to send instead.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from trustflux.errors import (
    InvalidRecordError,
    OutOfOrderError,
    ReplayError,
    UnknownPurposeError,
)
from trustflux.ledger.model import (
    LANGUAGES,
    SUBJECT_HINT,
    Choice,
    Event,
    Language,
    Method,
    SubjectKind,
    subject_kind,
)
from trustflux.ledger.notices import NoticeBook
from trustflux.register import ConsentMechanism, Purpose

ALLOWED_EVENTS: dict[ConsentMechanism, frozenset[Event]] = {
    ConsentMechanism.OPT_IN: frozenset(
        {Event.GIVEN, Event.REFUSED, Event.WITHDRAWN, Event.EXPIRED}
    ),
    ConsentMechanism.OPT_OUT: frozenset(
        {Event.GIVEN, Event.OBJECTED, Event.WITHDRAWN, Event.EXPIRED}
    ),
    ConsentMechanism.NOTICE_ONLY: frozenset(),
}

# What a withdrawal or an expiry ends: there must be such a choice in force.
WITHDRAWABLE: dict[ConsentMechanism, frozenset[Event]] = {
    ConsentMechanism.OPT_IN: frozenset({Event.GIVEN}),
    ConsentMechanism.OPT_OUT: frozenset({Event.OBJECTED}),
    ConsentMechanism.NOTICE_ONLY: frozenset(),
}
EXPIRABLE: dict[ConsentMechanism, frozenset[Event]] = {
    ConsentMechanism.OPT_IN: frozenset({Event.GIVEN}),
    ConsentMechanism.OPT_OUT: frozenset({Event.GIVEN, Event.OBJECTED}),
    ConsentMechanism.NOTICE_ONLY: frozenset(),
}

_E = TypeVar("_E", Event, Method)

_JURISDICTION = re.compile(r"[A-Z]{2,3}(-[A-Z0-9]{1,3})?")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_ACTOR = re.compile(r"[\w.:@+-]{1,120}")


@dataclass(slots=True)
class Draft:
    """A choice that passed every check not needing the ledger; times and notice resolved.

    Not frozen: the ledger stamps server-timed drafts once it holds the write lock.
    """

    record_id: str
    record_id_given: bool
    subject: str
    subject_kind: SubjectKind
    purpose: Purpose
    event: Event
    method: Method
    occurred_at: datetime
    occurred_at_given: bool
    recorded_at: datetime
    jurisdiction: str
    expires_at: datetime | None
    notice_version: str
    notice_hash: str
    language: Language
    actor: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.purpose.id)


@dataclass(frozen=True, slots=True)
class Latest:
    """The subject's latest event for one purpose (from the ledger or earlier in a batch)."""

    seq: int
    record_id: str
    event: Event
    occurred_at: datetime
    expires_at: datetime | None
    record_hash: str


def draft(
    choice: Choice,
    purposes: Mapping[str, Purpose],
    notices: NoticeBook,
    *,
    now: datetime,
    max_skew: timedelta,
    default_jurisdiction: str,
) -> Draft:
    """Check ``choice`` on its own and complete it; raise a ``LedgerError`` on the first fault."""
    kind = subject_kind(choice.subject)
    if kind is None:
        raise InvalidRecordError(
            f"subject {choice.subject!r} is malformed: expected {SUBJECT_HINT}"
        )
    purpose = purposes.get(choice.purpose)
    if purpose is None:
        raise UnknownPurposeError(
            f"unknown purpose {choice.purpose!r} (declared: {', '.join(sorted(purposes))})"
        )
    event, method = _enum(Event, choice.event, "event"), _enum(Method, choice.method, "method")
    mechanism = purpose.consent_mechanism
    if mechanism is ConsentMechanism.NOTICE_ONLY:
        raise InvalidRecordError(
            f"{purpose.id} relies on {purpose.lawful_basis.value} and is information only: "
            "there is no choice to record"
        )
    if event not in ALLOWED_EVENTS[mechanism]:
        allowed = ", ".join(sorted(e.value for e in ALLOWED_EVENTS[mechanism]))
        raise InvalidRecordError(
            f"{purpose.id} is {mechanism.value} ({purpose.lawful_basis.value}): "
            f"event {event.value!r} does not apply (allowed: {allowed})"
        )
    if kind is SubjectKind.VISITOR and not any(
        channel.startswith("website:") for channel in purpose.applies_to
    ):
        raise InvalidRecordError(f"{purpose.id} is not offered to website visitors")
    if kind is SubjectKind.VISITOR and method not in (Method.COOKIE_BANNER, Method.GPC_SIGNAL):
        raise InvalidRecordError(
            "a visitor's choices come from the cookie banner or a GPC signal only"
        )
    record_id, given = _record_id(choice.record_id)
    occurred_at = _aware(choice.occurred_at, "occurred_at") if choice.occurred_at else now
    if occurred_at > now + max_skew:
        raise InvalidRecordError(
            f"occurred_at {occurred_at.isoformat()} is in the future (server time "
            f"{now.isoformat()})"
        )
    expires_at = _aware(choice.expires_at, "expires_at") if choice.expires_at else None
    if expires_at is not None and expires_at <= occurred_at:
        raise InvalidRecordError("expires_at must be after occurred_at")
    if event is Event.EXPIRED and expires_at is not None:
        raise InvalidRecordError("an 'expired' event has no expiry of its own")
    language = choice.language
    if language not in LANGUAGES:
        raise InvalidRecordError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    version, digest, language = _notice(choice, purpose, event, language, notices)
    jurisdiction = choice.jurisdiction or default_jurisdiction
    if not _JURISDICTION.fullmatch(jurisdiction):
        raise InvalidRecordError(
            f"jurisdiction {jurisdiction!r} is not an ISO 3166 code (FRA, FR or FR-75)"
        )
    if not _ACTOR.fullmatch(choice.actor):
        raise InvalidRecordError(f"actor {choice.actor!r} is malformed")
    return Draft(
        record_id=record_id,
        record_id_given=given,
        subject=choice.subject,
        subject_kind=kind,
        purpose=purpose,
        event=event,
        method=method,
        occurred_at=occurred_at,
        occurred_at_given=choice.occurred_at is not None,
        recorded_at=now,
        jurisdiction=jurisdiction,
        expires_at=expires_at,
        notice_version=version,
        notice_hash=digest,
        language=language,
        actor=choice.actor,
    )


def check_against(item: Draft, latest: Latest | None) -> None:
    """Refuse a replay, an event dated before the latest one, or a withdrawal of nothing."""
    mechanism = item.purpose.consent_mechanism
    if latest is not None:
        if latest.record_id == item.record_id:
            raise ReplayError(f"record {item.record_id} is already in the ledger")
        if latest.event is item.event and latest.occurred_at == item.occurred_at:
            raise ReplayError(
                f"{item.subject} already has '{item.event.value}' for {item.purpose.id} at "
                f"{item.occurred_at.isoformat()} (record {latest.record_id})"
            )
        if item.occurred_at <= latest.occurred_at:
            raise OutOfOrderError(
                f"{item.subject}'s latest event for {item.purpose.id} is at "
                f"{latest.occurred_at.isoformat()}; a new event must be later than that "
                f"(got {item.occurred_at.isoformat()})"
            )
    if item.event is Event.WITHDRAWN:
        _require_in_force(item, latest, WITHDRAWABLE[mechanism], "withdraw")
    elif item.event is Event.EXPIRED:
        _require_in_force(item, latest, EXPIRABLE[mechanism], "expire")


def _require_in_force(
    item: Draft, latest: Latest | None, ends: frozenset[Event], verb: str
) -> None:
    in_force = (
        latest is not None
        and latest.event in ends
        and not (latest.expires_at is not None and latest.expires_at <= item.occurred_at)
    )
    if not in_force:
        what = " or ".join(sorted(e.value for e in ends))
        now = "nothing recorded" if latest is None else f"latest is '{latest.event.value}'"
        raise InvalidRecordError(
            f"nothing to {verb} for {item.subject} and {item.purpose.id}: it needs a "
            f"'{what}' choice in force ({now})"
        )


def _record_id(given: str | None) -> tuple[str, bool]:
    if given is None:
        return str(uuid.uuid4()), False
    try:
        return str(uuid.UUID(given)), True
    except (ValueError, AttributeError, TypeError):
        raise InvalidRecordError(f"record_id {given!r} is not a UUID") from None


def _aware(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime):
        raise InvalidRecordError(f"{field} must be a date and time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRecordError(f"{field} {moment.isoformat()} has no time zone (add Z or +01:00)")
    return moment.astimezone(UTC)


def _enum(kind: type[_E], value: object, field: str) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidRecordError(f"{field} {value!r} is not one of {allowed}") from None


def _notice(
    choice: Choice, purpose: Purpose, event: Event, language: Language, notices: NoticeBook
) -> tuple[str, str, Language]:
    """Version, text hash and language of the notice shown (the hash, if given, decides)."""
    version = choice.notice_version or purpose.notice_version
    if not notices.knows_version(purpose.id, version):
        raise InvalidRecordError(
            f"notice version {version!r} of {purpose.id} is unknown "
            f"(current: {purpose.notice_version!r})"
        )
    if event is Event.GIVEN and version != purpose.notice_version:
        raise InvalidRecordError(
            f"a choice to allow {purpose.id} must be made on the current notice "
            f"{purpose.notice_version!r}, not {version!r}: show it and ask again"
        )
    if choice.notice_hash is not None:
        if not _SHA256_HEX.fullmatch(choice.notice_hash):
            raise InvalidRecordError("notice_hash must be 64 lower-case hex digits (SHA-256)")
        shown = notices.by_hash(choice.notice_hash)
        if shown is None or (shown.purpose, shown.version) != (purpose.id, version):
            raise InvalidRecordError(
                f"notice_hash does not match any text of {purpose.id} notice {version!r}: "
                "the text shown differs from the register's"
            )
        return version, shown.hash, shown.language
    notice = notices.get(purpose.id, version, language)
    if notice is None:
        raise InvalidRecordError(f"no {language} text of notice {version!r} for {purpose.id}")
    return version, notice.hash, language
