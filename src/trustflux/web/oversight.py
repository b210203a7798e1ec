"""What the DPO workspace reads from the relational store: consent rates, job runs, releases.

Plain queries over tables the ledger, the gate and the audit trail already keep: one
group-by for the consent rates, one page of audit entries per call (never the whole trail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, or_, select

from trustflux.audit import JOB_RUN, STATISTICS_RELEASE
from trustflux.audit.entry import Entry
from trustflux.audit.trail import entry_of_row
from trustflux.db.engine import read_only
from trustflux.db.tables import audit_entries, ledger_state, subscribers
from trustflux.gate.governance import (
    CLEARED,
    dpia_history,
    dpia_statuses,
    record_dpia_decision,
)
from trustflux.ledger.model import Event, SubjectKind
from trustflux.register import DpiaStatus

if TYPE_CHECKING:
    from trustflux.web.i18n import Translator
    from trustflux.web.services import Services

PAGE_SIZE = 25
STEP_NAMES = frozenset({"verify", "start", "execute", "extend", "refuse"})
EVENTS = tuple(e.value for e in Event)


@dataclass(frozen=True)
class ConsentRate:
    """The latest choice of every subscriber for one purpose, counted per event."""

    purpose: str
    counts: Mapping[str, int]
    subscribers: int

    def rate(self, event: str) -> float | None:
        """Share of synced subscribers whose latest event is ``event`` (None without any)."""
        if self.subscribers == 0:
            return None
        return self.counts.get(event, 0) / self.subscribers

    @property
    def without_choice(self) -> int:
        return max(0, self.subscribers - sum(self.counts.values()))


def consent_rates(engine: Engine, purposes: tuple[str, ...], today: date) -> list[ConsentRate]:
    """Counts per purpose and latest event over subscribers (one group-by), in register order.

    The denominator is the subscribers whose contract runs ``today`` (synced for the gate).
    """
    grouped = (
        select(ledger_state.c.purpose, ledger_state.c.event, func.count().label("n"))
        .where(ledger_state.c.subject_kind == SubjectKind.SUBSCRIBER.value)
        .group_by(ledger_state.c.purpose, ledger_state.c.event)
    )
    running = (
        select(func.count())
        .select_from(subscribers)
        .where(subscribers.c.contract_start <= today)
        .where(or_(subscribers.c.contract_end.is_(None), subscribers.c.contract_end >= today))
    )
    with read_only(engine).connect() as conn:
        rows = conn.execute(grouped).all()
        total = int(conn.execute(running).scalar_one())
    counts: dict[str, dict[str, int]] = {p: {} for p in purposes}
    for row in rows:
        counts.setdefault(row.purpose, {})[row.event] = int(row.n)
    return [ConsentRate(p, counts[p], total) for p in counts]


@dataclass(frozen=True)
class EntryPage:
    """One page of audit entries, newest first."""

    entries: list[Entry]
    page: int
    pages: int
    total: int
    numbers: list[int] = field(default_factory=list)


def audit_page(engine: Engine, action: str, page: int, size: int = PAGE_SIZE) -> EntryPage:
    """Entries with ``action``, newest first, page ``page`` (from 1) of ``size``."""
    condition = audit_entries.c.action == action
    with read_only(engine).connect() as conn:
        total = int(
            conn.execute(
                select(func.count()).select_from(audit_entries).where(condition)
            ).scalar_one()
        )
        pages = max(1, -(-total // size))
        page = min(max(1, page), pages)
        rows = conn.execute(
            select(audit_entries)
            .where(condition)
            .order_by(audit_entries.c.seq.desc())
            .limit(size)
            .offset((page - 1) * size)
        ).all()
    entries = [entry_of_row(row) for row in rows]
    return EntryPage(entries, page, pages, total, list(range(1, pages + 1)))


def job_runs(engine: Engine, page: int) -> EntryPage:
    return audit_page(engine, JOB_RUN, page)


def releases(engine: Engine, page: int) -> EntryPage:
    return audit_page(engine, STATISTICS_RELEASE, page)


def entries_for_subject(engine: Engine, subject: str, key: str, value: str) -> list[Entry]:
    """Entries about ``subject`` whose details carry ``key == value``, oldest first."""
    with read_only(engine).connect() as conn:
        rows = conn.execute(
            select(audit_entries)
            .where(audit_entries.c.subject == subject)
            .order_by(audit_entries.c.seq)
        ).all()
    return [e for e in map(entry_of_row, rows) if str(e.details.get(key)) == value]


# -- the Art. 30 register and the DPIA decisions ---------------------------------------------
def decide_dpia(services: Services, purpose_id: str, status: str, *, actor: str, note: str) -> None:
    """Record the DPO's decision (the gate follows the latest one)."""
    record_dpia_decision(
        services.engine,
        services.register,
        purpose_id,
        DpiaStatus(status),
        actor=actor,
        note=note,
        at=services.clock(),
    )


def register_rows(services: Services, t: Translator) -> list[dict[str, Any]]:
    """One row per purpose: basis, retention, recipients, the DPIA status the gate applies now
    (the DPO's latest decision, else the register's YAML) and the decisions, newest first."""
    now = services.clock()
    statuses = dpia_statuses(services.engine, services.register, at=now)
    rows = []
    for purpose in services.register.purposes:
        history = list(reversed(dpia_history(services.engine, purpose.id)))
        status = statuses[purpose.id]
        rows.append(
            {
                "purpose": purpose,
                "name": purpose.name.get(t.lang),
                "basis": t(f"basis.{purpose.lawful_basis.value}"),
                "article": purpose.lawful_basis.article,
                "retention": t.duration(purpose.retention.period),
                "exceptions": [
                    {"what": e.what.get(t.lang), "label": t.duration(e.period)}
                    for e in purpose.retention.exceptions
                ],
                "recipients": [r.name for r in purpose.recipients],
                "reference": purpose.dpia.reference,
                "status": status.value,
                "source": "decision" if any(d.decided_at <= now for d in history) else "register",
                "cleared": status in CLEARED,
                "needs_dpia": purpose.dpia.status is not DpiaStatus.NOT_REQUIRED,
                "history": [
                    {
                        "at": d.decided_at,
                        "status": d.status.value,
                        "actor": d.decided_by,
                        "note": d.note,
                    }
                    for d in history
                ],
            }
        )
    return rows


# -- statistics releases ---------------------------------------------------------------------
def release_budget(entry: Entry) -> list[dict[str, Any]]:
    """The privacy loss a release's audit entry states: total and per indicator if given."""
    details = entry.details
    found: list[dict[str, Any]] = []
    indicators = details.get("indicators")
    if isinstance(indicators, Mapping):
        for name, value in indicators.items():
            if isinstance(value, Mapping):
                found.append(
                    {"name": str(name), "rho": value.get("rho"), "epsilon": value.get("epsilon")}
                )
    privacy = details.get("privacy")
    source: Mapping[str, Any] = privacy if isinstance(privacy, Mapping) else details
    if source.get("rho") is not None or source.get("epsilon") is not None:
        found.append({"name": None, "rho": source.get("rho"), "epsilon": source.get("epsilon")})
    return found
