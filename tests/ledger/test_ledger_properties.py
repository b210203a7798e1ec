"""Property: whatever sequence of events is offered, the ledger keeps exactly the valid ones and
``state_at`` answers as a plain model of the rules would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustflux.errors import LedgerError
from trustflux.ledger import Choice, Event, Ledger, Method

T0 = datetime(2026, 1, 1, tzinfo=UTC)
steps = st.lists(
    st.tuples(
        st.sampled_from(["targeted_offers", "mobility_statistics"]),
        st.sampled_from(list(Event)),
        st.integers(min_value=-2, max_value=5),  # minutes after the previous offer
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps)
def test_ledger_matches_a_reference_model(
    ledger: Ledger, offered: list[tuple[str, Event, int]]
) -> None:
    subject = f"P{uuid.uuid4().hex[:12]}"
    clock = T0
    kept: dict[str, list[tuple[datetime, Event]]] = {}
    for purpose, event, minutes in offered:
        clock = clock + timedelta(minutes=minutes)
        try:
            ledger.append(Choice(subject, purpose, event, Method.API, occurred_at=clock))
        except LedgerError:
            assert not _valid(purpose, event, clock, kept.get(purpose, []))
            continue
        assert _valid(purpose, event, clock, kept.get(purpose, []))
        kept.setdefault(purpose, []).append((clock, event))
    for purpose, events in kept.items():
        for moment, event in events:
            state = ledger.state_at(subject, purpose, moment)
            assert state is not None and state.event is event and state.occurred_at == moment
        assert [r.event for r in ledger.history(subject, purpose)] == [e for _, e in events]
    assert ledger.verify(subject) == []


def _valid(purpose: str, event: Event, at: datetime, before: list[tuple[datetime, Event]]) -> bool:
    opt_in = purpose == "targeted_offers"
    allowed = (
        {Event.GIVEN, Event.REFUSED, Event.WITHDRAWN, Event.EXPIRED}
        if opt_in
        else {Event.GIVEN, Event.OBJECTED, Event.WITHDRAWN, Event.EXPIRED}
    )
    if event not in allowed:
        return False
    latest = before[-1] if before else None
    if latest is not None and at <= latest[0]:
        return False
    if event is Event.WITHDRAWN:
        return latest is not None and latest[1] is (Event.GIVEN if opt_in else Event.OBJECTED)
    if event is Event.EXPIRED:
        ends = {Event.GIVEN} if opt_in else {Event.GIVEN, Event.OBJECTED}
        return latest is not None and latest[1] in ends
    return True
