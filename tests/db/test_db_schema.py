"""The Alembic migrations create exactly the tables that ``db/tables.py`` declares.

The code reads and writes through ``tables.py``; production databases are built by the
migrations. Alembic's own comparison (the one behind ``--autogenerate``) must find nothing
to change, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from trustflux.db.migrate import current_revision, head_revision
from trustflux.db.tables import metadata


def test_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == "0003_rights"


def test_migrations_match_declared_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []
