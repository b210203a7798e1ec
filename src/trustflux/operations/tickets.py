"""The customer-service ticket desk and the audited diagnosis view.

An agent sees a gateway's diagnosis only under an open ticket and with a stated reason; the
gate must still allow ``gateway_diagnostics`` for the subscriber at that time, and every view
is appended to the audit trail about the subscriber, which is what their account area shows
them ("who looked at my gateway, when, why"). Opening and closing a ticket are audited too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from trustflux.audit.entry import Entry
from trustflux.audit.trail import AuditTrail, draft
from trustflux.config import Settings
from trustflux.db.engine import read_only
from trustflux.db.tables import tickets
from trustflux.errors import AuditError, DatabaseError, NotEligibleError, TicketError
from trustflux.ledger.model import utc_now
from trustflux.operations.common import read_store_table
from trustflux.operations.diagnostics import PURPOSE, Diagnosis, diagnose, gateway_owner
from trustflux.operations.gate import eligible_ids

if TYPE_CHECKING:
    from trustflux.gate import Gate

MIN_REASON_WORDS = 3
"""A reason is a sentence an auditor and the subscriber can read, not a code."""

OPENED, CLOSED, VIEWED = "ticket.opened", "ticket.closed", "agent.viewed_diagnosis"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One customer-service ticket about a subscriber (and their gateway, if they have one)."""

    ticket_id: str
    subscriber_id: str
    gateway_id: str | None
    reason: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "subscriber_id": self.subscriber_id,
            "gateway_id": self.gateway_id,
            "reason": self.reason,
            "opened_by": self.opened_by,
            "opened_at": self.opened_at.isoformat(),
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "closed_by": self.closed_by,
        }


Tickets = list[Ticket]


class TicketDesk:
    """Open, close and list tickets; each change is audited in the same transaction.

    ``settings`` lets ``open`` find the subscriber's gateway in the store when the agent does
    not name one (and check a named one is theirs).
    """

    def __init__(
        self,
        engine: Engine,
        trail: AuditTrail,
        clock: Callable[[], datetime] = utc_now,
        *,
        settings: Settings | None = None,
    ) -> None:
        self.engine = engine
        self.trail = trail
        self.clock = clock
        self.settings = settings

    def open(
        self, subscriber_id: str, *, reason: str, agent: str, gateway_id: str | None = None
    ) -> Ticket:
        """Open a ticket for ``subscriber_id`` with the reason the subscriber called."""
        subscriber_id = subscriber_id.strip()
        if not subscriber_id:
            raise TicketError("a ticket needs the subscriber it is about")
        reason = check_reason(reason, "opening a ticket")
        gateway = self._gateway(subscriber_id, gateway_id)
        ticket = Ticket(
            ticket_id=str(uuid.uuid4()),
            subscriber_id=subscriber_id,
            gateway_id=gateway,
            reason=reason,
            opened_by=_agent(agent),
            opened_at=self.clock(),
        )
        entry = _draft(
            ticket.opened_by,
            OPENED,
            subject=subscriber_id,
            details={"ticket_id": ticket.ticket_id, "gateway_id": gateway, "reason": reason},
            at=ticket.opened_at,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(tickets).values(**_fields(ticket)))
                self.trail.append_in(conn, [entry])
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot open the ticket: {exc}") from None
        return ticket

    def close(self, ticket_id: str, *, agent: str) -> Ticket:
        """Close an open ticket (a closed one stays closed: open a new one)."""
        who = _agent(agent)
        ticket = self.get(ticket_id)
        if not ticket.is_open:
            raise TicketError(f"ticket {ticket_id} is already closed (by {ticket.closed_by})")
        moment = self.clock()
        entry = _draft(
            who,
            CLOSED,
            subject=ticket.subscriber_id,
            details={"ticket_id": ticket_id, "gateway_id": ticket.gateway_id},
            at=moment,
        )
        try:
            with self.engine.begin() as conn:
                changed = conn.execute(
                    update(tickets)
                    .where(tickets.c.ticket_id == ticket_id, tickets.c.closed_at.is_(None))
                    .values(closed_at=moment, closed_by=who)
                ).rowcount
                if not changed:
                    raise TicketError(f"ticket {ticket_id} was closed meanwhile")
                self.trail.append_in(conn, [entry])
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot close ticket {ticket_id}: {exc}") from None
        return Ticket(**{**_fields(ticket), "closed_at": moment, "closed_by": who})

    def get(self, ticket_id: str) -> Ticket:
        """The ticket, or ``TicketError`` naming the unknown id."""
        try:
            with read_only(self.engine).connect() as conn:
                row = conn.execute(select(tickets).where(tickets.c.ticket_id == ticket_id)).first()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the tickets: {exc}") from None
        if row is None:
            raise TicketError(f"no ticket {ticket_id!r}: open one with the subscriber first")
        return _ticket(row)

    def list(self, open_only: bool = True, subscriber_id: str | None = None) -> Tickets:
        """Tickets, oldest first (open ones only, unless told otherwise)."""
        query = select(tickets).order_by(tickets.c.opened_at, tickets.c.ticket_id)
        if open_only:
            query = query.where(tickets.c.closed_at.is_(None))
        if subscriber_id is not None:
            query = query.where(tickets.c.subscriber_id == subscriber_id)
        try:
            with read_only(self.engine).connect() as conn:
                return [_ticket(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the tickets: {exc}") from None

    def _gateway(self, subscriber_id: str, gateway_id: str | None) -> str | None:
        if self.settings is None:
            return gateway_id
        if gateway_id is None:
            return subscriber_gateway(self.settings, subscriber_id)
        owner = gateway_owner(self.settings, gateway_id)
        if owner != subscriber_id:
            raise TicketError(f"gateway {gateway_id} is not in the contract of {subscriber_id}")
        return gateway_id


def view_diagnosis(
    settings: Settings,
    desk: TicketDesk,
    gate: Gate,
    ticket_id: str,
    *,
    agent: str,
    reason: str,
    at: datetime | None = None,
    hours: int = 24,
) -> Diagnosis:
    """The diagnosis an agent sees under ``ticket_id``, audited about the subscriber.

    Refused with ``TicketError`` without an open ticket, a gateway on it or a reason, and with
    ``NotEligibleError`` when the gate denies ``gateway_diagnostics`` for the subscriber.
    """
    who = _agent(agent)
    why = check_reason(reason, "viewing a diagnosis")
    ticket = desk.get(ticket_id)
    if not ticket.is_open:
        raise TicketError(
            f"ticket {ticket_id} was closed at {ticket.closed_at:%Y-%m-%d %H:%M} UTC: "
            "open a new ticket to see the gateway again"
        )
    if ticket.gateway_id is None:
        raise TicketError(f"ticket {ticket_id} names no gateway: the subscriber has none on file")
    if gateway_owner(settings, ticket.gateway_id) != ticket.subscriber_id:
        raise TicketError(
            f"gateway {ticket.gateway_id} is no longer in the contract of {ticket.subscriber_id}"
        )
    now = desk.clock()
    moment = at or now
    # The view happens now: the gate must allow it now (a restriction, an objection or a
    # rejected DPIA since ``at`` stops it), and at ``at``, the time the measurements describe.
    for when in dict.fromkeys((now, moment)):
        decision = gate.decide(ticket.subscriber_id, PURPOSE, when)
        if not decision.allow:
            raise NotEligibleError(
                f"the gate denies {PURPOSE} for {ticket.subscriber_id}: {decision.reason}"
            )
    allowed = eligible_ids(pa.table({"subscriber_id": [ticket.subscriber_id]}))
    diagnosis = diagnose(settings, ticket.gateway_id, eligible=allowed, at=moment, hours=hours)
    desk.trail.append(
        who,
        VIEWED,
        purpose=PURPOSE,
        subject=ticket.subscriber_id,
        details={
            "ticket_id": ticket.ticket_id,
            "gateway_id": ticket.gateway_id,
            "reason": why,
            "findings": len(diagnosis.findings),
            "status": diagnosis.status,
            "window_start": diagnosis.window_start.isoformat(),
            "window_end": diagnosis.window_end.isoformat(),
        },
        at=now,
    )
    return diagnosis


def subscriber_gateway(settings: Settings, subscriber_id: str) -> str | None:
    """The gateway in the subscriber's contract (the store's subscribers table), if any."""
    subs = read_store_table(settings, "subscribers", ["subscriber_id", "gateway_id"])
    mine = subs.filter(pc.equal(subs.column("subscriber_id"), subscriber_id))
    if mine.num_rows == 0:
        raise TicketError(f"no subscriber {subscriber_id} in the store")
    gateway = mine.column("gateway_id")[0].as_py()
    return None if gateway is None else str(gateway)


def check_reason(reason: str | None, doing: str) -> str:
    """The stated reason, stripped; refused if empty or shorter than a few words."""
    text = " ".join((reason or "").split())
    if not text or len(text.split(" ")) < MIN_REASON_WORDS:
        raise TicketError(
            f"{doing} needs a stated reason of at least {MIN_REASON_WORDS} words "
            f"(it is shown to the subscriber), got {reason!r}"
        )
    return text


def _agent(agent: str) -> str:
    if not agent or not agent.strip():
        raise TicketError("the agent's name is required (it is shown to the subscriber)")
    return agent.strip()


def _draft(
    actor: str, action: str, *, subject: str, details: dict[str, Any], at: datetime
) -> Entry:
    try:
        return draft(actor, action, purpose=PURPOSE, subject=subject, details=details, at=at)
    except AuditError as exc:
        raise TicketError(str(exc)) from None


def _fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "subscriber_id": ticket.subscriber_id,
        "gateway_id": ticket.gateway_id,
        "reason": ticket.reason,
        "opened_by": ticket.opened_by,
        "opened_at": ticket.opened_at,
        "closed_at": ticket.closed_at,
        "closed_by": ticket.closed_by,
    }


def _ticket(row: Row[Any]) -> Ticket:
    return Ticket(
        ticket_id=row.ticket_id,
        subscriber_id=row.subscriber_id,
        gateway_id=row.gateway_id,
        reason=row.reason,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
    )
