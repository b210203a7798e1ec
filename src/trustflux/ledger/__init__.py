"""Consent and objection ledger (ISO/IEC TS 27560 records): append-only history, state, receipts.

```python
ledger = Ledger(engine, register)
ledger.append(Choice("S000000001", "targeted_offers", Event.GIVEN, Method.ACCOUNT_AREA))
ledger.state_at("S000000001", "targeted_offers", at)   # Record | None
ledger.history("S000000001")                            # [Record, ...] oldest first
```
"""

from trustflux.ledger.ledger import Ledger, Outcome
from trustflux.ledger.model import (
    LANGUAGES,
    VISITOR_PREFIX,
    Choice,
    Event,
    Language,
    Method,
    Record,
    SubjectKind,
    subject_kind,
    utc_now,
)
from trustflux.ledger.notices import Notice, notice_text, text_hash
from trustflux.ledger.receipts import build_receipt

__all__ = [
    "LANGUAGES",
    "VISITOR_PREFIX",
    "Choice",
    "Event",
    "Language",
    "Ledger",
    "Method",
    "Notice",
    "Outcome",
    "Record",
    "SubjectKind",
    "build_receipt",
    "notice_text",
    "subject_kind",
    "text_hash",
    "utc_now",
]
