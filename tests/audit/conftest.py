"""Audit fixtures: a fresh migrated store per test, on SQLite and on PostgreSQL.

Tests tamper with the table, so none shares a chain. PostgreSQL comes from
``TRUSTFLUX_TEST_DATABASE_URL`` (one schema per test, dropped after it); unset or unreachable:
skipped with the reason, except under CI (``CI`` set), where that fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from trustflux.audit import AuditTrail
from trustflux.db import create_db_engine, upgrade


def _postgres_url() -> Iterator[str]:
    base = os.environ.get("TRUSTFLUX_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("TRUSTFLUX_TEST_DATABASE_URL must be set in CI")
        pytest.skip("TRUSTFLUX_TEST_DATABASE_URL is not set: PostgreSQL variant skipped")
    schema = f"tf_audit_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL at {make_url(base).render_as_string()} unreachable: {exc.orig}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (PostgreSQL variant skipped)")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trustflux.db'}"
    else:
        yield from _postgres_url()


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
