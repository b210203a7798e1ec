"""Operations job runs into the audit trail, through the operations ``RunRecorder`` protocol."""

from __future__ import annotations

from trustflux.audit.trail import AuditTrail
from trustflux.operations.records import RunRecord, RunRecorder

JOB_RUN = "job_run"


class AuditRunRecorder:
    """Writes one ``job_run`` entry per run (purpose, job, counts, actor), then forwards it.

    ``forward`` (for example the JSON-lines recorder) is written after the trail, so a run that
    reached another log is always in the trail too.
    """

    def __init__(self, trail: AuditTrail, forward: RunRecorder | None = None) -> None:
        self.trail = trail
        self.forward = forward

    def record(self, run: RunRecord) -> None:
        details = run.as_dict()
        del details["actor"], details["purpose"]
        self.trail.append(run.actor, JOB_RUN, purpose=run.purpose, details=details)
        if self.forward is not None:
            self.forward.record(run)
