"""Contract periods the gate needs for contract purposes, kept in the relational store.

The identified zone (Parquet/DuckDB) is the source of subscribers; ``sync_subscribers`` copies
their contract dates into the ``subscribers`` table so that a single decision does not open
the store. Jobs that already hold the subscribers table pass it to ``Gate.eligible`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from trustflux.db.tables import subscribers
from trustflux.errors import GateError
from trustflux.gate.arrow_io import fetch_arrow
from trustflux.gate.rules import Contract
from trustflux.ledger.model import SubjectKind, subject_kind

SUBSCRIBER_SCHEMA = pa.schema(
    [
        pa.field("subscriber_id", pa.string(), nullable=False),
        pa.field("contract_start", pa.date32()),
        pa.field("contract_end", pa.date32()),
    ]
)
_CHUNK = 20_000


def sync_subscribers(engine: Engine, table: pa.Table, *, now: datetime) -> int:
    """Insert or update the contract period of every subscriber in ``table``; returns rows.

    ``table`` needs ``subscriber_id``, ``contract_start`` and ``contract_end`` (the store's
    ``subscribers`` table has them). Ids are checked like ledger subjects.
    """
    missing = {"subscriber_id", "contract_start"} - set(table.column_names)
    if missing:
        raise GateError(f"subscribers table lacks {', '.join(sorted(missing))}")
    ids = table.column("subscriber_id").to_pylist()
    starts = table.column("contract_start").cast(pa.date32()).to_pylist()
    ends = (
        table.column("contract_end").cast(pa.date32()).to_pylist()
        if "contract_end" in table.column_names
        else [None] * table.num_rows
    )
    rows = []
    for subscriber_id, start, end in zip(ids, starts, ends, strict=True):
        if subject_kind(subscriber_id) is not SubjectKind.SUBSCRIBER:
            raise GateError(f"subscriber id {subscriber_id!r} is malformed")
        if start is None:
            raise GateError(f"subscriber {subscriber_id}: contract_start is missing")
        rows.append(
            {
                "subscriber_id": subscriber_id,
                "contract_start": start,
                "contract_end": end,
                "synced_at": now,
            }
        )
    dialect = engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    with engine.begin() as conn:
        for offset in range(0, len(rows), _CHUNK):
            statement = insert(subscribers)
            statement = statement.on_conflict_do_update(
                index_elements=[subscribers.c.subscriber_id],
                set_={
                    "contract_start": statement.excluded.contract_start,
                    "contract_end": statement.excluded.contract_end,
                    "synced_at": statement.excluded.synced_at,
                },
            )
            conn.execute(statement, rows[offset : offset + _CHUNK])
    return len(rows)


_CONTRACTS = select(
    subscribers.c.subscriber_id, subscribers.c.contract_start, subscribers.c.contract_end
).where(subscribers.c.subscriber_id.in_(bindparam("ids", expanding=True)))


def contracts_for(conn: Connection, subscriber_ids: Iterable[str]) -> dict[str, Contract]:
    """Contract periods of the given subscribers (absent ids have none)."""
    wanted = sorted(set(subscriber_ids))
    found: dict[str, Contract] = {}
    for offset in range(0, len(wanted), 500):
        for subscriber_id, start, end in conn.execute(
            _CONTRACTS, {"ids": wanted[offset : offset + 500]}
        ):
            found[subscriber_id] = Contract(start, end)
    return found


def all_contracts(conn: Connection) -> dict[str, Contract]:
    """Every contract period in the store (for an in-memory snapshot)."""
    query = select(
        subscribers.c.subscriber_id, subscribers.c.contract_start, subscribers.c.contract_end
    )
    return {
        row.subscriber_id: Contract(row.contract_start, row.contract_end)
        for row in conn.execute(query)
    }


def subscribers_arrow(conn: Connection) -> pa.Table:
    """The synced subscribers as an Arrow table (subscriber_id, contract_start, contract_end)."""
    query = select(
        subscribers.c.subscriber_id, subscribers.c.contract_start, subscribers.c.contract_end
    ).order_by(subscribers.c.subscriber_id)
    return fetch_arrow(conn, query, SUBSCRIBER_SCHEMA)


def running_mask(table: pa.Table, day: date) -> pa.ChunkedArray:
    """True where the contract runs on ``day`` (start <= day <= end, or no end)."""
    if "contract_start" not in table.column_names or "contract_end" not in table.column_names:
        raise GateError(
            "a contract purpose needs contract_start and contract_end columns in the "
            "subscribers table (or leave subscribers out to use the synced contracts)"
        )
    scalar = pa.scalar(day, type=pa.date32())
    start = table.column("contract_start").cast(pa.date32())
    end = table.column("contract_end").cast(pa.date32())
    started = pc.fill_null(pc.less_equal(start, scalar), False)
    not_ended = pc.fill_null(pc.greater_equal(end, scalar), True)
    return pc.and_(started, not_ended)
