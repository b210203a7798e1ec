"""The in-memory snapshot answers exactly as the live gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from trustflux.gate import Gate, sync_subscribers
from trustflux.ledger import Choice, Event, Ledger, Method

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_snapshot_matches_live_decisions(
    gate: Gate, ledger: Ledger, engine: object, sid: str
) -> None:
    others = [f"{sid}{n}" for n in range(4)]
    sync_subscribers(
        gate.engine,
        pa.table(
            {
                "subscriber_id": others,
                "contract_start": pa.array([date(2026, 1, 1)] * 4, pa.date32()),
                "contract_end": pa.array([None, date(2026, 3, 3), None, None], pa.date32()),
            }
        ),
        now=T0,
    )
    ledger.append(Choice(others[0], "targeted_offers", Event.GIVEN, Method.APP, occurred_at=T0))
    ledger.append(
        Choice(
            others[0],
            "targeted_offers",
            Event.WITHDRAWN,
            Method.APP,
            occurred_at=T0 + timedelta(days=1),
        )
    )
    ledger.append(Choice(others[1], "fraud_detection", Event.OBJECTED, Method.APP, occurred_at=T0))
    ledger.append(
        Choice(
            others[2],
            "targeted_offers",
            Event.GIVEN,
            Method.APP,
            occurred_at=T0,
            expires_at=T0 + timedelta(hours=5),
        )
    )
    snapshot = gate.snapshot(subjects=others)
    for subject in others:
        for purpose in gate.register.purpose_ids:
            for at in (T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(days=2)):
                assert snapshot.decide(subject, purpose, at) == gate.decide(subject, purpose, at)
    assert snapshot.decide(others[0], "targeted_offers").code == "consent_withdrawn"
