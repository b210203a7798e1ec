"""Relational-store fixtures shared by the ledger and gate suites: a migrated store on SQLite
and on PostgreSQL, the shipped register, a ledger.

PostgreSQL comes from ``TRUSTFLUX_TEST_DATABASE_URL``; each session gets its own schema, dropped
at the end. Unset or unreachable: those tests are skipped with the reason, except under CI
(``CI`` set), where an unreachable database fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from trustflux.db import create_db_engine, upgrade
from trustflux.ledger import Ledger
from trustflux.register import Register, load_register

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def register() -> Register:
    return load_register(ROOT / "register")


def postgres_schema_url(prefix: str = "tf_test") -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema, dropped afterwards (use with ``yield from``).

    The server comes from ``TRUSTFLUX_TEST_DATABASE_URL``. Unset or unreachable: the test is
    skipped with the reason, except under CI (``CI`` set), where either is a failure.
    """
    base = os.environ.get("TRUSTFLUX_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("TRUSTFLUX_TEST_DATABASE_URL must be set in CI")
        pytest.skip("TRUSTFLUX_TEST_DATABASE_URL is not set: PostgreSQL variant skipped")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store-db') / 'trustflux.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def ledger(engine: Engine, register: Register) -> Ledger:
    return Ledger(engine, register)


@pytest.fixture
def sid() -> str:
    """A subscriber id no other test uses (tests share one database per backend)."""
    return f"T{uuid.uuid4().hex[:15]}"
