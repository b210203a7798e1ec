"""The gate for a whole population: which subscribers a purpose may process at a time.

Set logic over Arrow: the ledger gives the (small) set of subscribers whose latest choice
matters at that time (consents in force for opt-in purposes, objections in force for opt-out
ones), and one vectorised membership test against the subscribers table does the rest. For ten
million subscribers this is seconds, where a per-person loop would be hours. Restrictions of
processing in force at that time are one more (tiny) set taken out the same way.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, and_, func, or_, select

from trustflux.db.tables import ledger_records, ledger_state
from trustflux.errors import GateError
from trustflux.gate.arrow_io import fetch_arrow
from trustflux.gate.contracts import running_mask, subscribers_arrow
from trustflux.gate.governance import RESTRICTION_EXEMPT, restricted_arrow
from trustflux.gate.rules import PurposeRule
from trustflux.ledger.model import Event, SubjectKind
from trustflux.register import ConsentMechanism, LawfulBasis

ID_SCHEMA = pa.schema([pa.field("subscriber_id", pa.string())])


def eligible(
    conn: Connection, rule: PurposeRule, at: datetime, subscribers: pa.Table | None
) -> pa.Table:
    """Rows of ``subscribers`` (or of the synced subscribers) that ``rule`` lets through."""
    table = _population(conn, subscribers)
    return table.filter(_mask(conn, rule, at, table))


def excluded(
    conn: Connection, rule: PurposeRule, at: datetime, subscribers: pa.Table | None
) -> pa.Table:
    """``subscriber_id`` of the rows ``rule`` keeps out."""
    table = _population(conn, subscribers)
    kept = _mask(conn, rule, at, table)
    return table.select(["subscriber_id"]).filter(pc.invert(kept))


def _population(conn: Connection, subscribers: pa.Table | None) -> pa.Table:
    table = subscribers_arrow(conn) if subscribers is None else subscribers
    if "subscriber_id" not in table.column_names:
        raise GateError("the subscribers table needs a subscriber_id column")
    column = table.column("subscriber_id")
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise GateError(f"subscriber_id must be text, not {column.type}")
    return table


def _mask(conn: Connection, rule: PurposeRule, at: datetime, table: pa.Table) -> pa.ChunkedArray:
    if not rule.dpia_cleared:
        return _constant(False, table.num_rows)
    allowed = _rule_mask(conn, rule, at, table)
    if rule.purpose in RESTRICTION_EXEMPT:
        return allowed
    restricted = restricted_arrow(conn, at)
    if len(restricted) == 0:
        return allowed
    ids = table.column("subscriber_id")
    return pc.and_(allowed, pc.invert(pc.is_in(ids, value_set=restricted.cast(ids.type))))


def _rule_mask(
    conn: Connection, rule: PurposeRule, at: datetime, table: pa.Table
) -> pa.ChunkedArray:
    ids = table.column("subscriber_id")
    if rule.mechanism is ConsentMechanism.OPT_IN:
        consented = _in_force(conn, rule.purpose, at, Event.GIVEN)
        return pc.is_in(ids, value_set=consented.cast(ids.type))
    if rule.mechanism is ConsentMechanism.OPT_OUT:
        objected = _in_force(conn, rule.purpose, at, Event.OBJECTED)
        return pc.invert(pc.is_in(ids, value_set=objected.cast(ids.type)))
    if rule.lawful_basis is LawfulBasis.CONTRACT:
        return running_mask(table, at.date())
    return _constant(True, table.num_rows)


def _constant(value: bool, length: int) -> pa.ChunkedArray:
    return pa.chunked_array([pa.repeat(pa.scalar(value, pa.bool_()), length)], pa.bool_())


def _in_force(conn: Connection, purpose: str, at: datetime, event: Event) -> pa.Array:
    """Subscribers whose latest event for ``purpose`` at ``at`` is ``event``, not lapsed."""
    if _state_is_current(conn, purpose, at):
        query = select(ledger_state.c.subject_id).where(
            ledger_state.c.purpose == purpose,
            ledger_state.c.subject_kind == SubjectKind.SUBSCRIBER.value,
            ledger_state.c.event == event.value,
            or_(ledger_state.c.expires_at.is_(None), ledger_state.c.expires_at > at),
        )
    else:
        ranked = (
            select(
                ledger_records.c.subject_id,
                ledger_records.c.event,
                ledger_records.c.expires_at,
                func.row_number()
                .over(
                    partition_by=ledger_records.c.subject_id,
                    order_by=ledger_records.c.seq.desc(),
                )
                .label("rank"),
            )
            .where(
                ledger_records.c.purpose == purpose,
                ledger_records.c.subject_kind == SubjectKind.SUBSCRIBER.value,
                ledger_records.c.occurred_at <= at,
            )
            .subquery()
        )
        query = select(ranked.c.subject_id).where(
            and_(
                ranked.c.rank == 1,
                ranked.c.event == event.value,
                or_(ranked.c.expires_at.is_(None), ranked.c.expires_at > at),
            )
        )
    return fetch_arrow(conn, query, ID_SCHEMA).column("subscriber_id").combine_chunks()


def _state_is_current(conn: Connection, purpose: str, at: datetime) -> bool:
    """Whether no event for ``purpose`` is later than ``at``: then the projection answers."""
    later = (
        select(ledger_state.c.subject_id)
        .where(ledger_state.c.purpose == purpose, ledger_state.c.occurred_at > at)
        .limit(1)
    )
    return conn.execute(later).first() is None
