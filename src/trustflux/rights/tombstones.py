"""Erasure markers: keyed hashes of an erased subscriber's identifiers, never the identifiers.

After an erasure (GDPR Art. 17) ingestion must refuse data about the person that arrives
later (a re-sent file, a late telemetry message). To recognise it without keeping who they
were, the catalog keeps ``erasure_markers(kind, digest, request_id, erased_at)`` where
``digest`` is HMAC-SHA256 of the identifier under a 32-byte key in
``<keys>/erasure.key``. Without the key a digest cannot be tested against guesses (an
unkeyed hash of a 15-digit IMSI would be brute-forced in minutes).

The same HMAC is written in SQL (``sha256`` over ``key XOR opad || sha256(key XOR ipad ||
value)``), so ingestion hashes the distinct identifiers of a batch inside DuckDB, in
parallel, and only when markers exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from trustflux.config import Settings
from trustflux.errors import RightsError, StoreError
from trustflux.keyfile import read_or_create

KINDS = ("subscriber_id", "msisdn", "imsi", "imei", "gateway_id")
"""Identifier kinds a marker can be about (the columns of the store that name a person)."""

MASKED_DIGITS = 4
"""Digits dropped from an erased number left in other people's call records (the country and
operator prefix stays, for their bills and fraud checks)."""

KEY_FILE = "erasure.key"
KEY_BYTES = 32
_BLOCK = 64  # SHA-256 block size, for HMAC's pads

MARKERS_DDL = """
    CREATE TABLE IF NOT EXISTS erasure_markers (
        kind VARCHAR NOT NULL, digest VARCHAR NOT NULL, request_id VARCHAR NOT NULL,
        erased_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (kind, digest)
    )
"""


def key_path(settings: Settings) -> Path:
    return settings.keys_dir / KEY_FILE


def erasure_key(settings: Settings, *, create: bool = False) -> bytes | None:
    """The marker key; created once (mode 0600) when ``create``, else None when absent."""
    path = key_path(settings)
    try:
        return read_or_create(path, KEY_BYTES, create=create)
    except (OSError, ValueError) as exc:
        raise RightsError(f"cannot use the erasure key {path}: {exc}") from exc


def digest(key: bytes, value: str) -> str:
    """HMAC-SHA256 of one identifier, hex."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    padded = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x5C for b in padded), bytes(b ^ 0x36 for b in padded)


def hmac_sql(column: str) -> str:
    """SQL computing ``digest`` of ``column`` (text); binds ``$opad`` and ``$ipad``."""
    return f"sha256($opad::BLOB || unhex(sha256($ipad::BLOB || encode({column}))))"


def ensure_table(con: Any) -> None:
    """Create the markers table in the catalog (``con``: a raw DuckDB connection)."""
    con.execute(MARKERS_DDL)


def has_markers(con: Any) -> bool:
    """Whether any subscriber was ever erased (cheap: ingestion asks it on every table)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'erasure_markers' "
        "AND database_name = current_database() AND schema_name = 'main'"
    ).fetchone()
    if not exists or not int(exists[0]):
        return False
    row = con.execute("SELECT EXISTS (SELECT 1 FROM erasure_markers)").fetchone()
    return bool(row and row[0])


def add_markers(
    settings: Settings,
    con: Any,
    key: bytes,
    identifiers: Mapping[str, str],
    request_id: str,
    at: datetime,
) -> int:
    """Record markers for ``identifiers`` (kind -> value); an existing marker is kept. The
    mirror file beside the store is rewritten with them (see ``publish_mirror``)."""
    ensure_table(con)
    unknown = set(identifiers) - set(KINDS)
    if unknown:
        raise RightsError(f"unknown identifier kind(s) {', '.join(sorted(unknown))}")
    before = con.execute("SELECT count(*) FROM erasure_markers").fetchone()[0]
    for kind, value in identifiers.items():
        con.execute(
            "INSERT OR IGNORE INTO erasure_markers VALUES (?, ?, ?, ?)",
            [kind, digest(key, value), request_id, at.astimezone(UTC)],
        )
    after = con.execute("SELECT count(*) FROM erasure_markers").fetchone()[0]
    publish_mirror(settings, con)
    return int(after) - int(before)


def erased_on(con: Any, key: bytes, kind: str, value: str) -> datetime | None:
    """When the person with this identifier was erased, or None."""
    if not has_markers(con):
        return None
    row = con.execute(
        "SELECT epoch_ms(min(erased_at)) FROM erasure_markers WHERE kind = ? AND digest = ?",
        [kind, digest(key, value)],
    ).fetchone()
    return None if row is None or row[0] is None else _aware(row[0])


def markers_of(con: Any, request_id: str) -> int:
    """How many markers an erasure request left."""
    if not has_markers(con):
        return 0
    row = con.execute(
        "SELECT count(*) FROM erasure_markers WHERE request_id = ?", [request_id]
    ).fetchone()
    return int(row[0]) if row else 0


def erased_values(
    con: Any, key: bytes, relation_sql: str, column: str, kinds: Iterable[str]
) -> dict[str, datetime]:
    """Distinct values of ``column`` in ``relation_sql`` that name an erased person.

    Only the distinct values are hashed, in SQL; the answer is usually empty.
    """
    kind_list = sorted(set(kinds))
    opad, ipad = _pads(key)
    placeholders = ", ".join(f"$k{i}" for i in range(len(kind_list)))
    sql = (
        f"WITH ids AS (SELECT DISTINCT CAST({column} AS VARCHAR) AS v FROM ({relation_sql}) "
        f"WHERE {column} IS NOT NULL), "
        f"h AS (SELECT v, {hmac_sql('v')} AS d FROM ids) "
        "SELECT h.v, epoch_ms(min(m.erased_at)) FROM h JOIN erasure_markers m ON m.digest = h.d "
        f"AND m.kind IN ({placeholders}) GROUP BY h.v"
    )
    params: dict[str, object] = {"opad": opad, "ipad": ipad}
    params.update({f"k{i}": k for i, k in enumerate(kind_list)})
    try:
        rows = con.execute(sql, params).fetchall()
    except duckdb.Error as exc:
        raise StoreError(f"cannot check erasure markers on {column}: {exc}") from exc
    return {str(v): _aware(at) for v, at in rows}


def erasure_reason(at: datetime) -> str:
    """The quarantine reason for data about an erased subscriber."""
    day = at.astimezone(UTC).date().isoformat()
    return f"subscriber erased on {day} (GDPR Art. 17): data about them is refused"


ERASED_RECORD = "(not kept: the subscriber was erased)"
"""What the quarantine keeps instead of the refused row, so the erasure holds there too."""


MIRROR_FILE = "erasure_markers.json"
"""A copy of the markers (digests and times only) beside the store, readable while another
process holds the DuckDB catalog: a long-running receiver checks it without waiting."""


def mirror_path(settings: Settings) -> Path:
    return settings.store_dir / MIRROR_FILE


def publish_mirror(settings: Settings, con: Any) -> int:
    """Write every marker to the mirror file (atomically); returns how many."""
    rows = con.execute(
        "SELECT kind, digest, epoch_ms(min(erased_at)) FROM erasure_markers GROUP BY kind, digest"
    ).fetchall()
    mirror: dict[str, dict[str, int]] = {}
    for kind, found, at_ms in rows:
        mirror.setdefault(str(kind), {})[str(found)] = int(at_ms)
    target = mirror_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(mirror, sort_keys=True), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise RightsError(f"cannot write the erasure markers' copy {target}: {exc}") from exc
    return len(rows)


class ErasedLookup:
    """Marker checks one value at a time (MQTT telemetry), hashing each value once."""

    def __init__(self, key: bytes | None, markers: Mapping[str, datetime]) -> None:
        self.key = key
        self.markers = dict(markers)
        self._seen: dict[str, datetime | None] = {}

    @classmethod
    def load(cls, settings: Settings, kind: str) -> ErasedLookup:
        """Markers of one kind (empty when nobody was erased), from the mirror file: no
        catalog lock is needed, so a receiver reads them while an ingestion runs."""
        mirror = mirror_path(settings)
        if not mirror.exists():
            return cls(None, {})
        try:
            every = json.loads(mirror.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RightsError(f"cannot read the erasure markers' copy {mirror}: {exc}") from exc
        if not any(every.values()):
            return cls(None, {})
        key = require_key(settings)  # markers without their key: an error, never a pass
        found = every.get(kind, {})
        return cls(key, {str(d): _aware(ms) for d, ms in found.items()})

    def erased_on(self, value: str) -> datetime | None:
        if self.key is None or not self.markers:
            return None
        if value not in self._seen:
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen[value] = self.markers.get(digest(self.key, value))
        return self._seen[value]


def require_key(settings: Settings) -> bytes:
    """The key for checking markers that exist (a missing key is an error, not a pass)."""
    key = erasure_key(settings)
    if key is None:
        raise RightsError(f"erasure markers exist but their key {key_path(settings)} is missing")
    return key


def _aware(epoch_ms: Any) -> datetime:
    """A marker time, read as epoch milliseconds (DuckDB hands TIMESTAMPTZ to Python only
    through pytz, which trustflux does not need)."""
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC)
