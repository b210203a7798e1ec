"""What is held about one subscriber, store by store: shared by access, portability, erasure.

Each ``Section`` names where its rows live (a ``KeptStore``), whether they go into a
portability export (what the person provided or their use generated, not what we inferred)
and how to find them. ``collect`` materialises each section as a small temporary table in an
in-memory DuckDB connection: the big stores (events, telemetry) are scanned in Parquet with
the filter pushed down, so a subscriber's rows are found without loading anyone else's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, Table, select

from trustflux.audit.trail import AuditTrail
from trustflux.config import Settings
from trustflux.db.tables import accounts, dsr_requests, restrictions, subscribers, tickets
from trustflux.engine.store import Store
from trustflux.errors import RightsError
from trustflux.events.schemas import TABLES
from trustflux.ledger import Ledger
from trustflux.register import KeptStore, Register
from trustflux.rights.subjects import SubjectIds

OUT_OF_SCOPE = (
    "Anonymised statistics (footfall, origin, movement) and network-optimisation figures: "
    "published aggregates are anonymous. The pseudonyms behind them were made with a key that "
    "is destroyed after each release and the pseudonymised rows are kept at most 24 hours, so "
    "nothing in them can be linked back to you.",
)


@dataclass(frozen=True)
class Section:
    """One kind of data held about the person."""

    name: str
    store: KeptStore
    portable: bool
    description: str


SECTIONS: tuple[Section, ...] = (
    Section("contract", KeptStore.CONTRACT, True, "Your contract as the store holds it."),
    Section(
        "contract_period",
        KeptStore.CONTRACT,
        True,
        "Your contract period, copied for the consent and policy checks.",
    ),
    Section(
        "account",
        KeptStore.CONTRACT,
        True,
        "Your online account (user name, role, creation date; never the password).",
    ),
    Section("events", KeptStore.EVENTS, True, "Network events of your SIM (IMSI)."),
    Section("telemetry", KeptStore.TELEMETRY, True, "Measurements reported by your home gateway."),
    Section("consents", KeptStore.CONSENT_LEDGER, True, "Your consent and objection history."),
    Section("billing_invoices", KeptStore.BILLING_INVOICES, True, "Your invoices."),
    Section("billing_invoice_lines", KeptStore.BILLING_INVOICES, True, "Lines of your invoices."),
    Section("fraud_alerts", KeptStore.FRAUD_ALERTS, False, "Fraud alerts about your line."),
    Section(
        "offers", KeptStore.OFFERS, False, "Offers waiting for you, with the reasons they match."
    ),
    Section("diagnostics", KeptStore.DIAGNOSTICS, False, "Faults diagnosed on your home gateway."),
    Section("audit_trail", KeptStore.AUDIT_TRAIL, False, "Who accessed your data, when and why."),
    Section("rights_requests", KeptStore.RIGHTS_REQUESTS, False, "Your data-rights requests."),
    Section(
        "restrictions",
        KeptStore.RIGHTS_REQUESTS,
        False,
        "Restrictions of processing you asked for (GDPR Art. 18).",
    ),
    Section("tickets", KeptStore.TICKETS, False, "Customer-service tickets about you."),
    Section(
        "quarantine",
        KeptStore.CONTRACT,
        False,
        "Input rows about you that ingestion refused, with the reason.",
    ),
)
SECTION_BY_NAME: Mapping[str, Section] = {s.name: s for s in SECTIONS}

SUBSCRIBERS = TABLES["subscribers"].column_names
EVENTS = TABLES["events"].column_names
TELEMETRY = TABLES["telemetry"].column_names
_ID = ("subscriber_id",)
_GW = ("gateway_id",)


# -- the files each store keeps ------------------------------------------------------------
def parquet_files(folder: Path, pattern: str = "*.parquet") -> list[Path]:
    """Parquet files under ``folder`` (recursively), skipping hidden temporary ones."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob(pattern) if not p.name.startswith("."))


def event_files(settings: Settings) -> list[Path]:
    return parquet_files(settings.store_dir / "events")


def telemetry_files(settings: Settings) -> list[Path]:
    """Ingested telemetry and telemetry the MQTT subscriber wrote."""
    return parquet_files(settings.store_dir / "telemetry") + parquet_files(
        settings.ops_dir / "telemetry"
    )


def output_files(settings: Settings, job: str, name: str) -> list[Path]:
    """``<operations>/<job>/<window>/<name>`` of every window (or ``<job>/<name>``)."""
    folder = settings.ops_dir / job
    if not folder.exists():
        return []
    found = list(folder.glob(f"*/{name}")) + list(folder.glob(name))
    return sorted(p for p in found if not any(part.startswith(".") for part in p.parts[-2:]))


def sql_list(paths: Sequence[Path]) -> str:
    """A DuckDB list literal of file paths."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


ONE_FILE = "read_parquet($file, hive_partitioning = false)"
"""The file a rewrite reads (bound as ``$file``); folder names like ``day=`` are not columns."""


def scan(files: Sequence[Path]) -> str:
    """``read_parquet`` over ``files`` with their ``filename``, folder names not read as
    columns, and columns matched by name."""
    return (
        f"read_parquet({sql_list(files)}, filename = true, hive_partitioning = false, "
        "union_by_name = true)"
    )


def token_pattern(values: Sequence[str]) -> str:
    """A regular expression matching any of ``values`` as a whole token (not inside a longer
    identifier or number), for text columns such as quarantine records and run records."""
    alternatives = "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))
    return f"(^|[^A-Za-z0-9_.:-])({alternatives})($|[^A-Za-z0-9_.:-])"


def memory_connection(settings: Settings) -> Any:
    """An in-memory DuckDB with the settings' limits (spilling to the home's tmp)."""
    spill = settings.home / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("SET enable_progress_bar = false")
    if settings.duckdb_threads:
        con.execute(f"SET threads = {int(settings.duckdb_threads)}")
    return con


def rewrite_parquet(con: Any, path: Path, select_sql: str, params: Mapping[str, Any]) -> int:
    """Replace ``path`` by what ``select_sql`` keeps of it (``$file``); returns rows kept.

    Written beside the file and renamed over it; a file left empty is deleted.
    """
    tmp = path.with_name(f".{path.name}.erasing")
    target = str(tmp).replace("'", "''")
    try:
        result = con.execute(
            f"COPY ({select_sql}) TO '{target}' (FORMAT parquet)", {**params, "file": str(path)}
        ).fetchone()
        rows = int(result[0]) if result else pq.read_metadata(tmp).num_rows
        if rows == 0:
            tmp.unlink()
            path.unlink()
        else:
            tmp.replace(path)
    except (OSError, duckdb.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise RightsError(f"cannot rewrite {path}: {exc}") from exc
    return rows


# -- collecting -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Held:
    """One section materialised as a temporary table ``table`` of ``rows`` rows."""

    section: Section
    table: str
    rows: int


class Holdings:
    """Finds a subscriber's rows in every store, one section at a time."""

    def __init__(
        self, settings: Settings, register: Register, engine: Engine, ids: SubjectIds
    ) -> None:
        self.settings = settings
        self.register = register
        self.engine = engine
        self.ids = ids

    def collect(self, con: Any, sections: Sequence[Section]) -> Iterator[Held]:
        """Materialise each section in ``con`` (temporary tables ``held_<name>``)."""
        for section in sections:
            table = f"held_{section.name}"
            source = getattr(self, f"_{section.name}")(con)
            if isinstance(source, pa.Table):
                con.register("_held_in", source)
                try:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _held_in")
                finally:
                    con.unregister("_held_in")
            else:
                sql, params = source
                con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", params)
            rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            yield Held(section, table, int(rows))

    # -- identified zone (Parquet) ------------------------------------------------------------
    def _parquet(
        self, files: Sequence[Path], where: str, params: list[Any], empty: Sequence[str]
    ) -> tuple[str, list[Any]] | pa.Table:
        if not files:
            return _empty(empty)
        return (
            f"SELECT * FROM {scan(files)} WHERE {where}",
            params,
        )

    def _contract(self, con: Any) -> Any:
        files = parquet_files(self.settings.store_dir / "subscribers")
        return _drop_filename(
            self._parquet(files, "subscriber_id = ?", [self.ids.subscriber_id], SUBSCRIBERS)
        )

    def _events(self, con: Any) -> Any:
        return _drop_filename(
            self._parquet(event_files(self.settings), "imsi = ?", [self.ids.imsi], EVENTS),
            order="ts",
        )

    def _telemetry(self, con: Any) -> Any:
        if not self.ids.gateway_id:
            return _empty(("gateway_id", "ts", "path", "value"))
        files = telemetry_files(self.settings)
        return _drop_filename(
            self._parquet(files, "gateway_id = ?", [self.ids.gateway_id], TELEMETRY),
            order="ts, path",
        )

    def _billing_invoices(self, con: Any) -> Any:
        files = output_files(self.settings, "billing", "invoices.parquet")
        return _drop_filename(
            self._parquet(files, "subscriber_id = ?", [self.ids.subscriber_id], _ID)
        )

    def _billing_invoice_lines(self, con: Any) -> Any:
        files = output_files(self.settings, "billing", "invoice_lines.parquet")
        return _drop_filename(
            self._parquet(files, "subscriber_id = ?", [self.ids.subscriber_id], _ID)
        )

    def _fraud_alerts(self, con: Any) -> Any:
        files = output_files(self.settings, "fraud", "alerts.parquet")
        return _windowed(
            self._parquet(
                files,
                "subscriber_id = ? OR imsi = ? OR number = ?",
                [self.ids.subscriber_id, self.ids.imsi, self.ids.msisdn],
                _ID,
            )
        )

    def _offers(self, con: Any) -> Any:
        files = output_files(self.settings, "offers", "pending.parquet")
        return _drop_filename(
            self._parquet(files, "subscriber_id = ?", [self.ids.subscriber_id], _ID)
        )

    def _diagnostics(self, con: Any) -> Any:
        if not self.ids.gateway_id:
            return _empty(("gateway_id", "fault", "summary"))
        files = output_files(self.settings, "diagnostics", "findings.parquet")
        return _windowed(self._parquet(files, "gateway_id = ?", [self.ids.gateway_id], _GW))

    def _quarantine(self, con: Any) -> pa.Table:
        """Refused input rows that name the person (any identifier, as a whole token)."""
        if not self.settings.catalog_path.exists():
            return _empty(("table_name", "reason", "record"))
        pattern = token_pattern(list(self.ids.identifiers().values()))
        with Store(self.settings) as store:
            result = store.raw.execute(
                "SELECT * FROM quarantine WHERE regexp_matches(coalesce(record, ''), ?) "
                "OR regexp_matches(coalesce(reason, ''), ?) "
                "OR regexp_matches(coalesce(source_file, ''), ?) ORDER BY quarantined_at",
                [pattern, pattern, pattern],
            ).to_arrow_table()
        return result if isinstance(result, pa.Table) else pa.table(result)

    # -- relational store -----------------------------------------------------------------------
    def _rows(self, table: Table, column: str, omit: Sequence[str] = ()) -> pa.Table:
        names = [c.name for c in table.columns if c.name not in omit]
        query = select(*[table.c[n] for n in names]).where(
            table.c[column] == self.ids.subscriber_id
        )
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        return rows_table(rows, names)

    def _contract_period(self, con: Any) -> pa.Table:
        return self._rows(subscribers, "subscriber_id")

    def _account(self, con: Any) -> pa.Table:
        return self._rows(accounts, "subscriber_id", omit=("password_hash", "account_id"))

    def _rights_requests(self, con: Any) -> pa.Table:
        return self._rows(dsr_requests, "subject_id")

    def _restrictions(self, con: Any) -> pa.Table:
        return self._rows(restrictions, "subject_id", omit=("position",))

    def _tickets(self, con: Any) -> pa.Table:
        return self._rows(tickets, "subscriber_id")

    def _consents(self, con: Any) -> pa.Table:
        history = Ledger(self.engine, self.register).history(self.ids.subscriber_id)
        names = [
            "record_id",
            "purpose",
            "seq",
            "event",
            "occurred_at",
            "recorded_at",
            "method",
            "jurisdiction",
            "expires_at",
            "notice_version",
            "notice_hash",
            "language",
            "actor",
            "record_hash",
        ]
        return rows_table([r.as_dict() for r in history], names)

    def _audit_trail(self, con: Any) -> pa.Table:
        entries = AuditTrail(self.engine).entries(subject=self.ids.subscriber_id)
        names = ["seq", "at", "actor", "action", "purpose", "subject", "details", "entry_hash"]
        rows = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "purpose": e.purpose,
                "subject": e.subject,
                "details": dict(e.details),
                "entry_hash": e.entry_hash,
            }
            for e in entries
        ]
        return rows_table(rows, names)


def _drop_filename(
    source: tuple[str, list[Any]] | pa.Table, order: str | None = None
) -> tuple[str, list[Any]] | pa.Table:
    if isinstance(source, pa.Table):
        return source
    sql, params = source
    ordered = f" ORDER BY {order}" if order else ""
    return f"SELECT * EXCLUDE (filename) FROM ({sql}){ordered}", params


def _windowed(source: tuple[str, list[Any]] | pa.Table) -> tuple[str, list[Any]] | pa.Table:
    """Add ``window``: the output folder's name (the job's window label)."""
    if isinstance(source, pa.Table):
        return source
    sql, params = source
    return (
        'SELECT * EXCLUDE (filename), parse_filename(parse_dirpath(filename)) AS "window" '
        f'FROM ({sql}) ORDER BY "window"',
        params,
    )


def _empty(names: Sequence[str]) -> pa.Table:
    return pa.table({n: pa.array([], pa.string()) for n in names})


def _plain(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return value


def rows_table(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> pa.Table:
    """Rows (dicts) as an Arrow table with columns ``names``; JSON values become text."""
    if not rows:
        return _empty(names)
    columns = {n: [_plain(r.get(n)) for r in rows] for n in names}
    try:
        return pa.table(columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise RightsError(f"cannot tabulate {', '.join(names)}: {exc}") from exc
