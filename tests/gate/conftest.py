"""Gate fixtures: the shared relational-store fixtures (see tests/db_fixtures.py) and a gate."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from db_fixtures import db_url, engine, ledger, register, sid
from trustflux.gate import Gate
from trustflux.register import Register

__all__ = ["db_url", "engine", "gate", "ledger", "register", "sid"]


@pytest.fixture
def gate(engine: Engine, register: Register) -> Gate:
    return Gate(engine, register)
