"""Finding input files and reading them as raw rows that remember their file and row.

Inputs are Parquet or CSV, one file per table (``cells.parquet``) or a folder of parts
(``events/part-0001.csv``). A file that cannot be read as its table at all (a column missing
or unknown) stops the ingest before anything is written, naming the file and the column;
everything finer-grained (a bad value, a malformed CSV line) is a row-level problem that
goes to quarantine.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from trustflux.errors import InputError
from trustflux.events.schemas import TABLES, TableSpec

Format = Literal["parquet", "csv"]
SUFFIXES: dict[str, Format] = {".parquet": "parquet", ".csv": "csv"}
CSV_BLOCK_BYTES = 16 << 20


@dataclass(frozen=True)
class InputFile:
    """One input file of one table."""

    path: Path
    fmt: Format

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()


@dataclass
class MalformedLine:
    """A CSV line that could not be split into the table's columns."""

    path: Path
    row: int | None
    text: str
    reason: str


@dataclass
class RawInput:
    """Raw rows of one table: an Ibis table with the spec's columns plus ``_file``/``_row``."""

    table: Any | None
    rows: int
    malformed: list[MalformedLine] = field(default_factory=list)
    rows_per_file: dict[Path, int] = field(default_factory=dict)


def discover(directory: Path) -> dict[str, list[InputFile]]:
    """Input files per table name, in ingestion order; a world folder's ``input/`` is used."""
    if not directory.exists():
        raise InputError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    if (directory / "input").is_dir():
        directory = directory / "input"
    found: dict[str, list[InputFile]] = {}
    for name in TABLES:
        files: list[InputFile] = []
        for suffix, fmt in SUFFIXES.items():
            single = directory / f"{name}{suffix}"
            if single.is_file():
                files.append(InputFile(single, fmt))
        folder = directory / name
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in SUFFIXES:
                    files.append(InputFile(path, SUFFIXES[path.suffix]))
        if files:
            found[name] = files
    if not found:
        expected = ", ".join(TABLES)
        raise InputError(
            f"{directory}: no input tables found; expected {expected} as <table>.parquet, "
            "<table>.csv or a <table>/ folder of parts"
        )
    return found


def _check_columns(path: Path, spec: TableSpec, names: list[str]) -> None:
    missing = [c for c in spec.column_names if c not in names]
    unknown = [c for c in names if c not in spec.column_names]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if problems:
        raise InputError(
            f"{path}: cannot be read as table '{spec.name}': {'; '.join(problems)} "
            f"(expected {', '.join(spec.column_names)}; see docs/data-model.md)"
        )


def _parquet_rows(path: Path, spec: TableSpec) -> int:
    try:
        meta = pq.read_metadata(path)  # one footer read: row count and column names
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from exc
    _check_columns(path, spec, list(meta.schema.to_arrow_schema().names))
    return int(meta.num_rows)


def _stage_csv(path: Path, spec: TableSpec, staging: Path) -> tuple[Path, int, list[MalformedLine]]:
    """Convert a CSV file to a Parquet file of strings plus its own row numbers.

    Malformed lines (wrong number of fields) are kept aside with their line number instead of
    aborting the file.
    """
    malformed: list[MalformedLine] = []

    def on_invalid(row: Any) -> str:
        line = row.number
        malformed.append(
            MalformedLine(
                path,
                None if line is None else int(line) - 1,
                str(row.text),
                f"malformed CSV line: expected {row.expected_columns} fields, "
                f"got {row.actual_columns}",
            )
        )
        return "skip"

    try:
        with path.open("rb") as fh:
            header = fh.readline().decode("utf-8-sig").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the CSV header: {exc}") from exc
    names = [n.strip() for n in next(csv.reader([header]))] if header else []
    _check_columns(path, spec, names)
    staged = staging / f"{hashlib.sha1(str(path).encode()).hexdigest()}.parquet"
    read_opts = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False)
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,
        null_values=[""],
    )
    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid)
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        reader = pacsv.open_csv(
            path, read_options=read_opts, parse_options=parse, convert_options=convert
        )
        for batch in reader:
            n = batch.num_rows
            extra = {
                "_file": pa.array([str(path)] * n, pa.string()),
                "_row": pa.array(range(rows + 1, rows + n + 1), pa.int64()),
            }
            table = pa.Table.from_batches([batch]).select(list(spec.column_names))
            for key, arr in extra.items():
                table = table.append_column(key, arr)
            if writer is None:
                writer = pq.ParquetWriter(staged, table.schema)
            writer.write_table(table)
            rows += n
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot parse CSV: {exc}") from exc
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(
            pa.table(
                {
                    **{c: pa.array([], pa.string()) for c in spec.column_names},
                    "_file": pa.array([], pa.string()),
                    "_row": pa.array([], pa.int64()),
                }
            ),
            staged,
        )
    return staged, rows, malformed


def read_raw(con: Any, spec: TableSpec, files: list[InputFile], staging: Path) -> RawInput:
    """All rows of ``files`` as one Ibis table, raw types, with ``_file`` and ``_row`` (1-based).

    ``_row`` counts records after the header, so row 1 is the first data line of a CSV file and
    the first row of a Parquet file.
    """
    if not files:
        return RawInput(None, 0)
    staging.mkdir(parents=True, exist_ok=True)
    parquet = [f.path for f in files if f.fmt == "parquet"]
    csv_files = [f.path for f in files if f.fmt == "csv"]
    parts: list[Any] = []
    malformed: list[MalformedLine] = []
    per_file: dict[Path, int] = {}
    if parquet:
        per_file.update({p: _parquet_rows(p, spec) for p in parquet})
        rel = con.read_parquet(
            [str(p) for p in parquet], filename=True, file_row_number=True, union_by_name=True
        )
        parts.append(
            rel.select(
                *spec.column_names,
                _file=rel.filename,
                _row=(rel.file_row_number + 1).cast("int64"),
            )
        )
    if csv_files:
        staged: list[Path] = []
        for path in csv_files:
            out, n, bad = _stage_csv(path, spec, staging)
            staged.append(out)
            per_file[path] = n
            malformed.extend(bad)
        rel = con.read_parquet([str(p) for p in staged], union_by_name=True)
        parts.append(rel.select(*spec.column_names, "_file", "_row"))
    if len(parts) == 2:
        as_text = [p.mutate(**{c: p[c].cast("string") for c in spec.column_names}) for p in parts]
        table = as_text[0].union(as_text[1])
    else:
        table = parts[0]
    return RawInput(table, sum(per_file.values()), malformed, per_file)
