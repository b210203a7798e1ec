"""History is never rewritten: the database itself refuses to change or delete it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import DBAPIError

from trustflux.db.tables import ledger_records, ledger_state, notices
from trustflux.ledger import Choice, Event, Ledger, Method

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("table", [ledger_records, notices], ids=lambda t: t.name)
def test_update_and_delete_are_refused_by_the_database(
    engine: Engine, ledger: Ledger, sid: str, table: object
) -> None:
    record = ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    target = ledger_records if table is ledger_records else notices
    where = (
        ledger_records.c.record_id == record.record_id
        if target is ledger_records
        else notices.c.notice_hash == record.notice_hash
    )
    for statement in (
        update(target).where(where).values(language="en"),
        delete(target).where(where),
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    assert ledger.record(record.record_id) == record


def test_the_state_projection_can_be_rebuilt_from_history(
    engine: Engine, ledger: Ledger, sid: str
) -> None:
    ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    ledger.append(
        Choice(sid, "targeted_offers", Event.WITHDRAWN, Method.APP, occurred_at=T0.replace(hour=10))
    )
    with engine.connect() as conn:
        before = set(conn.execute(select(ledger_state)).all())
    ledger.rebuild_state()
    with engine.connect() as conn:
        after = set(conn.execute(select(ledger_state)).all())
    assert before == after
    assert ledger.current(sid)["targeted_offers"].event is Event.WITHDRAWN
