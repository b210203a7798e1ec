"""Erasure (GDPR Art. 17): remove the subscriber from every store the register does not keep.

The register decides what stays: each retention exception names the stores it ``keeps``
(invoices, consent history, audit trail, requests, tickets, erasure markers); everything else
is erased and the answer lists what was kept, why and for how long.

Order matters for a crash midway: markers first (ingestion refuses their data from then on),
the contract last (so a second run still finds the person and finishes the job). Parquet
files are rewritten only when they hold the person's rows, each through a temporary file
renamed over the original, so a reader sees the old file or the new one. Other people's
events keep their calls with the erased person, with the number cut to its country prefix
(the last four digits dropped): billing and fraud still see an international call.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Engine, delete, func, select

from trustflux.config import Settings
from trustflux.db.tables import (
    accounts,
    audit_entries,
    dsr_requests,
    ledger_records,
    otp_challenges,
    restrictions,
    subscribers,
    tickets,
)
from trustflux.engine.store import Store
from trustflux.errors import ErasedSubjectError, RightsError
from trustflux.register import KeptStore, Register
from trustflux.rights import tombstones
from trustflux.rights.exports import exports_dir
from trustflux.rights.holdings import (
    ONE_FILE,
    OUT_OF_SCOPE,
    event_files,
    memory_connection,
    parquet_files,
    rewrite_parquet,
    scan,
    token_pattern,
)
from trustflux.rights.subjects import SubjectIds, find_subject

ERASED_TOKEN = "[erased]"
APPEND_ONLY = (KeptStore.CONSENT_LEDGER, KeptStore.AUDIT_TRAIL)
"""Stores the database refuses to change: the register must keep them."""

_OPS_STORES = {
    "billing": KeptStore.BILLING_INVOICES,
    "fraud": KeptStore.FRAUD_ALERTS,
    "offers": KeptStore.OFFERS,
    "diagnostics": KeptStore.DIAGNOSTICS,
    "telemetry": KeptStore.TELEMETRY,
}


@dataclass(frozen=True)
class KeptItem:
    """Something kept after the erasure, and the register's reason for keeping it."""

    store: str
    what: str
    purpose: str
    period: str
    legal_ground: str
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "what": self.what,
            "purpose": self.purpose,
            "period": self.period,
            "legal_ground": self.legal_ground,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed, what it kept (with the legal ground) and what is out of scope."""

    subscriber_id: str
    removed: Mapping[str, int]
    kept: Sequence[KeptItem]
    out_of_scope: Sequence[str]
    already_erased: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "subscriber_id": self.subscriber_id,
            "removed": dict(self.removed),
            "kept": [k.as_dict() for k in self.kept],
            "out_of_scope": list(self.out_of_scope),
            "already_erased": self.already_erased,
        }


def kept_stores(register: Register) -> set[KeptStore]:
    """Every store some retention exception keeps."""
    return {store for p in register.purposes for e in p.retention.exceptions for store in e.keeps}


def erase_subject(
    settings: Settings,
    register: Register,
    engine: Engine,
    subscriber_id: str,
    *,
    request_id: str,
    at: datetime,
) -> ErasureReport:
    """Erase the subscriber everywhere the register allows; idempotent."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise RightsError(f"erasure time {at.isoformat()} has no time zone")
    kept = kept_stores(register)
    missing = [s.value for s in APPEND_ONLY if s not in kept]
    if missing:
        raise RightsError(
            f"the register keeps no exception for {', '.join(missing)}: those records are "
            "append-only, so an erasure cannot follow the register; declare why they are kept"
        )
    try:
        ids = find_subject(settings, subscriber_id)
    except ErasedSubjectError:
        items = _kept_items(settings, register, engine, subscriber_id, kept)
        return ErasureReport(subscriber_id, {}, items, OUT_OF_SCOPE, already_erased=True)
    eraser = _Eraser(settings, engine, ids, kept)
    if KeptStore.ERASURE_MARKERS in kept:
        key = tombstones.erasure_key(settings, create=True)
        assert key is not None
        with Store(settings) as store:
            tombstones.add_markers(settings, store.raw, key, ids.identifiers(), request_id, at)
    eraser.run()
    items = _kept_items(settings, register, engine, subscriber_id, kept)
    return ErasureReport(subscriber_id, dict(eraser.removed), items, OUT_OF_SCOPE)


# -- the stores -------------------------------------------------------------------------------
@dataclass
class _Eraser:
    settings: Settings
    engine: Engine
    ids: SubjectIds
    kept: set[KeptStore]
    removed: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = list(self.ids.identifiers().values())
        self.pattern = token_pattern(self.values)

    def run(self) -> None:
        # (store the step erases, or None when the step checks each output's store itself)
        steps: list[tuple[KeptStore | None, Callable[[], None]]] = [
            (KeptStore.EVENTS, self.events),
            (KeptStore.TELEMETRY, self.telemetry),
            (None, self.quarantine),
            (None, self.operations),
            (None, self.rights_files),
            (KeptStore.TICKETS, self.tickets),
            (KeptStore.RIGHTS_REQUESTS, self.rights_requests),
            (KeptStore.CONTRACT, self.contract),
        ]
        for store, step in steps:
            if store is None or store not in self.kept:
                step()

    # -- Parquet stores (DuckDB rewrites only the files that hold the person) --------------
    def events(self) -> None:
        files = event_files(self.settings)
        if not files:
            self.removed.update(events=0, events_counterpart_masked=0)
            return
        imsi, msisdn = self.ids.imsi, self.ids.msisdn
        masked_value = msisdn[: -tombstones.MASKED_DIGITS]
        con = memory_connection(self.settings)
        try:
            affected = con.execute(
                f"SELECT filename, count(*) FILTER (WHERE imsi = $imsi), "
                f"count(*) FILTER (WHERE imsi <> $imsi AND counterpart = $msisdn) "
                f"FROM {scan(files)} "
                "WHERE imsi = $imsi OR counterpart = $msisdn GROUP BY filename",
                {"imsi": imsi, "msisdn": msisdn},
            ).fetchall()
            removed = masked = 0
            for name, own, others in affected:
                rewrite_parquet(
                    con,
                    Path(name),
                    "SELECT * REPLACE (CASE WHEN counterpart = $msisdn THEN $masked "
                    f"ELSE counterpart END AS counterpart) FROM {ONE_FILE} "
                    "WHERE imsi <> $imsi",
                    {"msisdn": msisdn, "masked": masked_value, "imsi": imsi},
                )
                removed += int(own)
                masked += int(others)
        finally:
            con.close()
        self.removed.update(events=removed, events_counterpart_masked=masked)

    def telemetry(self) -> None:
        gateway = self.ids.gateway_id
        files = parquet_files(self.settings.store_dir / "telemetry")
        if not gateway or not files:
            self.removed["telemetry"] = 0
            return
        self.removed["telemetry"] = _remove_rows(
            self.settings, files, "gateway_id = $value", gateway
        )

    def contract(self) -> None:
        files = parquet_files(self.settings.store_dir / "subscribers")
        self.removed["contract"] = _remove_rows(
            self.settings, files, "subscriber_id = $value", self.ids.subscriber_id
        )
        sid = self.ids.subscriber_id
        with self.engine.begin() as conn:
            gone_accounts = conn.execute(delete(accounts).where(accounts.c.subscriber_id == sid))
            gone_period = conn.execute(
                delete(subscribers).where(subscribers.c.subscriber_id == sid)
            )
        self.removed["account"] = int(gone_accounts.rowcount or 0)
        self.removed["contract_period"] = int(gone_period.rowcount or 0)
        if self.engine.dialect.name == "sqlite":
            # secure_delete zeroed the rows in the database file; their old pages also sit in
            # the write-ahead log until a checkpoint: take it now.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- the catalog's quarantine ---------------------------------------------------------------
    def quarantine(self) -> None:
        if not self.settings.catalog_path.exists():
            self.removed["quarantine"] = 0
            return
        with Store(self.settings) as store:
            where = (
                "regexp_matches(coalesce(record, ''), $p) OR "
                "regexp_matches(coalesce(reason, ''), $p) OR "
                "regexp_matches(coalesce(source_file, ''), $p)"
            )
            row = store.raw.execute(
                f"SELECT count(*) FROM quarantine WHERE {where}", {"p": self.pattern}
            ).fetchone()
            if row and row[0]:
                store.raw.execute(f"DELETE FROM quarantine WHERE {where}", {"p": self.pattern})
                # Out of the write-ahead log now, not at some later checkpoint.
                store.raw.execute("CHECKPOINT")
        self.removed["quarantine"] = int(row[0]) if row else 0

    # -- operations outputs ---------------------------------------------------------------------
    def operations(self) -> None:
        """Rows naming the person in every output not kept; run records and other text masked."""
        ops = self.settings.ops_dir
        for ops_store in _OPS_STORES.values():
            if ops_store not in self.kept:
                self.removed.setdefault(ops_store.value, 0)
        if not ops.exists():
            return
        for path in parquet_files(ops):
            found = _store_of(ops, path)
            if found in self.kept:
                continue
            name = found.value if found is not None else "operations_other"
            self.removed[name] = self.removed.get(name, 0) + _filter_output(path, self.pattern)
        withdrawals = ops / "offers" / "withdrawals.jsonl"
        if KeptStore.OFFERS not in self.kept:
            self.removed["offers"] = self.removed.get("offers", 0) + _drop_lines(
                withdrawals, self.pattern
            )
        masked = 0
        for path in _text_files(ops):
            if _store_of(ops, path) in self.kept or path == withdrawals:
                continue
            masked += _mask_text(path, self.pattern)
        self.removed["operations_text_masked"] = masked

    def rights_files(self) -> None:
        """Earlier access/portability exports about the person, and one-time-code messages."""
        folder = exports_dir(self.settings)
        gone = 0
        for path in sorted(folder.glob("*.zip")) if folder.exists() else []:
            if _export_subject(path) == self.ids.subscriber_id:
                path.unlink()
                gone += 1
        self.removed["rights_exports"] = gone
        dropped = 0
        rights = self.settings.rights_dir
        for path in _text_files(rights):
            if path.parent == folder:
                continue
            dropped += _drop_lines(path, self.pattern)
        self.removed["rights_messages"] = dropped

    # -- relational stores not kept (normally kept by the register) ------------------------------
    def tickets(self) -> None:
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(tickets).where(tickets.c.subscriber_id == self.ids.subscriber_id)
            )
        self.removed["tickets"] = int(gone.rowcount or 0)

    def rights_requests(self) -> None:
        sid = self.ids.subscriber_id
        with self.engine.begin() as conn:
            mine = select(dsr_requests.c.request_id).where(dsr_requests.c.subject_id == sid)
            conn.execute(delete(otp_challenges).where(otp_challenges.c.request_id.in_(mine)))
            gone = conn.execute(delete(dsr_requests).where(dsr_requests.c.subject_id == sid))
            lifted = conn.execute(delete(restrictions).where(restrictions.c.subject_id == sid))
        self.removed["rights_requests"] = int(gone.rowcount or 0) + int(lifted.rowcount or 0)


# -- Parquet rewriting ---------------------------------------------------------------------------
def _remove_rows(settings: Settings, files: Sequence[Path], where: str, value: str) -> int:
    """Remove rows matching ``where`` (``$value``) from the files that have any."""
    con = memory_connection(settings)
    try:
        affected = con.execute(
            f"SELECT filename, count(*) FROM {scan(files)} WHERE {where} GROUP BY filename",
            {"value": value},
        ).fetchall()
        for name, _ in affected:
            rewrite_parquet(
                con,
                Path(name),
                f"SELECT * FROM {ONE_FILE} WHERE NOT ({where})",
                {"value": value},
            )
    finally:
        con.close()
    return sum(int(n) for _, n in affected)


def _store_of(ops: Path, path: Path) -> KeptStore | None:
    parts = path.relative_to(ops).parts
    return _OPS_STORES.get(parts[0]) if parts else None


def _naming(table: pa.Table, pattern: str) -> pa.ChunkedArray | pa.Array | None:
    """Rows where any text column names the person (as a whole token)."""
    mask: Any = None
    for column in table.itercolumns():
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        hit = pc.fill_null(pc.match_substring_regex(column, pattern), False)
        mask = hit if mask is None else pc.or_(mask, hit)
    return mask


def _filter_output(path: Path, pattern: str) -> int:
    """Drop the rows naming the person from one output (and its CSV twin); returns rows."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise RightsError(f"cannot read {path}: {exc}") from exc
    mask = _naming(table, pattern)
    hits = 0 if mask is None else int(pc.sum(mask).as_py() or 0)
    if not hits:
        return 0
    assert mask is not None
    kept = table.filter(pc.invert(mask))
    tmp = path.with_name(f".{path.name}.erasing")
    twin = path.with_suffix(".csv")
    tmp_csv = twin.with_name(f".{twin.name}.erasing")
    try:
        pq.write_table(kept, tmp)
        tmp.replace(path)
        if twin.exists():
            pacsv.write_csv(kept, tmp_csv)
            tmp_csv.replace(twin)
    except (OSError, pa.ArrowException) as exc:
        tmp.unlink(missing_ok=True)
        tmp_csv.unlink(missing_ok=True)
        raise RightsError(f"cannot rewrite {path}: {exc}") from exc
    return hits


# -- text files ---------------------------------------------------------------------------------
TEXT_SUFFIXES = (".json", ".jsonl", ".csv", ".txt", ".log")


def _text_files(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in TEXT_SUFFIXES and not p.name.startswith(".")
    )


def _matches(pattern: str) -> Callable[[str], bool]:
    import re

    compiled = re.compile(pattern)
    return lambda text: compiled.search(text) is not None


# Bytes that are not UTF-8 pass through unchanged (identifiers are ASCII): a stray Latin-1
# byte in someone else's line neither stops the erasure nor is rewritten as U+FFFD.
_ENCODING, _ERRORS = "utf-8", "surrogateescape"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding=_ENCODING, errors=_ERRORS)
    except OSError as exc:
        raise RightsError(f"cannot read {path}: {exc}") from exc


def _replace_file(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.erasing")
    try:
        mode = path.stat().st_mode & 0o777
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding=_ENCODING, errors=_ERRORS) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        raise RightsError(f"cannot rewrite {path}: {exc}") from exc


def _drop_lines(path: Path, pattern: str) -> int:
    """Drop the lines of a JSON-lines file that name the person; returns lines dropped."""
    if not path.exists():
        return 0
    hit = _matches(pattern)
    lines = _read_text(path).splitlines(keepends=True)
    kept = [line for line in lines if not hit(line)]
    if len(kept) != len(lines):
        _replace_file(path, "".join(kept))
    return len(lines) - len(kept)


def _mask_text(path: Path, pattern: str) -> int:
    """Replace the person's identifiers in a text file by ``[erased]``; returns 1 if changed."""
    import re

    text = _read_text(path)
    masked = re.sub(pattern, lambda m: f"{m.group(1)}{ERASED_TOKEN}{m.group(3)}", text)
    if masked == text:
        return 0
    _replace_file(path, masked)
    return 1


def _export_subject(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            summary = json.loads(zf.read("summary.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    value = summary.get("subscriber_id") if isinstance(summary, dict) else None
    return str(value) if value is not None else None


# -- what is kept ----------------------------------------------------------------------------------
def _kept_items(
    settings: Settings,
    register: Register,
    engine: Engine,
    subscriber_id: str,
    kept: set[KeptStore],
) -> list[KeptItem]:
    rows = _kept_rows(settings, engine, subscriber_id, kept)
    items = []
    for p in register.purposes:
        for e in p.retention.exceptions:
            for store in e.keeps:
                items.append(
                    KeptItem(
                        store=store.value,
                        what=e.what.en,
                        purpose=p.id,
                        period=str(e.period),
                        legal_ground=e.legal_ground,
                        rows=rows.get(store, 0),
                    )
                )
    return items


def _kept_rows(
    settings: Settings, engine: Engine, subscriber_id: str, kept: set[KeptStore]
) -> dict[KeptStore, int]:
    counts: dict[KeptStore, int] = {}
    queries = {
        KeptStore.CONSENT_LEDGER: select(func.count()).where(
            ledger_records.c.subject_id == subscriber_id
        ),
        KeptStore.AUDIT_TRAIL: select(func.count()).where(audit_entries.c.subject == subscriber_id),
        KeptStore.TICKETS: select(func.count()).where(tickets.c.subscriber_id == subscriber_id),
        KeptStore.RIGHTS_REQUESTS: select(func.count()).where(
            dsr_requests.c.subject_id == subscriber_id
        ),
    }
    with engine.connect() as conn:
        for store, query in queries.items():
            if store in kept:
                counts[store] = int(conn.execute(query).scalar_one())
        if KeptStore.RIGHTS_REQUESTS in kept:
            counts[KeptStore.RIGHTS_REQUESTS] += int(
                conn.execute(
                    select(func.count()).where(restrictions.c.subject_id == subscriber_id)
                ).scalar_one()
            )
    if KeptStore.BILLING_INVOICES in kept:
        counts[KeptStore.BILLING_INVOICES] = _billing_rows(settings, subscriber_id)
    if KeptStore.ERASURE_MARKERS in kept:
        counts[KeptStore.ERASURE_MARKERS] = _marker_rows(settings, subscriber_id)
    return counts


def _billing_rows(settings: Settings, subscriber_id: str) -> int:
    folder = settings.ops_dir / "billing"
    files = [
        p for p in parquet_files(folder) if p.name in ("invoices.parquet", "invoice_lines.parquet")
    ]
    total = 0
    for path in files:
        table = pq.read_table(path, columns=["subscriber_id"])
        total += int(pc.sum(pc.equal(table.column("subscriber_id"), subscriber_id)).as_py() or 0)
    return total


def _marker_rows(settings: Settings, subscriber_id: str) -> int:
    key = tombstones.erasure_key(settings)
    if key is None or not settings.catalog_path.exists():
        return 0
    with Store(settings) as store:
        if not tombstones.has_markers(store.raw):
            return 0
        row = store.raw.execute(
            "SELECT count(*) FROM erasure_markers WHERE request_id IN (SELECT request_id "
            "FROM erasure_markers WHERE kind = 'subscriber_id' AND digest = ?)",
            [tombstones.digest(key, subscriber_id)],
        ).fetchone()
    return int(row[0]) if row else 0
