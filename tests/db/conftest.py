"""The relational-store fixtures (SQLite and PostgreSQL) for the schema tests."""

from db_fixtures import db_url, engine, register

__all__ = ["db_url", "engine", "register"]
