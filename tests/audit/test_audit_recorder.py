"""Operations runs and statistics releases land in the trail."""

from __future__ import annotations

from datetime import UTC, datetime

from trustflux.audit import (
    JOB_RUN,
    STATISTICS_RELEASE,
    AuditRunRecorder,
    AuditTrail,
    record_release,
)
from trustflux.operations.records import InputRecord, MemoryRunRecorder, RunRecord

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def _run() -> RunRecord:
    return RunRecord(
        run_id="billing-20260302T220000Z-abcd1234",
        job="billing",
        purpose="billing",
        started_at=T0,
        finished_at=T0,
        actor="ops-bot",
        gate_at=T0,
        inputs=(InputRecord("events", 120, 2),),
        counts={"subscribers": 40, "lines": 118},
        outputs={"invoice_lines": "/tmp/invoice_lines.csv"},
    )


def test_run_recorder_writes_a_job_run_entry_and_forwards(trail: AuditTrail) -> None:
    forward = MemoryRunRecorder()
    AuditRunRecorder(trail, forward).record(_run())
    [entry] = trail.entries()
    assert (entry.actor, entry.action, entry.purpose) == ("ops-bot", JOB_RUN, "billing")
    assert entry.details["job"] == "billing"
    assert entry.details["counts"] == {"subscribers": 40, "lines": 118}
    assert entry.details["run_id"] == "billing-20260302T220000Z-abcd1234"
    assert [r.run_id for r in forward.runs] == [entry.details["run_id"]]
    assert trail.verify().ok


def test_statistics_release_entry(trail: AuditTrail) -> None:
    metadata = {
        "release_id": "flux-2026-03-02-1d-20260303T000000Z",
        "period": {"label": "2026-03-02-1d", "days": 1},
        "privacy": {"epsilon": 1.25, "rho": 0.02, "delta": 1e-9, "k": 20},
        "indicators": {
            "presence": {"rho": 0.015, "epsilon": 1.1, "threshold": 31, "cells": 480},
            "od_trips": {"rho": 0.005, "epsilon": 0.6, "threshold": 44},
        },
    }
    entry = record_release(trail, metadata, {"devices": 900}, actor="trustflux run")
    assert entry.action == STATISTICS_RELEASE and entry.purpose == "mobility_statistics"
    assert entry.details == {
        "release_id": "flux-2026-03-02-1d-20260303T000000Z",
        "period": {"label": "2026-03-02-1d", "days": 1},
        "epsilon": 1.25,
        "rho": 0.02,
        "delta": 1e-9,
        "k": 20,
        "indicators": {
            "od_trips": {"rho": 0.005, "epsilon": 0.6, "threshold": 44},
            "presence": {"rho": 0.015, "epsilon": 1.1, "threshold": 31},
        },
        "counts": {"devices": 900},
    }
    assert trail.verify().ok
