"""``trustflux dpo``: DPIA decisions and restrictions from the command line, in a fresh home."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from trustflux.audit import AuditTrail
from trustflux.cli_governance import dpo_app
from trustflux.db import create_db_engine
from trustflux.errors import GateError, TrustfluxError
from trustflux.gate import Gate
from trustflux.register import load_register

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_the_dpo_commands(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    reg = ["--register", str(ROOT / "register")]
    at = "2026-03-02T09:00:00+00:00"

    shown = runner.invoke(dpo_app, ["dpia", "--json", *home, *reg])
    assert shown.exit_code == 0, shown.output
    assert '"in_force": "approved"' in shown.output

    decide = ["decide", "targeted_offers", "rejected", "--note", "profiling widened"]
    decided = runner.invoke(
        dpo_app, [*decide, "--at", at, "--actor", "Camille Laurent (DPO)", *home, *reg]
    )
    assert decided.exit_code == 0, decided.output
    table = runner.invoke(dpo_app, ["dpia", *home, *reg])
    assert "rejected" in table.output and "stopped" in table.output
    history = runner.invoke(dpo_app, ["history", "targeted_offers", *home])
    assert "profiling widened" in history.output and "1 decision(s)" in history.output
    bad = runner.invoke(dpo_app, ["decide", "billing", "maybe", "--note", "x", *home, *reg])
    assert isinstance(bad.exception, TrustfluxError) and "unknown DPIA status" in str(bad.exception)
    unknown = runner.invoke(dpo_app, ["decide", "telepathy", "approved", "--note", "x", *home])
    assert isinstance(unknown.exception, GateError)

    restricted = runner.invoke(
        dpo_app,
        ["restrict", "S000000042", "--reason", "accuracy contested", "--at", at, *home],
    )
    assert restricted.exit_code == 0, restricted.output
    listed = runner.invoke(dpo_app, ["restrictions", *home])
    assert "S000000042" in listed.output and "1 restriction(s)" in listed.output

    engine = create_db_engine(f"sqlite:///{(tmp_path / 'home' / 'trustflux.db').resolve()}")
    gate = Gate(engine, load_register(ROOT / "register"))
    assert gate.decide("S000000042", "fraud_detection").code == "restricted"
    assert gate.decide("S000000001", "targeted_offers").code == "dpia_not_cleared"

    lifted = runner.invoke(dpo_app, ["lift", "S000000042", *home])
    assert lifted.exit_code == 0, lifted.output
    again = runner.invoke(dpo_app, ["lift", "S000000042", *home])
    assert isinstance(again.exception, TrustfluxError)
    assert "0 restriction(s)" in runner.invoke(dpo_app, ["restrictions", *home]).output
    assert "lifted" in runner.invoke(dpo_app, ["restrictions", "--all", *home]).output

    actions = [e.action for e in AuditTrail(engine).entries()]
    assert actions == ["dpia.decided", "processing.restricted", "processing.restriction_lifted"]
    engine.dispose()
