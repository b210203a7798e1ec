"""The bulk form: eligible/excluded agree with decide for every subscriber, at any time."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from trustflux.errors import GateError
from trustflux.gate import Gate, sync_subscribers
from trustflux.ledger import Choice, Event, Ledger, Method

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PURPOSES = [
    "targeted_offers",
    "mobility_statistics",
    "fraud_detection",
    "billing",
    "advertising_cookies",
]


@pytest.fixture
def population(engine: Engine, ledger: Ledger) -> pa.Table:
    """60 subscribers with random contracts and random consent/objection histories."""
    rng = random.Random(7)
    prefix = f"B{uuid.uuid4().hex[:8]}"
    ids = [f"{prefix}-{n:03d}" for n in range(60)]
    starts = [date(2025, rng.randint(1, 12), 1) for _ in ids]
    ends = [None if rng.random() < 0.6 else date(2026, rng.randint(1, 6), 15) for _ in ids]
    table = pa.table(
        {
            "subscriber_id": ids,
            "contract_start": pa.array(starts, pa.date32()),
            "contract_end": pa.array(ends, pa.date32()),
            "plan": [rng.choice(["A", "B"]) for _ in ids],
        }
    )
    groups = []
    for subscriber in ids:
        moment = T0
        for _ in range(rng.randint(0, 4)):
            moment += timedelta(hours=rng.randint(1, 48))
            purpose = rng.choice(["targeted_offers", "mobility_statistics", "fraud_detection"])
            if purpose == "targeted_offers":
                event = rng.choice([Event.GIVEN, Event.REFUSED])
            else:
                event = Event.OBJECTED
            expires = (
                moment + timedelta(days=rng.choice([1, 3, 30])) if rng.random() < 0.3 else None
            )
            groups.append(
                [
                    Choice(
                        subscriber,
                        purpose,
                        event,
                        Method.API,
                        occurred_at=moment,
                        expires_at=expires,
                    )
                ]
            )
    ledger.append_batch(
        groups
    )  # some are refused (out of order, replays): fine, history is what it is
    sync_subscribers(
        engine, table.select(["subscriber_id", "contract_start", "contract_end"]), now=T0
    )
    return table


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("offset_hours", [-1, 30, 100, 24 * 40])
def test_eligible_equals_decide_for_everyone(
    gate: Gate, population: pa.Table, purpose: str, offset_hours: int
) -> None:
    at = T0 + timedelta(hours=offset_hours)
    eligible = gate.eligible(purpose, at, population)
    excluded = gate.excluded(purpose, at, population)
    expected = {
        s
        for s in population.column("subscriber_id").to_pylist()
        if gate.decide(s, purpose, at).allow
    }
    assert set(eligible.column("subscriber_id").to_pylist()) == expected
    assert eligible.schema == population.schema  # the job's own columns come back
    assert set(excluded.column("subscriber_id").to_pylist()) == (
        set(population.column("subscriber_id").to_pylist()) - expected
    )
    assert excluded.column_names == ["subscriber_id"]


def test_now_uses_the_latest_state(gate: Gate, ledger: Ledger, population: pa.Table) -> None:
    first = population.column("subscriber_id")[0].as_py()
    ledger.append(Choice(first, "mobility_statistics", Event.OBJECTED, Method.APP))
    assert (
        first
        in gate.excluded("mobility_statistics", None, population)
        .column("subscriber_id")
        .to_pylist()
    )


def test_synced_subscribers_are_the_default_population(gate: Gate, population: pa.Table) -> None:
    at = T0 + timedelta(hours=30)
    mine = set(population.column("subscriber_id").to_pylist())
    from_store = {
        s for s in gate.eligible("billing", at).column("subscriber_id").to_pylist() if s in mine
    }
    given = set(gate.eligible("billing", at, population).column("subscriber_id").to_pylist())
    assert from_store == given


def test_input_requirements(gate: Gate) -> None:
    with pytest.raises(GateError, match="subscriber_id column"):
        gate.eligible("fraud_detection", T0, pa.table({"id": ["a"]}))
    with pytest.raises(GateError, match="must be text"):
        gate.eligible("fraud_detection", T0, pa.table({"subscriber_id": [1, 2]}))
    with pytest.raises(GateError, match="contract_start and contract_end"):
        gate.eligible("billing", T0, pa.table({"subscriber_id": ["a"]}))
    with pytest.raises(GateError, match="unknown purpose"):
        gate.eligible("telepathy", T0, pa.table({"subscriber_id": ["a"]}))
    empty = pa.table({"subscriber_id": pa.array([], pa.string())})
    assert gate.eligible("fraud_detection", T0, empty).num_rows == 0
    large = pa.table({"subscriber_id": pa.array(["zz-unknown"], pa.large_string())})
    assert gate.eligible("fraud_detection", T0, large).num_rows == 1
