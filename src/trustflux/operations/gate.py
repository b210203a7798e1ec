"""What an operations job may read: the subscribers a purpose allows at run time.

Jobs never decide this themselves. They receive ``eligible`` (one column ``subscriber_id``)
from a ``PurposeGate`` and join their inputs to it. ``trustflux.gate.Gate`` (register +
consent ledger) satisfies the protocol; ``RegisterOnlyGate`` answers from the register alone
so jobs can run before the ledger is wired, and is deliberately strict: no ledger, no consent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from trustflux.config import Settings
from trustflux.errors import GateError
from trustflux.gate.contracts import running_mask
from trustflux.register import LawfulBasis, Register

ELIGIBLE_SCHEMA = pa.schema([pa.field("subscriber_id", pa.string(), nullable=False)])
GATE_COLUMNS = ("subscriber_id", "contract_start", "contract_end")


class PurposeGate(Protocol):
    """Answers, for a whole population at once, who ``purpose`` may process at ``at``."""

    def eligible(self, purpose: str, at: datetime, subscribers: pa.Table) -> pa.Table:
        """The rows of ``subscribers`` (``subscriber_id``, contract dates) that may be read."""
        ...


class RegisterOnlyGate:
    """The register's answer without the ledger.

    * a purpose whose DPIA is not cleared allows nobody;
    * a purpose that needs consent allows nobody (consent lives in the ledger, absent here);
    * any other purpose (contract, legitimate interests, ...) allows every subscriber whose
      contract runs on the UTC day of ``at``. Objections are not known here either: wire the
      real gate before processing people who may have objected.
    """

    def __init__(self, register: Register) -> None:
        self.register = register

    def eligible(self, purpose: str, at: datetime, subscribers: pa.Table) -> pa.Table:
        if at.tzinfo is None or at.utcoffset() is None:
            raise GateError(f"time {at.isoformat()} has no time zone")
        if not self.register.dpia_cleared(purpose) or self.register.requires_consent(purpose):
            return subscribers.slice(0, 0)
        basis = self.register.lawful_basis(purpose)
        if basis is LawfulBasis.CONSENT:
            return subscribers.slice(0, 0)
        return subscribers.filter(_running(subscribers, at))


def _running(table: pa.Table, at: datetime) -> pa.ChunkedArray:
    missing = [c for c in GATE_COLUMNS if c not in table.column_names]
    if missing:
        raise GateError(f"the subscribers table needs columns {', '.join(missing)}")
    return running_mask(table, at.astimezone(UTC).date())


def gate_subscribers(settings: Settings) -> pa.Table:
    """The store's subscribers as the gate wants them: id and contract dates only."""
    from trustflux.operations.common import read_store_table

    return read_store_table(settings, "subscribers", GATE_COLUMNS).sort_by("subscriber_id")


def eligible_ids(table: pa.Table) -> pa.Table:
    """A gate answer reduced to what jobs take: distinct ``subscriber_id``, as text."""
    if "subscriber_id" not in table.column_names:
        raise GateError("the gate's answer has no subscriber_id column")
    ids = pc.unique(table.column("subscriber_id").cast(pa.string()).drop_null())
    return pa.table({"subscriber_id": ids}, schema=ELIGIBLE_SCHEMA)


def ask_gate(gate: PurposeGate, purpose: str, at: datetime, settings: Settings) -> pa.Table:
    """Eligible subscriber ids for ``purpose`` at ``at``, over every subscriber in the store."""
    return eligible_ids(gate.eligible(purpose, at, gate_subscribers(settings)))
