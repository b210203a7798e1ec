"""Fixtures of the rights-workflow suites: a migrated store (SQLite and PostgreSQL, on
``rights_db_url`` from the folder's conftest), the trail, a request book on a clock the test
moves."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from trustflux.audit import AuditTrail
from trustflux.config import Settings
from trustflux.db import create_db_engine, upgrade
from trustflux.register import Register, load_register
from trustflux.rights.requests import RequestBook

ROOT = Path(__file__).resolve().parents[2]
_OPS = str(ROOT / "tests" / "operations")
if _OPS not in sys.path:  # the operations suite's helpers (tiny operator, home copies)
    sys.path.insert(0, _OPS)
START = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


class Clock:
    """A clock the test sets and moves."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def rights_register() -> Register:
    return load_register(ROOT / "register")


@pytest.fixture(scope="module")
def rights_engine(rights_db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(rights_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def trail(rights_engine: Engine) -> AuditTrail:
    return AuditTrail(rights_engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(
    rights_engine: Engine, trail: AuditTrail, clock: Clock, rights_register: Register
) -> RequestBook:
    return RequestBook(rights_engine, trail, clock, register=rights_register)


@pytest.fixture
def subject() -> str:
    """A subscriber id no other test uses (tests of a module share one database)."""
    return f"T{uuid.uuid4().hex[:15]}"


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The operations suite's tiny operator (subscribers S1..S5), ingested into a fresh home."""
    from ops_support import tiny_tables

    from input_support import write_inputs
    from trustflux.events.ingest import ingest_directory

    root = tmp_path_factory.mktemp("rights-tiny")
    settings = Settings(
        home=root / "home", register_dir=ROOT / "register", duckdb_memory_limit="1GB"
    )
    ingest_directory(
        settings, write_inputs(tiny_tables(), root / "in"), now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    return settings


@pytest.fixture(scope="module")
def world_copy(
    small_world: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings on a private copy of the session's small world (1,500 subscribers, 2 days)."""
    from ops_support import copy_home

    return copy_home(small_world, tmp_path_factory.mktemp("rights-world"))
