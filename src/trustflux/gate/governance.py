"""Governance the gate obeys beside the register and the ledger: the DPO's DPIA decisions
and the restrictions of processing (GDPR Art. 18).

The register's YAML states a purpose's DPIA status as it was written; the DPO then decides
in the product (``record_dpia_decision``), and the latest decision at a time is the purpose's
effective status from then on. A restriction freezes every purpose for one person while it
is open, except ``privacy_compliance`` (keeping the records of their own request).

Both live in small append-mostly tables: ``Governance`` is an immutable in-memory copy of
them that a long-lived gate reloads every few seconds, so a single decision costs no extra
query; jobs (bulk sets, snapshots) read them fresh.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, Row, Select, and_, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from trustflux.audit.entry import Entry
from trustflux.audit.trail import AuditTrail, draft
from trustflux.db.engine import read_only
from trustflux.db.tables import dpia_decisions, restrictions
from trustflux.errors import AuditError, DatabaseError, GateError
from trustflux.gate.arrow_io import fetch_arrow
from trustflux.ledger.model import SUBJECT_HINT, subject_kind
from trustflux.register import DpiaStatus, Register

RESTRICTION_EXEMPT = frozenset({"privacy_compliance"})
"""Purposes a restriction leaves running: the records of the person's own request."""
CLEARED = frozenset({DpiaStatus.APPROVED, DpiaStatus.NOT_REQUIRED})
_CHUNK = 500
_ID_SCHEMA = pa.schema([pa.field("subscriber_id", pa.string())])


@dataclass(frozen=True, slots=True)
class DpiaDecision:
    """One decision of the DPO on a purpose's DPIA (the table is append-only)."""

    position: int
    purpose: str
    status: DpiaStatus
    decided_by: str
    decided_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class Restriction:
    """One period during which a person's data may only be stored, not processed."""

    subject_id: str
    reason: str
    restricted_at: datetime
    lifted_at: datetime | None
    request_id: str | None = None

    def covers(self, at: datetime) -> bool:
        return self.restricted_at <= at and (self.lifted_at is None or at < self.lifted_at)


# -- the DPO's DPIA decisions ------------------------------------------------------------------
def record_dpia_decision(
    engine: Engine,
    register: Register,
    purpose: str,
    status: DpiaStatus,
    *,
    actor: str,
    note: str,
    at: datetime,
) -> None:
    """Append the DPO's decision and its audit entry ("dpia.decided") in one transaction."""
    if purpose not in register.purpose_ids:
        raise GateError(
            f"unknown purpose {purpose!r} (declared: {', '.join(register.purpose_ids)})"
        )
    status = _status(status)
    if not note or not note.strip():
        raise GateError("a DPIA decision needs a note saying why (it is kept in the records)")
    if not actor or not actor.strip():
        raise GateError("a DPIA decision needs the name of who took it")
    moment = _aware(at)
    previous = dpia_statuses(engine, register, at=moment).get(purpose)
    entry = _draft(
        actor,
        "dpia.decided",
        purpose=purpose,
        details={
            "status": status.value,
            "previous": None if previous is None else previous.value,
            "note": note.strip(),
        },
        at=moment,
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(dpia_decisions).values(
                    purpose=purpose,
                    status=status.value,
                    decided_by=actor.strip(),
                    decided_at=moment,
                    note=note.strip(),
                )
            )
            AuditTrail(engine).append_in(conn, [entry])
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot record the DPIA decision on {purpose}: {exc}") from None


def dpia_history(engine: Engine, purpose: str) -> list[DpiaDecision]:
    """Every DPO decision on ``purpose``, oldest first (for the DPO page)."""
    query = (
        select(dpia_decisions)
        .where(dpia_decisions.c.purpose == purpose)
        .order_by(dpia_decisions.c.position)
    )
    with _reading(engine) as conn:
        return [_decision(row) for row in conn.execute(query)]


def dpia_statuses(
    engine: Engine, register: Register, *, at: datetime | None = None
) -> dict[str, DpiaStatus]:
    """Effective status per purpose at ``at`` (default now): the latest DPO decision by then,
    else the register's YAML status."""
    with _reading(engine) as conn:
        governance = load_governance(conn, restrictions_too=False)
    moment = _aware(at) if at is not None else datetime.now(UTC)
    return {p.id: governance.dpia_status(p.id, moment, p.dpia.status) for p in register.purposes}


# -- restrictions of processing --------------------------------------------------------------
def restrict(
    engine: Engine,
    subject_id: str,
    *,
    reason: str,
    request_id: str | None,
    at: datetime,
    actor: str,
) -> None:
    """Open a restriction for ``subject_id`` from ``at`` (audit "processing.restricted").

    A second restriction while one is open is recorded too (another request, its own
    reason); lifting closes them all.
    """
    if subject_kind(subject_id) is None:
        raise GateError(f"subject {subject_id!r} is malformed: expected {SUBJECT_HINT}")
    if not reason or not reason.strip():
        raise GateError("a restriction needs a reason (the request or the contested point)")
    moment = _aware(at)
    entry = _draft(
        actor,
        "processing.restricted",
        purpose="privacy_compliance",
        subject=subject_id,
        details={"reason": reason.strip(), "request_id": request_id},
        at=moment,
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(restrictions).values(
                    subject_id=subject_id,
                    request_id=request_id,
                    reason=reason.strip(),
                    restricted_at=moment,
                )
            )
            AuditTrail(engine).append_in(conn, [entry])
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot restrict processing for {subject_id}: {exc}") from None


def lift_restriction(engine: Engine, subject_id: str, *, actor: str, at: datetime) -> bool:
    """Close every open restriction of ``subject_id`` at ``at``; False if none was open."""
    moment = _aware(at)
    _draft(actor, "processing.restriction_lifted", subject=subject_id)  # checks the actor
    try:
        with engine.begin() as conn:
            later = conn.execute(
                select(func.max(restrictions.c.restricted_at)).where(
                    restrictions.c.subject_id == subject_id,
                    restrictions.c.lifted_at.is_(None),
                    restrictions.c.restricted_at > moment,
                )
            ).scalar_one()
            if later is not None:  # a period ending before it began would erase it from the past
                raise GateError(
                    f"cannot lift the restriction of {subject_id} at {moment.isoformat()}: "
                    f"it began at {later.isoformat()}"
                )
            lifted = conn.execute(
                update(restrictions)
                .where(restrictions.c.subject_id == subject_id, restrictions.c.lifted_at.is_(None))
                .values(lifted_at=moment, lifted_by=actor.strip())
            ).rowcount
            if not lifted:
                return False
            entry = _draft(
                actor,
                "processing.restriction_lifted",
                purpose="privacy_compliance",
                subject=subject_id,
                details={"restrictions": int(lifted)},
                at=moment,
            )
            AuditTrail(engine).append_in(conn, [entry])
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot lift the restriction of {subject_id}: {exc}") from None
    return True


def restricted_at(conn: Connection, subjects: Iterable[str] | None, at: datetime) -> set[str]:
    """Which of ``subjects`` (None: anyone) have a restriction in force at ``at``."""
    if subjects is None:
        return {str(s) for s in conn.execute(_in_force(at)).scalars()}
    wanted = sorted(set(subjects))
    found: set[str] = set()
    for offset in range(0, len(wanted), _CHUNK):
        chunk = wanted[offset : offset + _CHUNK]
        query = _in_force(at).where(restrictions.c.subject_id.in_(chunk))
        found.update(str(s) for s in conn.execute(query).scalars())
    return found


def restricted_arrow(conn: Connection, at: datetime) -> pa.Array:
    """Everyone restricted at ``at``, as an Arrow array (the bulk gate's set logic)."""
    table = fetch_arrow(conn, _in_force(at), _ID_SCHEMA)
    return table.column("subscriber_id").combine_chunks()


def restrictions_of(conn: Connection, subjects: Iterable[str] | None) -> list[Restriction]:
    """Every restriction period (open or lifted) of ``subjects`` (None: everyone)."""
    query = select(
        restrictions.c.subject_id,
        restrictions.c.reason,
        restrictions.c.restricted_at,
        restrictions.c.lifted_at,
        restrictions.c.request_id,
    ).order_by(restrictions.c.position)
    if subjects is None:
        return [Restriction(*row) for row in conn.execute(query)]
    wanted = sorted(set(subjects))
    out: list[Restriction] = []
    for offset in range(0, len(wanted), _CHUNK):
        chunk = wanted[offset : offset + _CHUNK]
        out.extend(
            Restriction(*row)
            for row in conn.execute(query.where(restrictions.c.subject_id.in_(chunk)))
        )
    return out


def _in_force(at: datetime) -> Select[tuple[str]]:
    return (
        select(restrictions.c.subject_id)
        .where(
            and_(
                restrictions.c.restricted_at <= at,
                or_(restrictions.c.lifted_at.is_(None), restrictions.c.lifted_at > at),
            )
        )
        .distinct()
    )


# -- the in-memory view a gate decides from ----------------------------------------------------
class Governance:
    """DPIA decisions and restriction periods at one moment, immutable once loaded."""

    def __init__(
        self,
        decisions: Iterable[tuple[str, datetime, DpiaStatus]] = (),
        periods: Iterable[Restriction] = (),
    ) -> None:
        timeline: dict[str, list[tuple[datetime, int, DpiaStatus]]] = {}
        for n, (purpose, decided_at, status) in enumerate(decisions):
            timeline.setdefault(purpose, []).append((decided_at, n, status))
        self._dpia: dict[str, tuple[list[datetime], list[DpiaStatus]]] = {}
        for purpose, items in timeline.items():
            items.sort(key=lambda item: (item[0], item[1]))  # by time, then as appended
            self._dpia[purpose] = ([i[0] for i in items], [i[2] for i in items])
        by_subject: dict[str, list[Restriction]] = {}
        for period in periods:
            by_subject.setdefault(period.subject_id, []).append(period)
        self._periods: Mapping[str, list[Restriction]] = by_subject

    @property
    def decided(self) -> frozenset[str]:
        """Purposes with at least one DPO decision."""
        return frozenset(self._dpia)

    def dpia_status(self, purpose: str, at: datetime, default: DpiaStatus) -> DpiaStatus:
        """The latest DPO decision on ``purpose`` at ``at``, else ``default`` (the YAML)."""
        timeline = self._dpia.get(purpose)
        if timeline is None:
            return default
        position = bisect_right(timeline[0], at)
        return timeline[1][position - 1] if position else default

    def restriction(self, subject: str, purpose: str, at: datetime) -> Restriction | None:
        """The restriction that stops ``purpose`` for ``subject`` at ``at``, if any."""
        periods = self._periods.get(subject)
        if not periods or purpose in RESTRICTION_EXEMPT:
            return None
        covering = [p for p in periods if p.covers(at)]
        return min(covering, key=lambda p: p.restricted_at) if covering else None


def load_governance(
    conn: Connection, subjects: Iterable[str] | None = None, *, restrictions_too: bool = True
) -> Governance:
    """Read every DPIA decision and the restriction periods (of ``subjects``, None: all)."""
    rows = conn.execute(
        select(
            dpia_decisions.c.purpose, dpia_decisions.c.decided_at, dpia_decisions.c.status
        ).order_by(dpia_decisions.c.position)
    )
    decisions = [(purpose, at, DpiaStatus(status)) for purpose, at, status in rows]
    periods = restrictions_of(conn, subjects) if restrictions_too else []
    return Governance(decisions, periods)


# -- helpers -----------------------------------------------------------------------------------
def _status(status: DpiaStatus | str) -> DpiaStatus:
    try:
        return DpiaStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in DpiaStatus)
        raise GateError(f"unknown DPIA status {status!r} (one of: {known})") from None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise GateError(f"time {at.isoformat()} has no time zone")
    return at.astimezone(UTC)


def _draft(
    actor: str,
    action: str,
    *,
    purpose: str | None = None,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Entry:
    """An audit entry, checked before anything is written (a bad actor is the caller's error)."""
    try:
        return draft(actor, action, purpose=purpose, subject=subject, details=details, at=at)
    except AuditError as exc:
        raise GateError(str(exc)) from None


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A read-only connection whose database errors become ``DatabaseError``."""
    try:
        with read_only(engine).connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise DatabaseError(f"the governance tables are unavailable: {exc}") from None


def _decision(row: Row[Any]) -> DpiaDecision:
    return DpiaDecision(
        position=int(row.position),
        purpose=row.purpose,
        status=DpiaStatus(row.status),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        note=row.note,
    )
