"""The consent and objection ledger: append with validation, read history and state.

History lives in ``ledger_records`` and is only ever appended to (database triggers refuse
UPDATE and DELETE). ``ledger_state`` holds each subject's latest event per purpose so that the
gate answers without scanning history; it is written in the same transaction as the record and
can be rebuilt from history at any time (``rebuild_state``).

Writes come in batches: a batch is one transaction, made of groups that succeed or fail as a
whole (a cookie banner's choices for several purposes form one group). The web service feeds
many concurrent requests into one batch so that one durable commit covers them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, RowMapping, and_, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from trustflux.db.engine import read_only
from trustflux.db.tables import ledger_records, ledger_state, notices
from trustflux.errors import (
    DatabaseError,
    InvalidRecordError,
    LedgerError,
    RecordNotFoundError,
    ReplayError,
    UnknownPurposeError,
)
from trustflux.ledger.model import (
    SUBJECT_HINT,
    Choice,
    Event,
    Language,
    Method,
    Record,
    SubjectKind,
    record_hash_of,
    subject_kind,
    utc_now,
)
from trustflux.ledger.notices import Notice, NoticeBook, current_notices
from trustflux.ledger.rules import Draft, Latest, check_against, draft
from trustflux.register import Register

if TYPE_CHECKING:
    from trustflux.audit import AuditTrail

Outcome = list[Record] | LedgerError
"""What became of one group of a batch: its records, or why none was written."""

_ATTEMPTS = 4
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


class Ledger:
    """Append-only consent and objection history over the relational store."""

    def __init__(
        self,
        engine: Engine,
        register: Register,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_clock_skew: timedelta = timedelta(minutes=5),
        audit: AuditTrail | None = None,
    ) -> None:
        self.engine = engine
        self.audit = audit
        """When set, every record is also a ``consent_change`` entry, in the same transaction."""
        self.reader = read_only(engine)
        self.register = register
        self.clock = clock
        self.max_clock_skew = max_clock_skew
        self.jurisdiction = register.controller.address.country
        self._purposes = {purpose.id: purpose for purpose in register.purposes}
        self._lock_row = engine.dialect.name == "postgresql"
        self._upsert_state = _state_upsert(engine.dialect.name)
        self._notices: NoticeBook | None = None
        self._notices_lock = threading.Lock()

    # -- notices ----------------------------------------------------------------------------
    @property
    def notices(self) -> NoticeBook:
        """Every notice text known (the register's and any older one in the database)."""
        if self._notices is None:
            with self._notices_lock:
                if self._notices is None:
                    try:
                        self._notices = self._load_notices()
                    except OperationalError as exc:
                        raise DatabaseError(
                            f"the ledger database is unavailable: {exc.orig}"
                        ) from None
        return self._notices

    def _load_notices(self) -> NoticeBook:
        """Store the register's current texts if new, then read every text ever stored."""
        wanted = current_notices(self.register)
        for _ in range(_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    known = set(conn.scalars(select(notices.c.notice_hash)))
                    missing = [n for n in wanted if n.hash not in known]
                    if missing:
                        now = self.clock()
                        conn.execute(
                            insert(notices),
                            [
                                {
                                    "notice_hash": n.hash,
                                    "purpose": n.purpose,
                                    "notice_version": n.version,
                                    "language": n.language,
                                    "text": n.text,
                                    "first_seen_at": now,
                                }
                                for n in missing
                            ],
                        )
                break
            except IntegrityError:  # another process stored them first
                continue
        with self.reader.connect() as conn:
            rows = conn.execute(select(notices)).mappings().all()
        book = NoticeBook([])
        for row in rows:
            book.add(
                Notice(
                    row["purpose"],
                    row["notice_version"],
                    row["language"],
                    row["text"],
                    row["notice_hash"],
                )
            )
        return book

    def notice_text(self, digest: str) -> Notice | None:
        """The notice whose text has SHA-256 ``digest``."""
        return self.notices.by_hash(digest)

    # -- writing ----------------------------------------------------------------------------
    def append(self, choice: Choice) -> Record:
        """Record one choice; raise a ``LedgerError`` saying why if it is refused."""
        return self.append_group([choice])[0]

    def append_group(self, choices: Sequence[Choice]) -> list[Record]:
        """Record choices that stand or fall together (one banner submission)."""
        outcome = self.append_batch([choices])[0]
        if isinstance(outcome, LedgerError):
            raise outcome
        return outcome

    def append_batch(self, groups: Sequence[Sequence[Choice]]) -> list[Outcome]:
        """Record many groups in one transaction; each group's outcome, in order.

        A refused group writes nothing and does not stop the others. The call returns once the
        transaction has committed: every record returned is durable.
        """
        book = self.notices
        now = self.clock()
        outcomes: list[Outcome | None] = [None] * len(groups)
        drafts: dict[int, list[Draft]] = {}
        for index, group in enumerate(groups):
            if not group:
                outcomes[index] = InvalidRecordError("no choice to record")
                continue
            try:
                drafts[index] = [
                    draft(
                        choice,
                        self._purposes,
                        book,
                        now=now,
                        max_skew=self.max_clock_skew,
                        default_jurisdiction=self.jurisdiction,
                    )
                    for choice in group
                ]
            except LedgerError as exc:
                outcomes[index] = exc
        if drafts:
            for attempt in range(_ATTEMPTS):
                try:
                    with self.engine.begin() as conn:
                        written = self._write(conn, drafts)
                    break
                except IntegrityError as exc:
                    # A concurrent writer (another process) took a key first: read again.
                    if attempt == _ATTEMPTS - 1:
                        raise DatabaseError(
                            f"concurrent writes kept conflicting; nothing was written: {exc.orig}"
                        ) from None
                except OperationalError as exc:
                    # Deadlock or serialization failure: retry; anything else is an outage.
                    retry = getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES
                    if not retry or attempt == _ATTEMPTS - 1:
                        raise DatabaseError(
                            f"the ledger database is unavailable: {exc.orig}"
                        ) from None
            for index, outcome in written.items():
                outcomes[index] = outcome
        return [o if o is not None else LedgerError("not processed") for o in outcomes]

    def _write(self, conn: Connection, drafts: dict[int, list[Draft]]) -> dict[int, Outcome]:
        keys = {item.key for group in drafts.values() for item in group}
        stored = self._latest_for(conn, keys)
        # Server-stamped choices get their time now that the rows are locked (PostgreSQL) or
        # the write lock is held (SQLite): concurrent writers then stamp in commit order.
        stamp = max(self.clock(), max(item.recorded_at for g in drafts.values() for item in g))
        for group in drafts.values():
            for item in group:
                item.recorded_at = stamp
                if not item.occurred_at_given:
                    item.occurred_at = stamp
        given_ids = [item.record_id for g in drafts.values() for item in g if item.record_id_given]
        taken = self._existing_ids(conn, given_ids) if given_ids else set()
        state: dict[tuple[str, str], Latest] = dict(stored)
        final: dict[tuple[str, str], Record] = {}
        rows: list[dict[str, Any]] = []
        outcomes: dict[int, Outcome] = {}
        for index, group in drafts.items():
            local: dict[tuple[str, str], Latest] = {}
            records: list[Record] = []
            try:
                for item in group:
                    if item.record_id in taken:
                        raise ReplayError(f"record {item.record_id} is already in the ledger")
                    latest = local.get(item.key) or state.get(item.key)
                    check_against(item, latest)
                    record = _make_record(item, latest)
                    local[item.key] = _latest_of(record)
                    records.append(record)
            except LedgerError as exc:
                outcomes[index] = exc
                continue
            state.update(local)
            for record in records:
                taken.add(record.record_id)
                final[(record.subject, record.purpose)] = record
                rows.append(_row(record))
            outcomes[index] = records
        if rows:
            # executemany: psycopg pipelines the rows in one round trip. (A multi-row VALUES
            # statement is slower here: psycopg parses each new long query text in Python.)
            conn.execute(_INSERT_RECORDS, rows)
            conn.execute(self._upsert_state, [_state_row(r) for r in final.values()])
            if self.audit is not None:
                from trustflux.audit.consent import consent_entries

                written = [r for o in outcomes.values() if isinstance(o, list) for r in o]
                self.audit.append_in(conn, consent_entries(written))
        return outcomes

    def _latest_for(
        self, conn: Connection, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], Latest]:
        """Latest state of each key, locked until commit on PostgreSQL (SQLite: whole-DB lock)."""
        statement = _LATEST_FOR_UPDATE if self._lock_row else _LATEST
        subjects = sorted({subject for subject, _ in keys})
        purposes = sorted({purpose for _, purpose in keys})
        found: dict[tuple[str, str], Latest] = {}
        for offset in range(0, len(subjects), 500):
            rows = conn.execute(
                statement, {"subjects": subjects[offset : offset + 500], "purposes": purposes}
            )
            for subject, purpose, seq, record_id, event, occurred_at, expires_at, digest in rows:
                if (subject, purpose) in keys:
                    found[(subject, purpose)] = Latest(
                        seq=seq,
                        record_id=record_id,
                        event=Event(event),
                        occurred_at=occurred_at,
                        expires_at=expires_at,
                        record_hash=digest,
                    )
        return found

    @staticmethod
    def _existing_ids(conn: Connection, record_ids: list[str]) -> set[str]:
        return set(conn.scalars(_EXISTING_IDS, {"ids": record_ids}))

    # -- reading ----------------------------------------------------------------------------
    def history(self, subject: str, purpose: str | None = None) -> list[Record]:
        """Every record of ``subject`` (for one purpose, or all), oldest first."""
        self._check_subject(subject)
        query = select(ledger_records).where(ledger_records.c.subject_id == subject)
        if purpose is not None:
            self._check_purpose(purpose)
            query = query.where(ledger_records.c.purpose == purpose)
        query = query.order_by(ledger_records.c.occurred_at, ledger_records.c.position)
        with self.reader.connect() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    def state_at(self, subject: str, purpose: str, at: datetime | None = None) -> Record | None:
        """The subject's latest record for ``purpose`` at or before ``at`` (default: now).

        The record is returned even if it has lapsed by ``at``: ``Record.lapsed(at)`` says so,
        and the gate decides what a lapsed choice means for the purpose.
        """
        self._check_subject(subject)
        self._check_purpose(purpose)
        moment = at or self.clock()
        query = (
            select(ledger_records)
            .where(
                ledger_records.c.subject_id == subject,
                ledger_records.c.purpose == purpose,
                ledger_records.c.occurred_at <= moment,
            )
            .order_by(ledger_records.c.seq.desc())
            .limit(1)
        )
        with self.reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _record(row)

    def current(self, subject: str) -> dict[str, Record]:
        """The subject's latest record for each purpose they made a choice on."""
        self._check_subject(subject)
        latest = (
            select(ledger_state.c.record_id)
            .where(ledger_state.c.subject_id == subject)
            .scalar_subquery()
        )
        query = select(ledger_records).where(
            and_(ledger_records.c.subject_id == subject, ledger_records.c.record_id.in_(latest))
        )
        with self.reader.connect() as conn:
            return {row["purpose"]: _record(row) for row in conn.execute(query).mappings()}

    def record(self, record_id: str) -> Record:
        """The record with this id; ``RecordNotFoundError`` if there is none."""
        query = select(ledger_records).where(ledger_records.c.record_id == record_id)
        with self.reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise RecordNotFoundError(f"no record {record_id}")
        return _record(row)

    def verify(self, subject: str, purpose: str | None = None) -> list[str]:
        """Problems in the subject's hash chains (empty: intact)."""
        problems = []
        previous: dict[str, Record] = {}
        for record in sorted(self.history(subject, purpose), key=lambda r: (r.purpose, r.seq)):
            before = previous.get(record.purpose)
            expected_seq = 1 if before is None else before.seq + 1
            expected_prev = None if before is None else before.record_hash
            if record.seq != expected_seq:
                problems.append(f"{record.purpose}: seq {record.seq}, expected {expected_seq}")
            if record.prev_hash != expected_prev:
                problems.append(f"{record.purpose}#{record.seq}: previous hash does not match")
            if record_hash_of(record) != record.record_hash:
                problems.append(f"{record.purpose}#{record.seq}: record hash does not match")
            previous[record.purpose] = record
        return problems

    def rebuild_state(self) -> int:
        """Recompute ``ledger_state`` from history (after a restore, or to check it)."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        with self.engine.begin() as conn:
            for row in conn.execute(
                select(ledger_records).order_by(ledger_records.c.seq)
            ).mappings():
                rows[(row["subject_id"], row["purpose"])] = _state_row(_record(row))
            conn.execute(ledger_state.delete())
            if rows:
                conn.execute(insert(ledger_state), list(rows.values()))
        return len(rows)

    def _check_subject(self, subject: str) -> None:
        if subject_kind(subject) is None:
            raise InvalidRecordError(f"subject {subject!r} is malformed: expected {SUBJECT_HINT}")

    def _check_purpose(self, purpose: str) -> None:
        if purpose not in self.register.purpose_ids:
            raise UnknownPurposeError(
                f"unknown purpose {purpose!r} (declared: {', '.join(self.register.purpose_ids)})"
            )


# Statements are built once: building one costs more than running it on a warm connection.
_LATEST = select(
    ledger_state.c.subject_id,
    ledger_state.c.purpose,
    ledger_state.c.seq,
    ledger_state.c.record_id,
    ledger_state.c.event,
    ledger_state.c.occurred_at,
    ledger_state.c.expires_at,
    ledger_state.c.record_hash,
).where(
    ledger_state.c.subject_id.in_(bindparam("subjects", expanding=True)),
    ledger_state.c.purpose.in_(bindparam("purposes", expanding=True)),
)
# Rows are locked in key order, so two batches never wait on each other in a cycle.
_LATEST_FOR_UPDATE = _LATEST.order_by(
    ledger_state.c.subject_id, ledger_state.c.purpose
).with_for_update()
_EXISTING_IDS = select(ledger_records.c.record_id).where(
    ledger_records.c.record_id.in_(bindparam("ids", expanding=True))
)
_INSERT_RECORDS = insert(ledger_records)
_STATE_VALUES = (
    "subject_kind",
    "seq",
    "record_id",
    "event",
    "occurred_at",
    "expires_at",
    "method",
    "notice_version",
    "record_hash",
)


def _state_upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (subject, purpose) DO UPDATE, in the dialect's own syntax."""
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = build(ledger_state)
    return statement.on_conflict_do_update(
        index_elements=[ledger_state.c.subject_id, ledger_state.c.purpose],
        set_={name: statement.excluded[name] for name in _STATE_VALUES},
    )


def _make_record(item: Draft, latest: Latest | None) -> Record:
    unsealed = Record(
        record_id=item.record_id,
        subject=item.subject,
        subject_kind=item.subject_kind,
        purpose=item.purpose.id,
        seq=1 if latest is None else latest.seq + 1,
        event=item.event,
        occurred_at=item.occurred_at,
        recorded_at=item.recorded_at,
        method=item.method,
        jurisdiction=item.jurisdiction,
        expires_at=item.expires_at,
        notice_version=item.notice_version,
        notice_hash=item.notice_hash,
        language=item.language,
        actor=item.actor,
        prev_hash=None if latest is None else latest.record_hash,
        record_hash="",
    )
    # The hash covers every field but itself: the same function verification uses.
    return replace(unsealed, record_hash=record_hash_of(unsealed))


def _latest_of(record: Record) -> Latest:
    return Latest(
        seq=record.seq,
        record_id=record.record_id,
        event=record.event,
        occurred_at=record.occurred_at,
        expires_at=record.expires_at,
        record_hash=record.record_hash,
    )


def _row(record: Record) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "subject_id": record.subject,
        "subject_kind": record.subject_kind.value,
        "purpose": record.purpose,
        "seq": record.seq,
        "event": record.event.value,
        "occurred_at": record.occurred_at,
        "recorded_at": record.recorded_at,
        "method": record.method.value,
        "jurisdiction": record.jurisdiction,
        "expires_at": record.expires_at,
        "notice_version": record.notice_version,
        "notice_hash": record.notice_hash,
        "language": record.language,
        "actor": record.actor,
        "prev_hash": record.prev_hash,
        "record_hash": record.record_hash,
    }


def _state_row(record: Record) -> dict[str, Any]:
    return {
        "subject_id": record.subject,
        "purpose": record.purpose,
        "subject_kind": record.subject_kind.value,
        "seq": record.seq,
        "record_id": record.record_id,
        "event": record.event.value,
        "occurred_at": record.occurred_at,
        "expires_at": record.expires_at,
        "method": record.method.value,
        "notice_version": record.notice_version,
        "record_hash": record.record_hash,
    }


def _record(row: RowMapping) -> Record:
    language: Language = "en" if row["language"] == "en" else "fr"
    return Record(
        record_id=row["record_id"],
        subject=row["subject_id"],
        subject_kind=SubjectKind(row["subject_kind"]),
        purpose=row["purpose"],
        seq=row["seq"],
        event=Event(row["event"]),
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        method=Method(row["method"]),
        jurisdiction=row["jurisdiction"],
        expires_at=row["expires_at"],
        notice_version=row["notice_version"],
        notice_hash=row["notice_hash"],
        language=language,
        actor=row["actor"],
        prev_hash=row["prev_hash"],
        record_hash=row["record_hash"],
    )


def records_of(rows: Iterable[RowMapping]) -> list[Record]:
    """Records from raw ``ledger_records`` rows (for callers that run their own query)."""
    return [_record(row) for row in rows]
