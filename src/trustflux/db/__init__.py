"""The relational store: engine, tables, migrations (SQLite embedded, PostgreSQL in production)."""

from trustflux.db.engine import create_db_engine, read_only
from trustflux.db.migrate import (
    current_revision,
    head_revision,
    migrated_engine,
    require_current,
    upgrade,
)
from trustflux.db.tables import metadata

__all__ = [
    "create_db_engine",
    "current_revision",
    "head_revision",
    "metadata",
    "migrated_engine",
    "read_only",
    "require_current",
    "upgrade",
]
