"""The policy gate: every processing job asks it before reading personal data for a purpose.

```python
gate = Gate(engine, register)
gate.decide("S000000001", "targeted_offers", at)      # Decision(allow, code, reason, ...)
gate.eligible("targeted_offers", at, subscribers)     # Arrow rows that may be processed
gate.excluded("mobility_statistics", at, subscribers) # Arrow subscriber_id of those left out
snapshot = gate.snapshot(["fraud_detection"])         # in memory, for record-by-record jobs
```

Governance (``trustflux.gate.governance``): the DPO's DPIA decisions override the register's
DPIA status from the time they are taken; a restriction of processing (GDPR Art. 18) denies
every purpose for the person except ``privacy_compliance`` while it is open.
"""

from trustflux.gate.contracts import SUBSCRIBER_SCHEMA, subscribers_arrow, sync_subscribers
from trustflux.gate.gate import Gate, GateSnapshot, Query
from trustflux.gate.governance import (
    DpiaDecision,
    Restriction,
    dpia_history,
    dpia_statuses,
    lift_restriction,
    record_dpia_decision,
    restrict,
    restricted_at,
)
from trustflux.gate.rules import Contract, Decision, PurposeRule, purpose_rules

__all__ = [
    "SUBSCRIBER_SCHEMA",
    "Contract",
    "Decision",
    "DpiaDecision",
    "Gate",
    "GateSnapshot",
    "PurposeRule",
    "Query",
    "Restriction",
    "dpia_history",
    "dpia_statuses",
    "lift_restriction",
    "purpose_rules",
    "record_dpia_decision",
    "restrict",
    "restricted_at",
    "subscribers_arrow",
    "sync_subscribers",
]
