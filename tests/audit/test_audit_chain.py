"""Appending and verifying: an intact chain verifies; each kind of tampering is named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from trustflux.audit import GENESIS, AuditTrail
from trustflux.errors import AuditError

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _fill(trail: AuditTrail, n: int = 6) -> None:
    for i in range(n):
        trail.append(
            "agent:alice",
            "agent_view",
            purpose="customer_care",
            subject=f"S00000000{i % 2}",
            details={"screen": "usage", "i": i, "ratio": 0.5},
            at=T0 + timedelta(minutes=i),
        )


def test_append_chains_entries_and_verifies(trail: AuditTrail) -> None:
    assert trail.verify().ok and trail.verify().count == 0
    first = trail.append("dpo", "consent_change", subject="S1", details={"to": "withdrawn"})
    second = trail.append("job", "job_run", purpose="billing", at=T0)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.entry_hash
    report = trail.verify()
    assert report.ok and report.count == 2 and report.problem is None
    stored = trail.entries()
    assert [e.entry_hash for e in stored] == [first.entry_hash, second.entry_hash]
    assert stored[1].at == T0 and stored[0].details == {"to": "withdrawn"}


def test_entries_filter_by_subject_and_time(trail: AuditTrail) -> None:
    _fill(trail)
    assert [e.seq for e in trail.entries(subject="S000000001")] == [2, 4, 6]
    assert [e.seq for e in trail.entries(since=T0 + timedelta(minutes=4))] == [5, 6]


def test_bad_input_is_refused(trail: AuditTrail) -> None:
    with pytest.raises(AuditError):
        trail.append("", "agent_view")
    with pytest.raises(AuditError):
        trail.append("a", "agent_view", at=datetime(2026, 1, 1))
    with pytest.raises(AuditError):
        trail.append("a", "agent_view", details={"x": object()})
    assert trail.verify().count == 0


def test_the_database_refuses_update_and_delete(engine: Engine, trail: AuditTrail) -> None:
    _fill(trail, 2)
    for statement in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    assert trail.verify().ok


def test_altered_field_is_detected(tamper: Callable[..., None], trail: AuditTrail) -> None:
    _fill(trail)
    tamper("UPDATE audit_entries SET actor = 'agent:mallory' WHERE seq = 3")
    report = trail.verify()
    assert not report.ok and report.count == 2
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("altered", 3)


def test_altered_details_are_detected(tamper: Callable[..., None], trail: AuditTrail) -> None:
    _fill(trail)
    tamper('UPDATE audit_entries SET details = \'{"screen": "none"}\' WHERE seq = 5')
    problem = trail.verify().problem
    assert problem is not None and (problem.kind, problem.seq) == ("altered", 5)


def test_rewritten_entry_with_a_fresh_hash_is_detected(
    tamper: Callable[..., None], trail: AuditTrail
) -> None:
    _fill(trail)
    [victim] = [e for e in trail.entries() if e.seq == 2]
    digest = replace(victim, actor="nobody").computed_hash()
    tamper(
        f"UPDATE audit_entries SET actor = 'nobody', entry_hash = '{digest}' WHERE seq = 2",
    )
    problem = trail.verify().problem
    assert problem is not None and (problem.kind, problem.seq) == ("altered", 2)


def test_removed_entry_is_detected(tamper: Callable[..., None], trail: AuditTrail) -> None:
    _fill(trail)
    tamper("DELETE FROM audit_entries WHERE seq = 4")
    report = trail.verify()
    assert report.problem is not None and report.count == 3
    assert (report.problem.kind, report.problem.seq) == ("removed", 4)


def test_removed_first_entry_is_detected(tamper: Callable[..., None], trail: AuditTrail) -> None:
    _fill(trail)
    tamper("DELETE FROM audit_entries WHERE seq = 1")
    problem = trail.verify().problem
    assert problem is not None and (problem.kind, problem.seq) == ("removed", 1)


def test_swapped_entries_are_detected(tamper: Callable[..., None], trail: AuditTrail) -> None:
    _fill(trail)
    tamper(
        "UPDATE audit_entries SET seq = -1 WHERE seq = 3",
        "UPDATE audit_entries SET seq = 3 WHERE seq = 4",
        "UPDATE audit_entries SET seq = 4 WHERE seq = -1",
    )
    report = trail.verify()
    assert report.problem is not None and report.count == 2
    assert (report.problem.kind, report.problem.seq) == ("reordered", 3)
    assert "entry 4" in str(report.problem)
