"""Rights fixtures: per module and relational backend (SQLite, PostgreSQL), a private world
where one subscriber is held in every store (see ``rights_support.build_world``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rights_support import RightsWorld, build_world

from db_fixtures import postgres_schema_url
from trustflux.config import Settings


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rights_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('rights-db') / 'trustflux.db'}"
    else:
        yield from postgres_schema_url("tf_rights")


@pytest.fixture(scope="module")
def rights_world(
    small_world: tuple[Settings, Path],
    tmp_path_factory: pytest.TempPathFactory,
    rights_db_url: str,
) -> Iterator[RightsWorld]:
    """A private world per module and backend (tests that mutate it copy it first)."""
    world = build_world(small_world, tmp_path_factory.mktemp("rights-world"), rights_db_url)
    yield world
    world.engine.dispose()
