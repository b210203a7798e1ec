"""The audit trail: append one entry at a time onto a hash chain, read it back, verify it.

Appends are serialised so two writers never fork the chain: PostgreSQL takes an EXCLUSIVE
table lock (readers are not blocked), SQLite already holds the write lock from
``BEGIN IMMEDIATE``; the primary key on the sequence number is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Row, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from trustflux.audit.entry import GENESIS, Entry, canonical_details
from trustflux.db.engine import read_only
from trustflux.db.tables import audit_entries
from trustflux.errors import AuditError

ProblemKind = Literal["altered", "removed", "reordered"]

PAGE = 5_000
MAX_WALK = 256
"""How far back verify follows links to tell a moved entry from an altered one."""

_LIMITS = {"actor": 120, "action": 64, "purpose": 64, "subject": 80}


@dataclass(frozen=True)
class Problem:
    """The first break in the chain."""

    kind: ProblemKind
    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit entry {self.seq} {self.kind}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    """What ``AuditTrail.verify`` found: ``count`` entries checked before the first problem."""

    ok: bool
    count: int
    problem: Problem | None = None


class AuditTrail:
    """Hash-chained, append-only record of accesses, decisions, job runs and releases."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(
        self,
        actor: str,
        action: str,
        *,
        purpose: str | None = None,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Entry:
        """Chain one entry after the newest one and return it as stored."""
        pending = draft(actor, action, purpose=purpose, subject=subject, details=details, at=at)
        try:
            with self.engine.begin() as conn:
                [entry] = self.append_in(conn, [pending])
        except SQLAlchemyError as exc:
            raise AuditError(f"cannot append to the audit trail: {exc}") from None
        return entry

    def append_in(self, conn: Connection, pending: Sequence[Entry]) -> list[Entry]:
        """Chain ``draft(...)`` entries inside the caller's transaction (it commits them).

        Takes the trail's write lock, so call it last in a transaction that locks other rows.
        """
        if not pending:
            return []
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE audit_entries IN EXCLUSIVE MODE"))
        last = conn.execute(
            select(audit_entries.c.seq, audit_entries.c.entry_hash)
            .order_by(audit_entries.c.seq.desc())
            .limit(1)
        ).first()
        seq = 0 if last is None else int(last.seq)
        previous = GENESIS if last is None else str(last.entry_hash)
        written: list[Entry] = []
        for item in pending:
            seq += 1
            placed = replace(item, seq=seq, prev_hash=previous)
            entry = replace(placed, entry_hash=placed.computed_hash())
            written.append(entry)
            previous = entry.entry_hash
        conn.execute(insert(audit_entries), [_row_values(e) for e in written])
        return written

    def entries(self, subject: str | None = None, since: datetime | None = None) -> list[Entry]:
        """Entries oldest first, optionally about one subject and/or from ``since`` on."""
        query = select(audit_entries).order_by(audit_entries.c.seq)
        if subject is not None:
            query = query.where(audit_entries.c.subject == subject)
        if since is not None:
            if since.tzinfo is None:
                raise AuditError(f"audit time {since.isoformat()} has no time zone")
            query = query.where(audit_entries.c.at >= since)
        try:
            with read_only(self.engine).connect() as conn:
                return [entry_of_row(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise AuditError(f"cannot read the audit trail: {exc}") from None

    def verify(self) -> VerifyReport:
        """Walk the chain; report the first altered, removed or reordered entry."""
        count, expected, previous = 0, 1, GENESIS
        try:
            with read_only(self.engine).connect() as conn:
                for entry in _pages(conn):
                    problem = _check(conn, entry, expected, previous)
                    if problem is not None:
                        return VerifyReport(False, count, problem)
                    count, expected, previous = count + 1, entry.seq + 1, entry.entry_hash
        except SQLAlchemyError as exc:
            raise AuditError(f"cannot read the audit trail: {exc}") from None
        return VerifyReport(True, count)


def draft(
    actor: str,
    action: str,
    *,
    purpose: str | None = None,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Entry:
    """A checked entry not yet placed in the chain (sequence number and hashes come later)."""
    fields = {"actor": actor, "action": action, "purpose": purpose, "subject": subject}
    for name, value in fields.items():
        if value is None and name in ("purpose", "subject"):
            continue
        if not value or not value.strip() or len(value) > _LIMITS[name]:
            raise AuditError(
                f"audit {name} {value!r}: must be non-empty, at most {_LIMITS[name]} chars"
            )
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise AuditError(f"audit time {moment.isoformat()} has no time zone")
    return Entry(
        seq=0,
        at=moment.astimezone(UTC),
        actor=actor,
        action=action,
        purpose=purpose,
        subject=subject,
        details=canonical_details(details),
    )


def _row_values(entry: Entry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "purpose": entry.purpose,
        "subject": entry.subject,
        "details": dict(entry.details),
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def entry_of_row(row: Row[Any]) -> Entry:
    """An ``audit_entries`` row as an entry (details read back as a dict)."""
    details = row.details if isinstance(row.details, dict) else {}
    return Entry(
        seq=int(row.seq),
        at=row.at,
        actor=row.actor,
        action=row.action,
        purpose=row.purpose,
        subject=row.subject,
        details=details,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _pages(conn: Connection) -> Iterator[Entry]:
    last = 0
    while True:
        rows = conn.execute(
            select(audit_entries)
            .where(audit_entries.c.seq > last)
            .order_by(audit_entries.c.seq)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        for row in rows:
            yield entry_of_row(row)
        last = int(rows[-1].seq)


def _by_hash(conn: Connection, digest: str) -> Entry | None:
    row = conn.execute(select(audit_entries).where(audit_entries.c.entry_hash == digest)).first()
    return None if row is None else entry_of_row(row)


def _check(conn: Connection, entry: Entry, expected: int, previous: str) -> Problem | None:
    if entry.seq != expected:
        return Problem(
            "removed", expected, f"it is missing (the next entry present is {entry.seq})"
        )
    intact = entry.computed_hash() == entry.entry_hash
    if intact and entry.prev_hash == previous:
        return None
    if intact:
        # Its own content holds, so the entry before it was rewritten with a fresh hash.
        return Problem(
            "altered",
            entry.seq - 1,
            f"it is not the entry that entry {entry.seq} was chained to",
        )
    origin = _original_seq(conn, entry)
    if origin is not None and origin != entry.seq:
        return Problem("reordered", entry.seq, f"it was entry {origin} when it was written")
    return Problem("altered", entry.seq, "its content no longer matches its hash")


def _original_seq(conn: Connection, entry: Entry) -> int | None:
    """Where ``entry`` was written, following its links back to an entry still in place."""
    walk = [entry]
    base: int | None = None
    while len(walk) <= MAX_WALK:
        link = walk[-1].prev_hash
        if link == GENESIS:
            base = 0
            break
        before = _by_hash(conn, link)
        if before is None:
            return None
        if before.computed_hash() == before.entry_hash:
            base = before.seq
            break
        walk.append(before)
    if base is None:
        return None
    for offset, moved in enumerate(reversed(walk), start=1):
        if moved.computed_hash(base + offset) != moved.entry_hash:
            return None
    return base + len(walk)
