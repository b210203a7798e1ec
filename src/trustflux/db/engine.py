"""One SQLAlchemy engine per process, tuned for the backend behind the URL.

SQLite (the embedded default) gets WAL, full sync (a committed choice survives a power cut),
foreign keys and ``BEGIN IMMEDIATE`` so two writer processes queue instead of failing on a lock
upgrade. PostgreSQL keeps its defaults (``synchronous_commit=on``) with a pool sized for the
web workers' batch threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from trustflux.errors import DatabaseError

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    # Deleted rows (an erased subscriber's contract period and account) are overwritten on
    # disk, not left in free pages until they are reused.
    "PRAGMA secure_delete=ON",
)


def create_db_engine(url: str, *, pool_size: int = 8, echo: bool = False) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"database URL {url!r} is not a SQLAlchemy URL: {exc}") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(url, parsed.database, echo=echo)
        if backend == "postgresql":
            return create_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=False,
                echo=echo,
            )
    except NoSuchModuleError as exc:
        raise DatabaseError(f"no driver for {url!r}: {exc}") from None
    raise DatabaseError(
        f"database URL {parsed.render_as_string(hide_password=True)!r}: only sqlite and "
        "postgresql (postgresql+psycopg://...) are supported"
    )


def _sqlite_engine(url: str, database: str | None, *, echo: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def read_only(engine: Engine) -> Engine:
    """The same pool in autocommit: one round trip per read, no BEGIN/ROLLBACK around it."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")
