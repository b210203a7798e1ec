"""One file per migration revision (Alembic ignores this one)."""
