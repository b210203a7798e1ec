"""The ticket desk and the audited diagnosis view: no ticket, no reason or a gate that says no
means no diagnosis; every view is in the audit trail about the subscriber."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from ops_support import ROOT
from sqlalchemy import Engine
from typer.testing import CliRunner

from trustflux.audit import AuditTrail
from trustflux.cli_operations import ops_app
from trustflux.config import Settings
from trustflux.db import create_db_engine, upgrade
from trustflux.errors import NotEligibleError, TicketError
from trustflux.gate import Gate, record_dpia_decision, restrict, sync_subscribers
from trustflux.operations.common import Window
from trustflux.operations.gate import gate_subscribers
from trustflux.operations.tickets import TicketDesk, view_diagnosis
from trustflux.register import DpiaStatus, Register, load_register

REASON = "customer reports the Wi-Fi drops every evening"
runner = CliRunner()


@dataclass
class Desk:
    settings: Settings
    engine: Engine
    register: Register
    desk: TicketDesk
    gate: Gate
    trail: AuditTrail
    gateway: str
    owner: str
    fault: str
    at: datetime


def _fault(settings: Settings, world: Path, window: Window) -> tuple[str, str, str, datetime]:
    """(gateway, its subscriber, the injected fault, a time it shows) from the world's truth."""
    fault = pq.read_table(world / "truth" / "gateway_faults.parquet").to_pylist()[0]
    subs = pq.read_table(settings.store_dir / "subscribers").to_pylist()
    owner = next(s["subscriber_id"] for s in subs if s["gateway_id"] == fault["gateway_id"])
    return fault["gateway_id"], owner, fault["fault"], min(fault["end"], window.end)


@pytest.fixture
def desk(world_home: tuple[Settings, Path], world_window: Window, tmp_path: Path) -> Iterator[Desk]:
    settings, world = world_home
    engine = create_db_engine(f"sqlite:///{tmp_path / 'trustflux.db'}")
    upgrade(engine)
    sync_subscribers(engine, gate_subscribers(settings), now=datetime(2026, 3, 1, tzinfo=UTC))
    register = load_register(ROOT / "register")
    trail = AuditTrail(engine)
    gateway, owner, fault, at = _fault(settings, world, world_window)
    try:
        yield Desk(
            settings,
            engine,
            register,
            TicketDesk(engine, trail, settings=settings),
            Gate(engine, register, refresh_seconds=0),
            trail,
            gateway,
            owner,
            fault,
            at,
        )
    finally:
        engine.dispose()


def _view(d: Desk, ticket_id: str, reason: str = "checking the evening Wi-Fi drops") -> Any:
    return view_diagnosis(
        d.settings, d.desk, d.gate, ticket_id, agent="agent.martin", reason=reason, at=d.at
    )


def test_no_ticket_no_diagnosis(desk: Desk) -> None:
    with pytest.raises(TicketError, match="no ticket"):
        _view(desk, "00000000-0000-0000-0000-000000000000")
    assert desk.trail.entries() == []


def test_an_open_ticket_and_a_reason_give_the_diagnosis_and_an_audit_entry(desk: Desk) -> None:
    ticket = desk.desk.open(desk.owner, reason=REASON, agent="agent.martin")
    assert ticket.is_open and ticket.gateway_id == desk.gateway  # from the contract
    with pytest.raises(TicketError, match="reason"):
        _view(desk, ticket.ticket_id, reason="  ")
    with pytest.raises(TicketError, match="at least 3 words"):
        _view(desk, ticket.ticket_id, reason="wifi")

    diagnosis = _view(desk, ticket.ticket_id)
    assert desk.fault in [f.fault for f in diagnosis.findings]
    entries = desk.trail.entries(subject=desk.owner)
    assert [e.action for e in entries] == ["ticket.opened", "agent.viewed_diagnosis"]
    viewed = entries[-1]
    assert viewed.actor == "agent.martin" and viewed.purpose == "gateway_diagnostics"
    assert viewed.details["ticket_id"] == ticket.ticket_id
    assert viewed.details["gateway_id"] == desk.gateway
    assert viewed.details["reason"] == "checking the evening Wi-Fi drops"
    assert viewed.details["findings"] == len(diagnosis.findings) > 0
    assert entries[0].details["reason"] == REASON
    assert desk.trail.verify().ok
    assert [t.ticket_id for t in desk.desk.list()] == [ticket.ticket_id]
    assert [t.ticket_id for t in desk.desk.list(subscriber_id=desk.owner)] == [ticket.ticket_id]
    assert desk.desk.list(subscriber_id="S_NOBODY") == []


def test_a_closed_ticket_shows_nothing_more(desk: Desk) -> None:
    ticket = desk.desk.open(desk.owner, reason=REASON, agent="agent.martin")
    closed = desk.desk.close(ticket.ticket_id, agent="agent.dubois")
    assert not closed.is_open and closed.closed_by == "agent.dubois"
    with pytest.raises(TicketError, match="closed"):
        _view(desk, ticket.ticket_id)
    with pytest.raises(TicketError, match="already closed"):
        desk.desk.close(ticket.ticket_id, agent="agent.dubois")
    assert desk.desk.list() == []
    assert [t.closed_by for t in desk.desk.list(open_only=False)] == ["agent.dubois"]
    actions = [e.action for e in desk.trail.entries(subject=desk.owner)]
    assert actions == ["ticket.opened", "ticket.closed"]


def test_a_gate_that_says_no_refuses_the_view(desk: Desk) -> None:
    ticket = desk.desk.open(desk.owner, reason=REASON, agent="agent.martin")
    restrict(
        desk.engine,
        desk.owner,
        reason="the subscriber contests the accuracy of the data",
        request_id=None,
        at=desk.at - timedelta(days=1),
        actor="dpo",
    )
    with pytest.raises(NotEligibleError, match="restricted"):
        _view(desk, ticket.ticket_id)
    assert "agent.viewed_diagnosis" not in [e.action for e in desk.trail.entries()]


def test_a_view_of_past_measurements_needs_the_gate_now_too(desk: Desk) -> None:
    """--at in the past does not reach back before a restriction opened since: the agent
    looks now, so the gate is asked now as well as at the time the measurements describe."""
    ticket = desk.desk.open(desk.owner, reason=REASON, agent="agent.martin")
    restrict(
        desk.engine,
        desk.owner,
        reason="the subscriber contests the accuracy of the data",
        request_id=None,
        at=desk.at + timedelta(hours=1),  # after the measurements, before the view
        actor="dpo",
    )
    assert desk.gate.decide(desk.owner, "gateway_diagnostics", desk.at).allow
    with pytest.raises(NotEligibleError, match="restricted"):
        _view(desk, ticket.ticket_id)
    assert "agent.viewed_diagnosis" not in [e.action for e in desk.trail.entries()]


def test_a_rejected_dpia_refuses_the_view(desk: Desk) -> None:
    ticket = desk.desk.open(desk.owner, reason=REASON, agent="agent.martin")
    record_dpia_decision(
        desk.engine,
        desk.register,
        "gateway_diagnostics",
        DpiaStatus.REJECTED,
        actor="dpo",
        note="transfer safeguards lapsed",
        at=desk.at - timedelta(hours=1),
    )
    with pytest.raises(NotEligibleError, match="DPIA"):
        _view(desk, ticket.ticket_id)


def test_a_ticket_names_the_subscriber_s_own_gateway(desk: Desk) -> None:
    with pytest.raises(TicketError, match="not in the contract"):
        desk.desk.open(
            "S000000001" if desk.owner != "S000000001" else "S000000002",
            reason=REASON,
            agent="agent.martin",
            gateway_id=desk.gateway,
        )
    with pytest.raises(TicketError, match="no subscriber"):
        desk.desk.open("S_NOBODY", reason=REASON, agent="agent.martin")
    with pytest.raises(TicketError, match="reason"):
        desk.desk.open(desk.owner, reason="wifi", agent="agent.martin")
    with pytest.raises(TicketError, match="agent"):
        desk.desk.open(desk.owner, reason=REASON, agent=" ")


def test_a_subscriber_without_a_gateway_has_nothing_to_diagnose(desk: Desk) -> None:
    subs = pq.read_table(desk.settings.store_dir / "subscribers").to_pylist()
    mobile_only = next((s["subscriber_id"] for s in subs if s["gateway_id"] is None), None)
    if mobile_only is None:
        pytest.skip("every subscriber of the small world has a gateway")
    ticket = desk.desk.open(mobile_only, reason=REASON, agent="agent.martin")
    assert ticket.gateway_id is None
    with pytest.raises(TicketError, match="names no gateway"):
        _view(desk, ticket.ticket_id)


def test_the_ticket_commands(world_home: tuple[Settings, Path], world_window: Window) -> None:
    settings, world = world_home
    gateway, owner, fault, at = _fault(settings, world, world_window)
    engine = create_db_engine(settings.sqlalchemy_url)
    upgrade(engine)
    sync_subscribers(engine, gate_subscribers(settings), now=datetime(2026, 3, 1, tzinfo=UTC))
    home = ["--home", str(settings.home)]

    opened = runner.invoke(
        ops_app, ["ticket", "open", owner, "--reason", REASON, "--agent", "agent.martin", *home]
    )
    assert opened.exit_code == 0, opened.output
    ticket_id = opened.output.split()[1]
    listed = runner.invoke(ops_app, ["ticket", "list", "--json", *home])
    assert ticket_id in listed.output and gateway in listed.output

    args = ["ticket", "diagnose", ticket_id, "--agent", "agent.martin", "--at", at.isoformat()]
    refused = runner.invoke(ops_app, [*args, "--reason", "x", *home])
    assert refused.exit_code != 0 and isinstance(refused.exception, TicketError)
    shown = runner.invoke(ops_app, [*args, "--reason", "checking evening Wi-Fi drops", *home])
    assert shown.exit_code == 0, shown.output
    assert gateway in shown.output and "Device." in shown.output  # findings with evidence

    closed = runner.invoke(ops_app, ["ticket", "close", ticket_id, "--agent", "agent.m", *home])
    assert closed.exit_code == 0 and "closed" in closed.output
    again = runner.invoke(ops_app, [*args, "--reason", "checking evening Wi-Fi drops", *home])
    assert isinstance(again.exception, TicketError)
    actions = [e.action for e in AuditTrail(engine).entries(subject=owner)]
    assert actions[-3:] == ["ticket.opened", "agent.viewed_diagnosis", "ticket.closed"]
    engine.dispose()
    assert fault
