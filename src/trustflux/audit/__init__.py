"""The audit trail: a hash-chained record of every access, decision, job run and release."""

from trustflux.audit.entry import GENESIS, Entry
from trustflux.audit.recorder import JOB_RUN, AuditRunRecorder
from trustflux.audit.releases import STATISTICS_RELEASE, audit_release, record_release
from trustflux.audit.trail import AuditTrail, Problem, VerifyReport

__all__ = [
    "GENESIS",
    "JOB_RUN",
    "STATISTICS_RELEASE",
    "AuditRunRecorder",
    "AuditTrail",
    "Entry",
    "Problem",
    "VerifyReport",
    "audit_release",
    "record_release",
]
