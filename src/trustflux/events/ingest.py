"""Ingestion: validate every row, publish the accepted ones, quarantine the rest with a reason.

For each table, in reference order (zones, cells, subscribers, events, telemetry):
read = accepted + quarantined + duplicates, always. A duplicate is a row identical to one
already stored, to one earlier in the same input, or in a file already ingested; a row whose
key is already stored with other values is quarantined as a conflict.
"""

from __future__ import annotations

import functools
import operator
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from trustflux.config import Settings
from trustflux.console import NullReporter, Reporter
from trustflux.engine.store import Store, new_ingest_id
from trustflux.errors import StoreError
from trustflux.events import rules as R
from trustflux.events.schemas import TABLES, TableSpec
from trustflux.events.sources import InputFile, MalformedLine, RawInput, discover, read_raw
from trustflux.rights import tombstones


@dataclass
class TableCounts:
    """What happened to the rows of one table in one ingest."""

    table: str
    files: int = 0
    files_already_ingested: int = 0
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.read == self.accepted + self.quarantined + self.duplicates


@dataclass
class IngestReport:
    """Counts per table for one ``trustflux ingest`` run."""

    ingest_id: str
    source: Path
    tables: list[TableCounts] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(int(getattr(t, attr)) for t in self.tables)


def ingest_directory(
    settings: Settings,
    directory: Path,
    *,
    reporter: Reporter | None = None,
    now: datetime | None = None,
) -> IngestReport:
    """Ingest every table found in ``directory`` into the store under ``settings.home``."""
    reporter = reporter or NullReporter()
    now = now or datetime.now(UTC)
    found = discover(directory)
    window = R.TimeWindow(settings.earliest_event, now + timedelta(days=1))
    report = IngestReport(new_ingest_id(), directory)
    with Store(settings) as store:
        for name, files in found.items():
            with reporter.task(f"ingest {name} ({len(files)} file(s))", total=None):
                counts = _ingest_table(store, TABLES[name], files, report.ingest_id, window)
            if not counts.reconciles:
                raise StoreError(
                    f"ingest {report.ingest_id}: counts of {name} do not reconcile: read "
                    f"{counts.read} != accepted {counts.accepted} + quarantined "
                    f"{counts.quarantined} + duplicates {counts.duplicates}"
                )
            report.tables.append(counts)
    return report


def _ingest_table(
    store: Store, spec: TableSpec, files: list[InputFile], ingest_id: str, window: R.TimeWindow
) -> TableCounts:
    started_wall = datetime.now(UTC)
    started = time.perf_counter()
    counts = TableCounts(spec.name, files=len(files))
    fresh: list[InputFile] = []
    digests: dict[Path, str] = {}
    for f in files:
        digest = f.sha256()
        digests[f.path] = digest
        known = store.known_file(spec.name, digest)
        if known is None:
            fresh.append(f)
        else:
            counts.files_already_ingested += 1
            counts.read += known.rows
            counts.duplicates += known.rows
    staging = store.settings.home / "tmp" / f"csv-{ingest_id}-{spec.name}"
    try:
        raw = read_raw(store.con, spec, fresh, staging)
        counts.read += raw.rows + len(raw.malformed)
        if raw.malformed:
            counts.quarantined += _quarantine_malformed(store, spec, raw.malformed, ingest_id)
            for m in raw.malformed:
                counts.reasons[m.reason] = counts.reasons.get(m.reason, 0) + 1
        if raw.table is not None:
            _classify_and_store(store, spec, raw.table, ingest_id, window, counts)
        store.remember_files(
            spec.name, [(str(f.path), digests[f.path], _rows_of(f, raw)) for f in fresh], ingest_id
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts.seconds = time.perf_counter() - started
    store.log_ingest(
        ingest_id,
        spec.name,
        started_wall,
        counts.files,
        counts.read,
        counts.accepted,
        counts.quarantined,
        counts.duplicates,
    )
    return counts


def _rows_of(f: InputFile, raw: RawInput) -> int:
    """Rows a file contributed (data rows plus malformed lines), remembered for re-runs."""
    bad = sum(1 for m in raw.malformed if m.path == f.path)
    return raw.rows_per_file.get(f.path, 0) + bad


def _quarantine_malformed(
    store: Store, spec: TableSpec, lines: list[MalformedLine], ingest_id: str
) -> int:
    erased = _names_erased(store, [m.text for m in lines])
    rows = pa.table(
        {
            "ingest_id": [ingest_id] * len(lines),
            "table_name": [spec.name] * len(lines),
            "source_file": [str(m.path) for m in lines],
            "source_row": pa.array([m.row for m in lines], pa.int64()),
            "field": ["(line)"] * len(lines),
            "reason": [m.reason for m in lines],
            "record": [
                tombstones.ERASED_RECORD if hit else m.text
                for m, hit in zip(lines, erased, strict=True)
            ],
        }
    )
    return store.quarantine_arrow(rows)


_TOKEN = re.compile(r"[A-Za-z0-9_.:+-]+")


def _names_erased(store: Store, texts: list[str]) -> list[bool]:
    """Whether each text (a line too malformed to split into columns) names an erased
    subscriber by any identifier: such a line is not kept in the quarantine either."""
    if not texts or not tombstones.has_markers(store.raw):
        return [False] * len(texts)
    key = tombstones.require_key(store.settings)
    digests = {
        str(d) for (d,) in store.raw.execute("SELECT digest FROM erasure_markers").fetchall()
    }
    hashed: dict[str, bool] = {}

    def names(text: str) -> bool:
        for token in _TOKEN.findall(text):
            for value in {token, token.lstrip("+")}:
                if value not in hashed:
                    hashed[value] = tombstones.digest(key, value) in digests
                if hashed[value]:
                    return True
        return False

    return [names(t) for t in texts]


def _classify_and_store(
    store: Store,
    spec: TableSpec,
    raw: Any,
    ingest_id: str,
    window: R.TimeWindow,
    counts: TableCounts,
) -> None:
    con = store.con
    refs = R.References(store.read("zones"), store.read("cells"), store.read("subscribers"))
    typed = R.add_typed_columns(raw, spec)
    refused = R.erasure_rules(typed, _erased_values(store, spec, raw))
    problem = R.first_failure(
        refused + R.column_rules(typed, spec) + R.table_rules(typed, spec, refs, window)
    )
    numbers = _erased_numbers(store, spec, raw)
    fields = {c: typed[c].cast("string") for c in spec.column_names}
    if numbers is not None:  # other people's rows: the erased number is masked there too
        fields[numbers[0]] = _masked(fields[numbers[0]], numbers[1])
    record = ibis.struct(fields).cast("json").cast("string")
    if refused:  # an erased subscriber's row is refused, and not kept in the quarantine either
        hit = functools.reduce(operator.or_, [r.fails for r in refused])
        record = ibis.ifelse(hit, ibis.literal(tombstones.ERASED_RECORD), record)
    checked = typed.mutate(_problem=problem)
    invalid = checked.filter(checked._problem.notnull()).select(
        "_file", "_row", "_problem", _record=record
    )
    # One validating pass keeps only the rejected rows (usually few); valid rows are then the
    # input minus those (file, row) pairs, so the big side is never materialised.
    tmp_invalid = f"_invalid_{ingest_id}_{spec.name}"
    con.create_table(tmp_invalid, invalid, temp=True)
    try:
        invalid = con.table(tmp_invalid)
        n_invalid = _quarantine_invalid(store, spec, invalid, ingest_id, counts)
        kept = typed.anti_join(invalid, ["_file", "_row"]) if n_invalid else typed
        valid = kept.select(
            *[kept[R.typed_name(c)].name(c) for c in spec.column_names], "_file", "_row"
        )
        if numbers is not None:
            column, erased = numbers
            valid = valid.mutate(**{column: _masked(valid[column], erased)})
        if set(spec.key) == set(spec.column_names):
            _store_new_rows(store, spec, valid, ingest_id, counts)
        else:
            resolved = _resolve_duplicates(store, spec, valid)
            tmp_resolved = f"_resolved_{ingest_id}_{spec.name}"
            con.create_table(tmp_resolved, resolved, temp=True)
            try:
                _store_resolved(store, spec, con.table(tmp_resolved), ingest_id, counts)
            finally:
                con.drop_table(tmp_resolved, force=True)
    finally:
        con.drop_table(tmp_invalid, force=True)


def _erased_values(store: Store, spec: TableSpec, raw: Any) -> dict[str, dict[str, str]]:
    """Values in this input naming an erased subscriber, per column, with the reason.

    Costs nothing until someone is erased; then one pass over the identifier columns hashes
    their distinct values in SQL (see ``rights.tombstones``).
    """
    columns = R.ERASURE_COLUMNS.get(spec.name, ())
    if not columns or not tombstones.has_markers(store.raw):
        return {}
    key = tombstones.require_key(store.settings)
    sql = store.con.compile(raw.select(*columns))
    found: dict[str, dict[str, str]] = {}
    for column in columns:
        erased = tombstones.erased_values(store.raw, key, sql, column, [column])
        if erased:
            found[column] = {v: tombstones.erasure_reason(at) for v, at in erased.items()}
    return found


def _erased_numbers(store: Store, spec: TableSpec, raw: Any) -> tuple[str, list[str]] | None:
    """The column of other people's rows that may hold an erased subscriber's number, and the
    erased numbers this input holds there (None when there are none).

    Those rows are theirs, the number is not: it keeps all but its last digits, as the
    erasure itself left the stored rows, in the store and in the quarantine alike.
    """
    column = R.MASKED_ON_ERASURE.get(spec.name)
    if column is None or not tombstones.has_markers(store.raw):
        return None
    key = tombstones.require_key(store.settings)
    sql = store.con.compile(raw.select(column))
    erased = tombstones.erased_values(store.raw, key, sql, column, ["msisdn"])
    return (column, sorted(erased)) if erased else None


def _masked(value: Any, erased: list[str]) -> Any:
    """``value`` without its last digits where it is one of the ``erased`` numbers."""
    masked = value.substr(0, value.length() - tombstones.MASKED_DIGITS)
    return value.isin(erased).ifelse(masked, value)


def _touched_days(spec: TableSpec, rows: Any) -> list[Any] | None:
    """Days a day-partitioned input touches (None for tables without days)."""
    if spec.day_column is None:
        return None
    days = rows.select(day=rows[spec.day_column].date()).distinct().to_pyarrow()
    return list(days.column("day").to_pylist())


def _store_new_rows(
    store: Store, spec: TableSpec, valid: Any, ingest_id: str, counts: TableCounts
) -> None:
    """Tables whose key is the whole row: a set difference with the store does it all.

    EXCEPT removes repeats within the input and rows already stored (comparing NULLs as
    equal), which is far cheaper than ranking every row.
    """
    cols = list(spec.column_names)
    n_valid = counts.read - counts.duplicates - counts.quarantined
    rows = valid.select(*cols)
    stored = store.read(spec.name, days=_touched_days(spec, valid))
    fresh = rows.distinct() if stored is None else rows.difference(stored.select(*cols))
    accepted = store.publish(fresh, spec, ingest_id) if n_valid else 0
    counts.accepted += accepted
    counts.duplicates += n_valid - accepted


def _resolve_duplicates(store: Store, spec: TableSpec, valid: Any) -> Any:
    """Mark each valid row ``accepted``, ``duplicate`` or ``conflict``.

    Rows are ranked within their key, stored rows first, then by file and row; the first is
    the reference. A later row equal in every column is a duplicate, one that differs is a
    conflict. Only the days this input touches are read from the store.
    """
    cols = list(spec.column_names)
    fingerprint = ibis.struct({c: valid[c] for c in cols}).hash()
    batch = valid.mutate(_origin=ibis.literal(1), _fp=fingerprint)
    stored = store.read(spec.name, days=_touched_days(spec, valid))
    if stored is not None:
        stored = stored.mutate(
            _file=ibis.null("string"),
            _row=ibis.null("int64"),
            _origin=ibis.literal(0),
        )
        stored = stored.mutate(_fp=ibis.struct({c: stored[c] for c in cols}).hash())
        both = stored.select(batch.columns).union(batch)
    else:
        both = batch
    order = [both._origin, both._file, both._row]
    win = ibis.window(group_by=[both[k] for k in spec.key], order_by=order)
    ranked = both.mutate(_rank=ibis.row_number().over(win), _first_fp=both._fp.first().over(win))
    ranked = ranked.filter(ranked._origin == 1)
    status = ibis.cases(
        (ranked._rank == 0, "accepted"),
        (ranked._fp == ranked._first_fp, "duplicate"),
        else_="conflict",
    )
    return ranked.mutate(_status=status).drop("_origin", "_rank", "_first_fp")


def _quarantine_rows(store: Store, rows: Any, counts: TableCounts) -> int:
    """Append quarantine rows, tally them by reason; returns how many were added."""
    added = store.quarantine(rows)
    counts.quarantined += added
    tally = rows.group_by("reason").agg(n=ibis._.count()).to_pyarrow().to_pylist()
    for r in tally:
        counts.reasons[r["reason"]] = counts.reasons.get(r["reason"], 0) + int(r["n"])
    return added


def _quarantine_invalid(
    store: Store, spec: TableSpec, invalid: Any, ingest_id: str, counts: TableCounts
) -> int:
    rows = invalid.select(
        ingest_id=ibis.literal(ingest_id),
        table_name=ibis.literal(spec.name),
        source_file=invalid._file,
        source_row=invalid._row,
        field=invalid._problem.split(": ")[0],
        reason=invalid._problem,
        record=invalid._record,
    )
    return _quarantine_rows(store, rows, counts)


def _store_resolved(
    store: Store, spec: TableSpec, resolved: Any, ingest_id: str, counts: TableCounts
) -> None:
    """Publish accepted rows, count duplicates, quarantine key conflicts."""
    cols = list(spec.column_names)
    tally = resolved.group_by("_status").agg(n=resolved.count()).to_pyarrow().to_pylist()
    by_status = {row["_status"]: int(row["n"]) for row in tally}
    accepted = resolved.filter(resolved._status == "accepted").select(*cols)
    counts.accepted += store.publish(accepted, spec, ingest_id) if by_status.get("accepted") else 0
    counts.duplicates += by_status.get("duplicate", 0)
    if not by_status.get("conflict"):
        return
    key_text = ", ".join(spec.key)
    conflicts = resolved.filter(resolved._status == "conflict")
    rows = conflicts.select(
        ingest_id=ibis.literal(ingest_id),
        table_name=ibis.literal(spec.name),
        source_file=conflicts._file,
        source_row=conflicts._row,
        field=ibis.literal(spec.key[0]),
        reason=ibis.literal(f"{spec.key[0]}: key ({key_text}) already present with other values"),
        record=ibis.struct({c: conflicts[c].cast("string") for c in cols})
        .cast("json")
        .cast("string"),
    )
    _quarantine_rows(store, rows, counts)
