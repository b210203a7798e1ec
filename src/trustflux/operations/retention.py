"""Retention: delete what has outlived the register's retention period, and say what stayed.

Every period comes from the register (never from this file), counted from the end of the
period the data describes (a window folder's last day, a billing month, a day partition):

* billing (``<operations>/billing/YYYY-MM``): the invoice lines (usage behind a bill) go one
  ``billing`` retention (P1Y, the time to dispute a bill) after the end of the month; the
  invoices and ``reconciliation.json`` (totals only) are accounting records kept under the
  billing exception whose ``keeps`` names ``billing_invoices`` (P10Y), then the folder goes;
* fraud (``<operations>/fraud/<window>``): alerts go after ``fraud_detection`` (P6M). Its
  exception (confirmed fraud files, P5Y) covers case files kept elsewhere once an analyst
  confirms an alert; the job's alerts are suspicions awaiting review, so it does not apply;
* diagnostics (``<operations>/diagnostics/<window>``): findings go after
  ``gateway_diagnostics`` (P30D). The exception (measurements attached to a ticket, P1Y,
  keeps ``tickets``) covers the ticket records, not the batch findings;
* offers (``<operations>/offers/pending.parquet``): pending offers created more than
  ``targeted_offers`` (P12M) ago are dropped row by row (a new run replaces the file anyway);
* network (``<operations>/network``): kept. The outputs are per-cell aggregates keyed by
  no IMSI or subscriber (exact load per cell-hour, device counts under differential privacy
  with small counts withheld): the "per-antenna totals" the register keeps after P3M. The
  privacy budget (``budget.json``) must outlive them, or spent budget could be spent again;
* store day partitions: ``events`` go after the longest retention of the purposes that read
  them (billing P1Y, counted from the end of the billing month the day belongs to, since the
  events are the usage behind that bill); ``telemetry`` (store and MQTT receiver) after
  ``gateway_diagnostics`` (P30D). The ticket exception does not reach raw telemetry: a day
  partition mixes every gateway, and keeping all of them a year for a few tickets would keep
  everyone's measurements; an agent's view is recorded in the audit trail with its ticket.

The ingestion catalog keeps the hashes of files already ingested, so an expired input file
dropped into the inbox again is recognised as a duplicate and not brought back.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustflux.config import Settings
from trustflux.errors import OperationsError
from trustflux.operations.common import zone
from trustflux.register import KeptStore, Register
from trustflux.register.duration import Duration

if TYPE_CHECKING:
    from trustflux.audit.trail import AuditTrail

ACTION = "retention.applied"
EVENT_READERS = (
    "billing",
    "fraud_detection",
    "network_optimisation",
    "targeted_offers",
    "mobility_statistics",
)
TELEMETRY_READERS = ("gateway_diagnostics",)
_MONTH = re.compile(r"^(\d{4}-\d{2})$")
_WINDOW = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:_(\d+)d)?$")
_DAY = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")


@dataclass
class TargetReport:
    """What one rule did to one place: removed and kept entries, files and rows removed."""

    target: str
    path: str
    rule: str
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    files: int = 0
    rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "path": self.path,
            "rule": self.rule,
            "removed": list(self.removed),
            "kept": list(self.kept),
            "files": self.files,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class RetentionReport:
    """The whole pass: one entry per target, at ``now``; ``dry_run`` removed nothing."""

    now: datetime
    dry_run: bool
    targets: tuple[TargetReport, ...]

    def totals(self) -> dict[str, int]:
        return {
            "removed": sum(len(t.removed) for t in self.targets),
            "kept": sum(len(t.kept) for t in self.targets),
            "files": sum(t.files for t in self.targets),
            "rows": sum(t.rows for t in self.targets),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "totals": self.totals(),
            "targets": [t.as_dict() for t in self.targets],
        }


def apply_retention(
    settings: Settings,
    register: Register,
    *,
    now: datetime,
    dry_run: bool = False,
    trail: AuditTrail | None = None,
    actor: str = "retention",
) -> RetentionReport:
    """Delete what has outlived its retention at ``now`` (nothing if ``dry_run``).

    With a ``trail``, a pass that removed or could remove something is recorded as one
    "retention.applied" entry with the counts (a dry run is not recorded: nothing happened).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise OperationsError(f"retention time {now.isoformat()} has no time zone")
    now = now.astimezone(UTC)
    tz = settings.local_timezone
    ops, store = settings.ops_dir, settings.store_dir
    billing = register.retention("billing")
    invoices = _exception_period(register, "billing", KeptStore.BILLING_INVOICES)
    events_period, events_by = _longest(register, EVENT_READERS)
    telemetry_period, telemetry_by = _longest(register, TELEMETRY_READERS)
    targets = (
        _billing_lines(ops / "billing", billing, tz, now, dry_run),
        _windows(
            "billing invoices",
            ops / "billing",
            invoices,
            f"billing exception ({KeptStore.BILLING_INVOICES.value}): {invoices} after the month",
            tz,
            now,
            dry_run,
            months=True,
        ),
        _windows(
            "fraud alerts",
            ops / "fraud",
            register.retention("fraud_detection"),
            f"fraud_detection: {register.retention('fraud_detection')} after the window",
            tz,
            now,
            dry_run,
        ),
        _windows(
            "diagnostics findings",
            ops / "diagnostics",
            register.retention("gateway_diagnostics"),
            f"gateway_diagnostics: {register.retention('gateway_diagnostics')} after the window",
            tz,
            now,
            dry_run,
        ),
        _offers(ops / "offers", register.retention("targeted_offers"), now, dry_run),
        _network(ops / "network"),
        _partitions(
            "store events",
            store / "events",
            events_period,
            f"{events_by}: {events_period} after the billing month of the day",
            lambda day: _month_end(day, tz),
            now,
            dry_run,
        ),
        *(
            _partitions(
                name,
                folder,
                telemetry_period,
                f"{telemetry_by}: {telemetry_period} after the day",
                lambda day: datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC),
                now,
                dry_run,
            )
            for name, folder in (
                ("store telemetry", store / "telemetry"),
                ("received telemetry", ops / "telemetry"),
            )
        ),
    )
    report = RetentionReport(now, dry_run, targets)
    if trail is not None and not dry_run:
        trail.append(
            actor,
            ACTION,
            details={
                "now": now.isoformat(),
                **report.totals(),
                "targets": {
                    t.target: {
                        "removed": len(t.removed),
                        "kept": len(t.kept),
                        "files": t.files,
                        "rows": t.rows,
                        "rule": t.rule,
                    }
                    for t in targets
                },
            },
            at=now,
        )
    return report


# -- rules -----------------------------------------------------------------------------------
def _longest(register: Register, purposes: Sequence[str]) -> tuple[Duration, str]:
    """The longest retention among the purposes that read a table, and which one it is."""
    declared = [p for p in purposes if p in register.purpose_ids]
    if not declared:
        raise OperationsError(f"none of {', '.join(purposes)} is declared in the register")
    best = max(declared, key=lambda p: register.retention(p).nominal_days)
    return register.retention(best), best


def _exception_period(register: Register, purpose: str, store: KeptStore) -> Duration:
    for exception in register.purpose(purpose).retention.exceptions:
        if store in exception.keeps:
            return exception.period
    return register.retention(purpose)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_end(day: date, tz: str) -> datetime:
    """End of the local billing month holding the last instant of the UTC ``day``."""
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    local = (last - timedelta(microseconds=1)).astimezone(zone(tz)).date()
    return datetime.combine(_next_month(local), time(0), tzinfo=zone(tz))


def _window_end(name: str, tz: str, months: bool) -> datetime | None:
    """End of the period a folder is named after (None: not a period name)."""
    try:
        if months:
            month = _MONTH.match(name)
            if month is None:
                return None
            first_next = _next_month(date.fromisoformat(f"{month.group(1)}-01"))
            return datetime.combine(first_next, time(0), tzinfo=zone(tz))
        match = _WINDOW.match(name)
        if match is None:
            return None
        first = date.fromisoformat(match.group(1))
        days = int(match.group(2) or 1)
    except ValueError:
        return None
    return datetime.combine(first + timedelta(days=days), time(0), tzinfo=zone(tz))


def _expired(end: datetime, period: Duration, now: datetime) -> bool:
    return period.after(end.astimezone(UTC)) <= now


# -- targets ---------------------------------------------------------------------------------
def _entries(folder: Path) -> list[Path]:
    """Folders and files of ``folder``, hidden staging names left alone."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _billing_lines(
    folder: Path, period: Duration, tz: str, now: datetime, dry_run: bool
) -> TargetReport:
    report = TargetReport(
        "billing invoice lines", str(folder), f"billing: {period} after the month"
    )
    for month in _entries(folder):
        end = _window_end(month.name, tz, months=True) if month.is_dir() else None
        lines = sorted(month.glob("invoice_lines.*")) if month.is_dir() else []
        if end is None or not lines:
            continue
        if _expired(end, period, now):
            report.removed.append(month.name)
            _remove(report, lines, dry_run)
        else:
            report.kept.append(month.name)
    return report


def _windows(
    target: str,
    folder: Path,
    period: Duration,
    rule: str,
    tz: str,
    now: datetime,
    dry_run: bool,
    *,
    months: bool = False,
) -> TargetReport:
    """Whole folders named by their period (``Window.label``, billing months)."""
    report = TargetReport(target, str(folder), rule)
    for entry in _entries(folder):
        end = _window_end(entry.name, tz, months) if entry.is_dir() else None
        if end is None:
            continue  # budget.json, runs.jsonl, a folder named otherwise: not a period
        if _expired(end, period, now):
            report.removed.append(entry.name)
            _remove(report, [entry], dry_run)
        else:
            report.kept.append(entry.name)
    return report


def _partitions(
    target: str,
    folder: Path,
    period: Duration,
    rule: str,
    end_of: Callable[[date], datetime],
    now: datetime,
    dry_run: bool,
) -> TargetReport:
    """Day partitions ``day=YYYY-MM-DD`` of a store table."""
    report = TargetReport(target, str(folder), rule)
    for entry in _entries(folder):
        match = _DAY.match(entry.name)
        if match is None or not entry.is_dir():
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if _expired(end_of(day), period, now):
            report.removed.append(entry.name)
            _remove(report, [entry], dry_run)
        else:
            report.kept.append(entry.name)
    return report


def _offers(folder: Path, period: Duration, now: datetime, dry_run: bool) -> TargetReport:
    """Pending offers older than the retention, dropped row by row under the offers lock."""
    from trustflux.operations import offers

    report = TargetReport(
        "pending offers",
        str(folder / "pending.parquet"),
        f"targeted_offers: {period} after the offer was made",
    )
    path = folder / "pending.parquet"
    if not path.exists():
        return report
    cutoff = period.before(now)
    with nullcontext() if dry_run else offers.pending_lock(folder):
        table = pq.read_table(path)
        old = pc.fill_null(pc.less(table.column("created_at"), cutoff), False)
        stale = int(pc.sum(old).as_py() or 0)
        report.rows = stale
        if stale:
            report.removed.append(f"{stale} offer(s) made before {cutoff.isoformat()}")
            if not dry_run:
                offers.write_pending(folder, table.filter(pc.invert(old)), "retention")
        if table.num_rows - stale:
            report.kept.append(f"{table.num_rows - stale} offer(s)")
    return report


def _network(folder: Path) -> TargetReport:
    report = TargetReport(
        "network aggregates",
        str(folder),
        "kept: per-cell aggregates keyed by no person (register: per-antenna totals are kept)",
    )
    report.kept.extend(p.name for p in _entries(folder))
    return report


def _remove(report: TargetReport, paths: Iterable[Path], dry_run: bool) -> None:
    """Count files and Parquet rows under ``paths``, then delete them (unless a dry run)."""
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if not file.is_file():
                continue
            report.files += 1
            if file.suffix == ".parquet":
                # an unreadable part is still removed; its rows are not counted
                with suppress(OSError, ValueError):
                    report.rows += pq.read_metadata(file).num_rows
        if dry_run:
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            raise OperationsError(f"cannot delete {path}: {exc}") from exc
