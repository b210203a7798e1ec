"""``trustflux audit verify`` and ``audit list`` on the embedded store of a home."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from trustflux.audit import AuditTrail
from trustflux.cli import app
from trustflux.config import load_settings
from trustflux.db import create_db_engine, upgrade


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"TRUSTFLUX_DATABASE_URL": ""})
    return result.exit_code, result.output


@pytest.fixture
def home(tmp_path: Path) -> str:
    home = tmp_path / "home"
    engine = create_db_engine(load_settings(home=home).sqlalchemy_url)
    upgrade(engine)
    trail = AuditTrail(engine)
    for subject in ("S000000001", "S000000002", "S000000001"):
        trail.append("agent:alice", "agent_view", purpose="customer_care", subject=subject)
    engine.dispose()
    return str(home)


def test_verify_prints_the_count_when_intact(home: str) -> None:
    code, out = _run("audit", "verify", "--home", home)
    assert code == 0 and "3 entries" in out


def test_verify_exits_1_naming_the_broken_entry(home: str) -> None:
    engine = create_db_engine(load_settings(home=Path(home)).sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_entries_no_update"))
        conn.execute(text("UPDATE audit_entries SET subject = 'S000000009' WHERE seq = 2"))
    engine.dispose()
    code, out = _run("audit", "verify", "--home", home)
    assert code == 1
    assert "Error: audit entry 2 altered" in out


def test_list_filters_by_subject(home: str) -> None:
    code, out = _run("audit", "list", "--subject", "S000000001", "--home", home)
    assert code == 0 and "2 entries" in out and "S000000002" not in out
