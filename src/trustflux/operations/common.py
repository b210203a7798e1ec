"""What every operations job shares: its time window, its inputs, its scope, its outputs.

A job is: open an engine, read the store's Parquet parts for the window, keep only what the
gate allows (``scope_own`` / ``scope_with_roamers``), compute, write its outputs atomically,
then hand a ``RunRecord`` to the recorder. ``JobRun`` holds that bookkeeping so each job
module is only its domain logic.
"""

from __future__ import annotations

import calendar
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trustflux.config import Settings
from trustflux.engine.session import EngineSession, open_engine
from trustflux.engine.store import Store
from trustflux.errors import ConfigError, OperationsError
from trustflux.operations.records import (
    InputRecord,
    JsonlRunRecorder,
    RunRecord,
    RunRecorder,
    new_run_id,
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("ingest_id", pa.string()),
        ("table_name", pa.string()),
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("record", pa.string()),
    ]
)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end) with a label used in output folder names."""

    start: datetime
    end: datetime
    label: str

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise OperationsError("a window needs time-zone-aware bounds")
        if self.end <= self.start:
            raise OperationsError(f"window {self.label} ends before it starts")

    @classmethod
    def local_days(cls, first: date, days: int, tz: str) -> Window:
        """``days`` local calendar days from ``first`` (DST changes give 23 or 25 h days)."""
        if days < 1:
            raise OperationsError(f"a window has at least one day, got {days}")
        where = zone(tz)
        start = datetime.combine(first, time(0), tzinfo=where).astimezone(UTC)
        end = datetime.combine(first + timedelta(days=days), time(0), tzinfo=where)
        label = first.isoformat() if days == 1 else f"{first.isoformat()}_{days}d"
        return cls(start, end.astimezone(UTC), label)

    @classmethod
    def month(cls, month: str, tz: str) -> Window:
        """A local calendar month, ``YYYY-MM`` (a billing period)."""
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise OperationsError(f"'{month}' is not a month (YYYY-MM)") from None
        days = calendar.monthrange(first.year, first.month)[1]
        window = cls.local_days(first, days, tz)
        return cls(window.start, window.end, month)

    @property
    def utc_days(self) -> list[date]:
        """UTC days touched: the store's event partitions that can hold rows of the window."""
        last = (self.end - timedelta(microseconds=1)).date()
        day, out = self.start.date(), []
        while day <= last:
            out.append(day)
            day += timedelta(days=1)
        return out

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


def store_files(settings: Settings, table: str, days: Sequence[date] | None = None) -> list[Path]:
    """Parquet parts of a store table (only the given day partitions, if any).

    Files are listed, not read through the catalog, so a job never takes the catalog's lock.
    """
    folder = settings.store_dir / table
    files = sorted(folder.rglob("*.parquet")) if folder.exists() else []
    if days is not None:
        wanted = {f"day={d.isoformat()}" for d in days}
        files = [p for p in files if p.parent.name in wanted]
    return files


def require_files(settings: Settings, table: str, days: Sequence[date] | None = None) -> list[Path]:
    files = store_files(settings, table, days)
    if not files:
        when = "" if days is None else f" for {days[0]}..{days[-1]}"
        raise OperationsError(
            f"nothing ingested in {settings.store_dir / table}{when}: run `trustflux ingest DIR`"
        )
    return files


def read_store_table(settings: Settings, table: str, columns: Sequence[str]) -> pa.Table:
    """A small store table (subscribers, cells) read straight into Arrow, typed as stored."""
    files = require_files(settings, table)
    parts = [pq.read_table(f, columns=list(columns)) for f in files]
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


def events_in(session: EngineSession, files: Sequence[Path], window: Window) -> Any:
    """The events of the window (the timestamp test is pushed down to Parquet row groups)."""
    events = session.read_parquet(list(files))
    return events.filter((events.ts >= window.start) & (events.ts < window.end))


def eligible_subscribers(session: EngineSession, subscribers: Any, eligible: pa.Table) -> Any:
    """Subscribers rows of the eligible ids only (a semi-join: eligible adds no columns)."""
    ids = session.table(eligible.select(["subscriber_id"]))
    return subscribers.semi_join(ids, subscribers.subscriber_id == ids.subscriber_id)


def scope_own(events: Any, subscribers: Any) -> Any:
    """Events of the given (already gated) subscribers, with their ``subscriber_id``.

    Inbound roamers and own subscribers the gate left out fall away in the inner join.
    """
    subs = subscribers.select("subscriber_id", s_imsi=subscribers.imsi)
    return events.join(subs, events.imsi == subs.s_imsi).drop("s_imsi")


def scope_with_roamers(events: Any, subscribers: Any, home_plmn: str) -> Any:
    """Events of gated own subscribers plus inbound roamers (IMSI of another network).

    An own IMSI (home PLMN prefix) only passes with an eligible subscriber behind it, so a
    subscriber the gate denies is never read, whatever their IMSI looks like.
    """
    subs = subscribers.select("subscriber_id", s_imsi=subscribers.imsi)
    joined = events.left_join(subs, events.imsi == subs.s_imsi).drop("s_imsi")
    return joined.filter(joined.subscriber_id.notnull() | ~joined.imsi.startswith(home_plmn))


def read_scope_with_roamers(
    job: JobRun, window: Window, eligible: pa.Table, *subscriber_columns: str
) -> tuple[Any, Any, int]:
    """The window's events of gated own subscribers plus inbound roamers (``scope_with_roamers``),
    with the inputs noted on ``job``: (scope, gated subscribers' ``subscriber_columns``, events
    read in the window)."""
    settings, session = job.settings, job.session
    event_files = require_files(settings, "events", window.utc_days)
    subscribers = session.read_parquet(require_files(settings, "subscribers"))
    gated = eligible_subscribers(session, subscribers, eligible).select(*subscriber_columns)
    events = events_in(session, event_files, window)
    events_read = count(session, events)
    job.read("eligible", eligible.num_rows, detail="subscriber ids the gate allows")
    job.read("events", events_read, len(event_files), detail=window.label)
    return scope_with_roamers(events, gated, settings.home_plmn), gated, events_read


def write_table(table: pa.Table, path: Path, *, csv: bool = False) -> list[Path]:
    """Write Parquet (and CSV beside it, if asked); returns the paths written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    written = [path]
    if csv:
        target = path.with_suffix(".csv")
        pacsv.write_csv(table, target)
        written.append(target)
    return written


def replace_folder(target: Path, fill: Callable[[Path], None], run_id: str) -> None:
    """Build a folder under a temporary name and swap it in whole: readers see the old
    outputs or the new ones, never half of each, and nothing of a previous run lingers."""
    staging = target.parent / f".{target.name}.{run_id}.tmp"
    old = target.parent / f".{target.name}.{run_id}.old"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        fill(staging)
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as exc:
        raise OperationsError(f"cannot write outputs to {target}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def quarantine_rows(
    settings: Settings,
    run_id: str,
    table_name: str,
    rows: Sequence[Mapping[str, Any]],
) -> int:
    """Append rows (source_file, source_row, field, reason, record) to the store's quarantine."""
    if not rows:
        return 0
    data = pa.table(
        {
            "ingest_id": [run_id] * len(rows),
            "table_name": [table_name] * len(rows),
            "source_file": [str(r.get("source_file", "")) for r in rows],
            "source_row": pa.array([r.get("source_row") for r in rows], pa.int64()),
            "field": [str(r["field"]) for r in rows],
            "reason": [str(r["reason"]) for r in rows],
            "record": [_record_text(r.get("record")) for r in rows],
        },
        schema=QUARANTINE_SCHEMA,
    )
    with Store(settings) as store:
        return store.quarantine_arrow(data)


def _record_text(record: object) -> str:
    if record is None:
        return ""
    if isinstance(record, str):
        return record
    return json.dumps(record, sort_keys=True, default=str)


@dataclass
class JobRun:
    """Bookkeeping of one run: engine, timing, inputs, counts, outputs, and its record."""

    settings: Settings
    job: str
    purpose: str
    actor: str
    gate_at: datetime | None
    recorder: RunRecorder | None = None
    engine: str | EngineSession | None = None
    """An engine name (opened for the run, closed after), or an open session to reuse: the
    run drops the tables it materialised, but in-memory inputs (eligible ids, the network
    job's pseudonym map) stay registered until the caller closes the session."""
    parameters: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] | None = None
    inputs: list[InputRecord] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.actor.strip():
            raise OperationsError("a run needs an actor (who runs it), for the audit trail")
        if self.clock is None:
            self.clock = lambda: datetime.now(UTC)
        self.started_at = self.clock()
        self.run_id = new_run_id(self.job, self.started_at)
        self._session: EngineSession | None = None

    @property
    def session(self) -> EngineSession:
        if self._session is None:
            if isinstance(self.engine, EngineSession):
                return self.engine
            self._session = open_engine(self.engine or "duckdb", self.settings)
        return self._session

    @property
    def tag(self) -> str:
        """Suffix of the tables this run materialises (dropped after it on a shared session)."""
        return "_" + self.run_id.replace("-", "_")

    def close(self) -> None:
        if isinstance(self.engine, EngineSession):
            self.engine.forget(self.tag)
        if self._session is not None:
            self._session.close()
            self._session = None

    def read(self, name: str, rows: int, files: int = 0, detail: str = "") -> None:
        self.inputs.append(InputRecord(name, int(rows), files, detail))

    def wrote(self, name: str, path: Path) -> None:
        self.outputs[name] = str(path)

    def finish(self) -> RunRecord:
        """Close the engine, build the record and hand it to the recorder."""
        self.close()
        engine = self.engine.name if isinstance(self.engine, EngineSession) else self.engine
        self.parameters.setdefault("engine", engine or "duckdb")
        record = RunRecord(
            run_id=self.run_id,
            job=self.job,
            purpose=self.purpose,
            started_at=self.started_at,
            finished_at=self.clock() if self.clock else datetime.now(UTC),
            actor=self.actor,
            gate_at=self.gate_at,
            inputs=tuple(self.inputs),
            counts=dict(self.counts),
            outputs=dict(self.outputs),
            parameters=dict(self.parameters),
        )
        recorder = self.recorder or default_recorder(self.settings)
        recorder.record(record)
        return record

    def __enter__(self) -> JobRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_recorder(settings: Settings) -> JsonlRunRecorder:
    """``<operations>/runs.jsonl``: the record until the audit trail is wired."""
    return JsonlRunRecorder(settings.ops_dir / "runs.jsonl")


def count(session: EngineSession, expr: Any) -> int:
    """Rows of an expression, as a Python int."""
    return int(expr.count().to_pyarrow().as_py())
