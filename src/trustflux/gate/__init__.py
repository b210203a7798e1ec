"""The policy gate: every processing job asks it before reading personal data for a purpose.

```python
gate = Gate(engine, register)
gate.decide("S000000001", "targeted_offers", at)      # Decision(allow, code, reason, ...)
gate.eligible("targeted_offers", at, subscribers)     # Arrow rows that may be processed
gate.excluded("mobility_statistics", at, subscribers) # Arrow subscriber_id of those left out
snapshot = gate.snapshot(["fraud_detection"])         # in memory, for record-by-record jobs
```
"""

from trustflux.gate.contracts import SUBSCRIBER_SCHEMA, subscribers_arrow, sync_subscribers
from trustflux.gate.gate import Gate, GateSnapshot, Query
from trustflux.gate.rules import Contract, Decision, PurposeRule, purpose_rules

__all__ = [
    "SUBSCRIBER_SCHEMA",
    "Contract",
    "Decision",
    "Gate",
    "GateSnapshot",
    "PurposeRule",
    "Query",
    "purpose_rules",
    "subscribers_arrow",
    "sync_subscribers",
]
