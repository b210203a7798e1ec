"""Batches: one transaction, independent groups, and concurrent writers that never fork a chain."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from trustflux.errors import InvalidRecordError, LedgerError, OutOfOrderError
from trustflux.ledger import Choice, Event, Ledger, Method

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_groups_of_a_batch_succeed_or_fail_alone(ledger: Ledger, sid: str) -> None:
    outcomes = ledger.append_batch(
        [
            [Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0)],
            [
                Choice(sid, "network_optimisation", Event.OBJECTED, Method.APP, occurred_at=T0),
                Choice(sid, "billing", Event.GIVEN, Method.APP, occurred_at=T0),
            ],
            [
                Choice(
                    sid,
                    "targeted_offers",
                    Event.WITHDRAWN,
                    Method.APP,
                    occurred_at=T0 + timedelta(seconds=1),
                )
            ],
            [Choice(sid, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0)],
            [],
        ]
    )
    assert isinstance(outcomes[0], list) and outcomes[0][0].seq == 1
    assert isinstance(outcomes[1], InvalidRecordError)
    assert isinstance(outcomes[2], list) and outcomes[2][0].seq == 2
    assert isinstance(outcomes[3], OutOfOrderError)
    assert isinstance(outcomes[4], LedgerError)
    assert [r.purpose for r in ledger.history(sid)] == ["targeted_offers", "targeted_offers"]
    assert ledger.verify(sid) == []


def test_concurrent_writers_on_one_subject_keep_one_chain(ledger: Ledger, sid: str) -> None:
    """Eight threads race on the same subject and purpose: no seq is lost or doubled."""
    errors: list[Exception] = []

    def write(worker: int) -> None:
        for step in range(10):
            event = Event.OBJECTED if step % 2 == 0 else Event.WITHDRAWN
            try:
                ledger.append(Choice(f"{sid}w{worker}", "fraud_detection", event, Method.API))
                ledger.append(Choice(sid, "network_optimisation", Event.OBJECTED, Method.API))
            except LedgerError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []  # server-stamped times are taken under the lock: never out of order
    shared = ledger.history(sid, "network_optimisation")
    assert [r.seq for r in shared] == list(range(1, 81))
    assert [r.occurred_at for r in shared] == sorted(r.occurred_at for r in shared)
    assert ledger.verify(sid) == []
    for worker in range(8):
        assert len(ledger.history(f"{sid}w{worker}")) == 10
