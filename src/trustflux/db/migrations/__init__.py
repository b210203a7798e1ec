"""Alembic migrations of the relational store (``versions/`` holds one file per revision)."""
