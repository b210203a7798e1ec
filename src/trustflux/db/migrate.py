"""Alembic migrations shipped inside the package, run from Python (no alembic.ini needed).

``trustflux serve`` and ``trustflux db upgrade`` call ``upgrade``; the web app refuses to start
on a database that is behind, rather than failing later on a missing column.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from trustflux.db.engine import create_db_engine
from trustflux.errors import DatabaseError

SCRIPT_LOCATION = "trustflux.db:migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of trustflux."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise DatabaseError("no migrations found in the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database: {exc.orig}") from None


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database to ``revision``; returns the revision reached."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise DatabaseError(f"cannot migrate the database: {exc.orig}") from None
    reached = current_revision(engine)
    return reached or "base"


def require_current(engine: Engine) -> None:
    """Raise unless the database is at the shipped head."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise DatabaseError(
            f"database is at revision {current or 'none'}, this trustflux needs {head}: "
            "run `trustflux db upgrade`"
        )


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    """An engine on ``url``, migrated to the shipped head first, disposed on exit: what every
    command and job that writes the relational store opens."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
