"""Ledger fixtures: the shared relational-store fixtures (see tests/db_fixtures.py)."""

from db_fixtures import db_url, engine, ledger, register, sid

__all__ = ["db_url", "engine", "ledger", "register", "sid"]
