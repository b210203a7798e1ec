"""Data-subject requests and their workflow (GDPR Art. 12): file, verify, run, answer.

A request moves received → verified → in_progress → completed; it may be refused (with the
reason told to the person) from any open state, and extended (with the reason) from verified
or in_progress, after which it goes back to in_progress. Every step writes ``dsr_requests``
and appends a ``rights_request.<step>`` audit entry in the same transaction, so the trail and
the table can never disagree about what happened to a request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, RowMapping, insert, select, update

from trustflux.audit.trail import draft
from trustflux.db.engine import read_only
from trustflux.db.tables import dsr_requests
from trustflux.errors import RequestNotFoundError, RequestStateError, RightsError
from trustflux.ledger.model import SubjectKind, subject_kind, utc_now
from trustflux.register import ConsentMechanism
from trustflux.rights import deadlines

if TYPE_CHECKING:
    from trustflux.audit import AuditTrail, Entry
    from trustflux.register import Register

AUDIT_PURPOSE = "privacy_compliance"
"""The register purpose under which requests are handled (a legal obligation)."""

RECTIFIABLE = ("billing_zone_id", "billing_region_id", "age_bracket")
"""Contract fields a rectification may change (the same list as ``rights.rectify``)."""


class Kind(StrEnum):
    """What the person asks for; each is one article of the GDPR."""

    ACCESS = "access"
    PORTABILITY = "portability"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    OBJECTION = "objection"
    RESTRICTION = "restriction"

    @property
    def article(self) -> str:
        """The article that gives the right."""
        return _ARTICLES[self]


_ARTICLES = {
    Kind.ACCESS: "GDPR Art. 15",
    Kind.PORTABILITY: "GDPR Art. 20",
    Kind.RECTIFICATION: "GDPR Art. 16",
    Kind.ERASURE: "GDPR Art. 17",
    Kind.OBJECTION: "GDPR Art. 21",
    Kind.RESTRICTION: "GDPR Art. 18",
}


class Status(StrEnum):
    """Where a request stands."""

    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REFUSED = "refused"


OPEN = frozenset({Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS, Status.EXTENDED})
"""States that still owe the person an answer (they appear in the queue)."""


class Channel(StrEnum):
    """How the request reached us, which decides how the requester's identity is checked."""

    ACCOUNT = "account"
    """A signed-in subscriber: their session already proves who they are."""
    AGENT = "agent"
    """A customer-service agent filing on the subscriber's behalf: needs verification."""
    WEB = "web"
    """The public form: verified by a one-time code sent to the contact on file."""
    CLI = "cli"
    """Filed by the DPO's staff from the command line: needs verification."""


class Method(StrEnum):
    """How the requester's identity was checked."""

    SESSION = "session"
    OTP_SMS = "otp_sms"
    ID_DOCUMENT = "id_document"
    IN_PERSON = "in_person"


STEPS: dict[str, frozenset[Status]] = {
    "verify": frozenset({Status.RECEIVED}),
    "start": frozenset({Status.VERIFIED, Status.EXTENDED}),
    "extend": frozenset({Status.VERIFIED, Status.IN_PROGRESS}),
    "refuse": OPEN,
    "complete": frozenset({Status.IN_PROGRESS}),
    "fail": frozenset({Status.IN_PROGRESS}),
}
"""Each step and the states it may be taken from."""


def allowed_steps(status: Status) -> list[str]:
    """The steps a request in ``status`` may take next."""
    return [step for step, states in STEPS.items() if status in states and step != "fail"]


@dataclass(frozen=True)
class Request:
    """One data-subject request as stored."""

    request_id: str
    subject_id: str
    kind: Kind
    status: Status
    channel: Channel
    filed_by: str
    details: Mapping[str, Any]
    received_at: datetime
    due_at: datetime
    verified_at: datetime | None
    verification: str | None
    extension_reason: str | None
    refusal_reason: str | None
    completed_at: datetime | None
    result: Mapping[str, Any] | None
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        """Whether the person is still owed an answer."""
        return self.status in OPEN

    @property
    def original_due_at(self) -> datetime:
        """The due date before any extension (one month after receipt)."""
        return deadlines.due_date(self.received_at)

    @property
    def extension_months(self) -> int:
        """Further months granted so far (0 to 2)."""
        return int(self.details.get("extension_months", 0))

    def days_left(self, now: datetime) -> int:
        """Whole days to the due date (negative when late)."""
        return deadlines.days_left(self.due_at, now)

    def overdue(self, now: datetime) -> bool:
        """Whether an open request has passed its due date."""
        return self.is_open and deadlines.is_overdue(self.due_at, now)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (times in ISO 8601, UTC)."""
        return {
            "request_id": self.request_id,
            "subject_id": self.subject_id,
            "kind": self.kind.value,
            "article": self.kind.article,
            "status": self.status.value,
            "channel": self.channel.value,
            "filed_by": self.filed_by,
            "details": dict(self.details),
            "received_at": _iso(self.received_at),
            "due_at": _iso(self.due_at),
            "original_due_at": _iso(self.original_due_at),
            "verified_at": _iso(self.verified_at),
            "verification": self.verification,
            "extension_reason": self.extension_reason,
            "refusal_reason": self.refusal_reason,
            "completed_at": _iso(self.completed_at),
            "result": None if self.result is None else dict(self.result),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class QueueItem:
    """An open request in the DPO's queue, with what its deadline means today."""

    request: Request
    days_left: int
    overdue: bool


class RequestBook:
    """The data-subject requests in the relational store, and every step they take.

    ``register`` lets filing check an objection's purposes against the register (unknown
    purpose, or a purpose with nothing to object to); without it only their shape is checked
    and the register is consulted when the objection is executed.
    """

    def __init__(
        self,
        engine: Engine,
        trail: AuditTrail,
        clock: Callable[[], datetime] = utc_now,
        *,
        register: Register | None = None,
    ) -> None:
        self.engine = engine
        self.reader = read_only(engine)
        self.trail = trail
        self.clock = clock
        self.register = register
        self._lock_rows = engine.dialect.name == "postgresql"

    # -- filing -----------------------------------------------------------------------------
    def file(
        self,
        subject_id: str,
        kind: Kind | str,
        *,
        channel: Channel | str,
        filed_by: str,
        details: Mapping[str, Any] | None = None,
    ) -> Request:
        """Record a new request; one filed from the subscriber's account is verified at once."""
        if subject_kind(subject_id) is not SubjectKind.SUBSCRIBER:
            raise RightsError(
                f"subject {subject_id!r}: requests are filed for a subscriber id "
                "(1 to 64 letters, digits or _.:-)"
            )
        kind = _enum(Kind, kind, "kind")
        channel = _enum(Channel, channel, "channel")
        filed_by = _text(filed_by, "filed_by", 120)
        clean = validate_details(kind, details or {}, self.register)
        now = self.clock()
        verified = channel is Channel.ACCOUNT
        row = {
            "request_id": str(uuid.uuid4()),
            "subject_id": subject_id,
            "kind": kind.value,
            "status": (Status.VERIFIED if verified else Status.RECEIVED).value,
            "channel": channel.value,
            "filed_by": filed_by,
            "details": clean,
            "received_at": now,
            "due_at": deadlines.due_date(now),
            "verified_at": now if verified else None,
            "verification": Method.SESSION.value if verified else None,
            "extension_reason": None,
            "refusal_reason": None,
            "completed_at": None,
            "result": None,
            "updated_at": now,
        }
        request = _request(row)
        entries = [self._entry(request, filed_by, "filed", now, _filed_details(request))]
        if verified:
            entries.append(
                self._entry(request, filed_by, "verified", now, {"method": Method.SESSION.value})
            )
        with self.engine.begin() as conn:
            conn.execute(insert(dsr_requests), row)
            self.trail.append_in(conn, entries)
        return request

    # -- steps ------------------------------------------------------------------------------
    def verify(self, request_id: str, *, method: Method | str, actor: str) -> Request:
        """Record that the requester was shown to be the subject (``method``: how)."""
        with self.engine.begin() as conn:
            return self.verify_in(conn, request_id, method=method, actor=actor)

    def verify_in(
        self, conn: Connection, request_id: str, *, method: Method | str, actor: str
    ) -> Request:
        """``verify`` inside the caller's transaction (the one-time code check uses it)."""
        method = _enum(Method, method, "method")
        return self._step(
            conn,
            request_id,
            "verify",
            actor,
            lambda request, now: (
                {
                    "status": Status.VERIFIED.value,
                    "verified_at": now,
                    "verification": method.value,
                },
                {"method": method.value},
            ),
        )

    def start(self, request_id: str, *, actor: str) -> Request:
        """Begin carrying the request out (it must be verified, or extended)."""
        return self._run(
            request_id,
            "start",
            actor,
            lambda request, now: ({"status": Status.IN_PROGRESS.value}, {}),
        )

    def extend(self, request_id: str, *, months: int, reason: str, actor: str) -> Request:
        """Push the due date back by 1 or 2 months (Art. 12(3)); the reason is kept.

        The caller tells the person the reason (``rights.otp.tell_subject``).
        """
        reason = _text(reason, "reason", 2000)

        def change(request: Request, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
            due = deadlines.extended_due_date(
                request.received_at, already=request.extension_months, months=months, now=now
            )
            total = request.extension_months + months
            details = {**request.details, "extension_months": total}
            values = {
                "status": Status.EXTENDED.value,
                "due_at": due,
                "extension_reason": reason,
                "details": details,
            }
            return values, {"months": months, "due_at": _iso(due), "reason": reason}

        return self._run(request_id, "extend", actor, change)

    def refuse(self, request_id: str, *, reason: str, actor: str) -> Request:
        """Decline the request; the reason is kept and told to the person (Art. 12(4))."""
        reason = _text(reason, "reason", 2000)
        return self._run(
            request_id,
            "refuse",
            actor,
            lambda request, now: (
                {"status": Status.REFUSED.value, "refusal_reason": reason, "completed_at": now},
                {"reason": reason},
            ),
        )

    def complete(self, request_id: str, *, result: Mapping[str, Any], actor: str) -> Request:
        """Close the request with its JSON-ready ``result`` (what was exported, erased, ...)."""
        clean = _json_ready(result)
        return self._run(
            request_id,
            "complete",
            actor,
            lambda request, now: (
                {"status": Status.COMPLETED.value, "result": clean, "completed_at": now},
                {"result": _result_summary(clean)},
            ),
        )

    def record_failure(self, request_id: str, *, error: str, actor: str) -> Request:
        """Note that carrying the request out failed; it stays in progress for another try."""
        return self._run(
            request_id,
            "fail",
            actor,
            lambda request, now: ({}, {"error": error[:2000]}),
        )

    # -- reading ----------------------------------------------------------------------------
    def get(self, request_id: str) -> Request:
        """The request with this id; ``RequestNotFoundError`` if there is none."""
        with self.reader.connect() as conn:
            row = _fetch(conn, request_id, lock=False)
        return _request(row)

    def for_subject(self, subject_id: str) -> list[Request]:
        """Every request about ``subject_id``, newest first."""
        query = (
            select(dsr_requests)
            .where(dsr_requests.c.subject_id == subject_id)
            .order_by(dsr_requests.c.received_at.desc(), dsr_requests.c.request_id)
        )
        with self.reader.connect() as conn:
            return [_request(row) for row in conn.execute(query).mappings()]

    def queue(self, now: datetime | None = None) -> list[QueueItem]:
        """Open requests, soonest due first, with the days left and whether each is overdue."""
        moment = now or self.clock()
        query = (
            select(dsr_requests)
            .where(dsr_requests.c.status.in_([s.value for s in OPEN]))
            .order_by(dsr_requests.c.due_at, dsr_requests.c.received_at)
        )
        with self.reader.connect() as conn:
            requests = [_request(row) for row in conn.execute(query).mappings()]
        return [QueueItem(r, r.days_left(moment), r.overdue(moment)) for r in requests]

    # -- internals --------------------------------------------------------------------------
    def _run(
        self,
        request_id: str,
        step: str,
        actor: str,
        change: _Change,
    ) -> Request:
        with self.engine.begin() as conn:
            return self._step(conn, request_id, step, actor, change)

    def _step(
        self,
        conn: Connection,
        request_id: str,
        step: str,
        actor: str,
        change: _Change,
    ) -> Request:
        actor = _text(actor, "actor", 120)
        request = _request(_fetch(conn, request_id, lock=self._lock_rows))
        if request.status not in STEPS[step]:
            nexts = allowed_steps(request.status)
            allowed = ", ".join(nexts) if nexts else "none: the request is closed"
            raise RequestStateError(
                f"request {request_id} is {request.status.value}: cannot {step} it "
                f"(allowed: {allowed})"
            )
        now = self.clock()
        values, audit = change(request, now)
        values = {**values, "updated_at": now}
        conn.execute(
            update(dsr_requests).where(dsr_requests.c.request_id == request_id).values(**values)
        )
        done = _request({**_row_of(request), **values})
        self.trail.append_in(conn, [self._entry(done, actor, _PAST[step], now, audit)])
        return done

    @staticmethod
    def _entry(
        request: Request, actor: str, step: str, now: datetime, extra: Mapping[str, Any]
    ) -> Entry:
        return draft(
            actor,
            f"rights_request.{step}",
            purpose=AUDIT_PURPOSE,
            subject=request.subject_id,
            at=now,
            details={
                "request_id": request.request_id,
                "kind": request.kind.value,
                "status": request.status.value,
                **extra,
            },
        )


_Change = Callable[[Request, datetime], tuple[dict[str, Any], dict[str, Any]]]
"""A step's effect: the columns it sets and the audit details it adds."""

_PAST = {
    "verify": "verified",
    "start": "started",
    "extend": "extended",
    "refuse": "refused",
    "complete": "completed",
    "fail": "failed",
}


# -- details per kind ---------------------------------------------------------------------
def validate_details(
    kind: Kind, details: Mapping[str, Any], register: Register | None = None
) -> dict[str, Any]:
    """The details a kind needs, checked and normalised; ``RightsError`` names the field."""
    if not isinstance(details, Mapping):
        raise RightsError("details: expected an object")
    allowed = _DETAIL_KEYS[kind] | {"note"}
    unknown = sorted(set(details) - allowed)
    if unknown:
        raise RightsError(
            f"details.{unknown[0]}: not a field of a {kind.value} request "
            f"(fields: {', '.join(sorted(allowed))})"
        )
    clean: dict[str, Any] = {}
    if details.get("note") is not None:
        clean["note"] = _text(details["note"], "details.note", 2000)
    if kind is Kind.RECTIFICATION:
        clean["changes"] = _changes(details.get("changes"))
    elif kind is Kind.OBJECTION:
        clean["purposes"] = _purposes(details.get("purposes"), register)
    elif kind is Kind.RESTRICTION:
        clean["reason"] = _text(details.get("reason"), "details.reason", 2000)
    return clean


_DETAIL_KEYS: dict[Kind, frozenset[str]] = {
    Kind.ACCESS: frozenset(),
    Kind.PORTABILITY: frozenset(),
    Kind.ERASURE: frozenset(),
    Kind.RECTIFICATION: frozenset({"changes"}),
    Kind.OBJECTION: frozenset({"purposes"}),
    Kind.RESTRICTION: frozenset({"reason"}),
}


def _changes(changes: object) -> dict[str, str | None]:
    if not isinstance(changes, Mapping) or not changes:
        raise RightsError(
            "details.changes: a rectification names at least one field to correct "
            f"({', '.join(RECTIFIABLE)})"
        )
    clean: dict[str, str | None] = {}
    for field, value in changes.items():
        if field not in RECTIFIABLE:
            raise RightsError(
                f"details.changes.{field}: not a field a subscriber may correct "
                f"(rectifiable: {', '.join(RECTIFIABLE)})"
            )
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise RightsError(f"details.changes.{field}: expected text, or null to clear it")
        clean[str(field)] = None if value is None else value.strip()
    return clean


def _purposes(purposes: object, register: Register | None) -> list[str]:
    if isinstance(purposes, str) or not isinstance(purposes, Sequence) or not purposes:
        raise RightsError("details.purposes: an objection names at least one purpose")
    clean: list[str] = []
    for purpose in purposes:
        if not isinstance(purpose, str) or not purpose:
            raise RightsError(f"details.purposes: {purpose!r} is not a purpose id")
        if purpose not in clean:
            clean.append(purpose)
    if register is not None:
        for purpose in clean:
            objection_effect(register, purpose)
    return clean


def objection_effect(register: Register, purpose: str) -> str:
    """What an objection to ``purpose`` records: ``objected`` or ``withdrawn`` (of consent).

    Art. 21 lets a person object to processing on legitimate interests (the register's
    opt-out purposes); for consent (opt-in) the same wish is a withdrawal (Art. 7(3)). A
    purpose on a contract or a legal obligation has nothing to object to.
    """
    if purpose not in register.purpose_ids:
        raise RightsError(
            f"details.purposes: unknown purpose {purpose!r} "
            f"(declared: {', '.join(register.purpose_ids)})"
        )
    target = register.purpose(purpose)
    mechanism = target.consent_mechanism
    if mechanism is ConsentMechanism.OPT_OUT:
        return "objected"
    if mechanism is ConsentMechanism.OPT_IN:
        return "withdrawn"
    raise RightsError(
        f"details.purposes: {purpose} relies on {target.lawful_basis.value} "
        f"({target.lawful_basis.article}): there is no right to object to it "
        "(Art. 21 covers legitimate interests; consent can be withdrawn)"
    )


# -- rows ---------------------------------------------------------------------------------
def _fetch(conn: Connection, request_id: str, *, lock: bool) -> RowMapping:
    query = select(dsr_requests).where(dsr_requests.c.request_id == request_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise RequestNotFoundError(f"no data-subject request {request_id!r}")
    return row


def _request(row: Mapping[Any, Any]) -> Request:
    return Request(
        request_id=row["request_id"],
        subject_id=row["subject_id"],
        kind=Kind(row["kind"]),
        status=Status(row["status"]),
        channel=Channel(row["channel"]),
        filed_by=row["filed_by"],
        details=dict(row["details"] or {}),
        received_at=row["received_at"],
        due_at=row["due_at"],
        verified_at=row["verified_at"],
        verification=row["verification"],
        extension_reason=row["extension_reason"],
        refusal_reason=row["refusal_reason"],
        completed_at=row["completed_at"],
        result=None if row["result"] is None else dict(row["result"]),
        updated_at=row["updated_at"],
    )


def _row_of(request: Request) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "subject_id": request.subject_id,
        "kind": request.kind.value,
        "status": request.status.value,
        "channel": request.channel.value,
        "filed_by": request.filed_by,
        "details": dict(request.details),
        "received_at": request.received_at,
        "due_at": request.due_at,
        "verified_at": request.verified_at,
        "verification": request.verification,
        "extension_reason": request.extension_reason,
        "refusal_reason": request.refusal_reason,
        "completed_at": request.completed_at,
        "result": request.result,
        "updated_at": request.updated_at,
    }


def _filed_details(request: Request) -> dict[str, Any]:
    """What the trail says about a new request: its shape, never the values asked for."""
    extra: dict[str, Any] = {"channel": request.channel.value, "due_at": _iso(request.due_at)}
    if request.kind is Kind.OBJECTION:
        extra["purposes"] = list(request.details["purposes"])
    elif request.kind is Kind.RECTIFICATION:
        extra["fields"] = sorted(request.details["changes"])
    return extra


def _result_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The result's plain top-level values and the names of the rest, for the trail."""
    plain = {k: v for k, v in result.items() if isinstance(v, str | int | float | bool)}
    return {**plain, "sections": sorted(k for k in result if k not in plain)}


def _json_ready(value: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded = json.loads(json.dumps(dict(value), allow_nan=False, default=_default))
    except (TypeError, ValueError) as exc:
        raise RightsError(f"result: must be plain JSON ({exc})") from None
    return dict(loaded)


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return _iso(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: object, field: str) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RightsError(f"{field}: {value!r} is not one of {allowed}") from None


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RightsError(f"{field}: must not be empty")
    value = value.strip()
    if len(value) > limit:
        raise RightsError(f"{field}: at most {limit} characters (got {len(value)})")
    return value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")
