"""Audit fixtures: a fresh migrated store per test, on SQLite and on PostgreSQL.

Tests tamper with the table, so none shares a chain. PostgreSQL comes from
``TRUSTFLUX_TEST_DATABASE_URL`` (one schema per test, dropped after it); unset or unreachable:
skipped with the reason, except under CI (``CI`` set), where that fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db_fixtures import postgres_schema_url
from trustflux.audit import AuditTrail
from trustflux.db import create_db_engine, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trustflux.db'}"
    else:
        yield from postgres_schema_url("tf_audit")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def trail(engine: Engine) -> AuditTrail:
    return AuditTrail(engine)


Tamper = Callable[..., None]


@pytest.fixture
def tamper(engine: Engine) -> Tamper:
    """Run raw SQL on the trail as someone who can switch its append-only triggers off."""

    def run(*statements: str) -> None:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
            for statement in statements:
                conn.execute(text(statement))

    return run
