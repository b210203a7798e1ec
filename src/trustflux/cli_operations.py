"""``trustflux ops ...``: the operations jobs, each under its one declared purpose.

Every command asks the gate who it may process (``gate_factory``), runs its job and hands the
run record to the recorder (``recorder_factory``). Until the main CLI plugs in the real gate
and the audit trail with ``use(...)``, the register-only gate and the JSON-lines recorder
are used.
"""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trustflux.cli_console import err, out, parse_date, parse_moment
from trustflux.config import Settings, load_settings
from trustflux.errors import TrustfluxError

if TYPE_CHECKING:  # the jobs' modules are imported when a command runs, not with the CLI
    import pyarrow as pa

    from trustflux.operations.common import Window
    from trustflux.operations.diagnostics import Diagnosis
    from trustflux.operations.gate import PurposeGate
    from trustflux.operations.records import RunRecord, RunRecorder
    from trustflux.operations.tickets import Ticket, TicketDesk

ops_app = typer.Typer(
    help="Operations under purpose limitation: billing, fraud, network, offers, gateways.",
    no_args_is_help=True,
)


def register_only_gate(settings: Settings) -> PurposeGate:
    from trustflux.operations.gate import RegisterOnlyGate
    from trustflux.register import load_register

    return RegisterOnlyGate(load_register(settings.register_dir))


def jsonl_recorder(settings: Settings) -> RunRecorder:
    from trustflux.operations.common import default_recorder

    return default_recorder(settings)


gate_factory: Callable[[Settings], PurposeGate] = register_only_gate
recorder_factory: Callable[[Settings], RunRecorder] = jsonl_recorder


def use(
    gate: Callable[[Settings], PurposeGate] | None = None,
    recorder: Callable[[Settings], RunRecorder] | None = None,
) -> None:
    """Plug the real gate (register + ledger) and the audit trail into every ops command."""
    global gate_factory, recorder_factory
    if gate is not None:
        gate_factory = gate
    if recorder is not None:
        recorder_factory = recorder


HomeOpt = Annotated[Path | None, typer.Option("--home", help="trustflux home.")]
RegisterOpt = Annotated[Path | None, typer.Option("--register", help="Register folder.")]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="Ask the gate about this time (ISO 8601, default now).")
]
ActorOpt = Annotated[
    str | None, typer.Option("--actor", help="Who runs the job (default: the OS user).")
]
EngineOpt = Annotated[str | None, typer.Option(help="duckdb (default) or spark.")]
EligibleOpt = Annotated[
    Path | None,
    typer.Option(
        "--eligible",
        help="Parquet file with the gate's answer (`trustflux gate eligible PURPOSE --out F`) "
        "instead of asking the gate here.",
    ),
]
StartOpt = Annotated[str, typer.Option("--start", help="First local day, YYYY-MM-DD.")]
DaysOpt = Annotated[int, typer.Option("--days", help="Number of local days.")]


def _settings(home: Path | None, register: Path | None = None) -> Settings:
    return load_settings(home=home, register_dir=register)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _moment(text: str | None, default: datetime | None = None, flag: str = "--at") -> datetime:
    return parse_moment(text, flag) or default or datetime.now(UTC)


def _eligible(settings: Settings, purpose: str, at: datetime, file: Path | None) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from trustflux.operations.gate import ask_gate, eligible_ids

    if file is None:
        return ask_gate(gate_factory(settings), purpose, at, settings)

    try:
        return eligible_ids(pq.read_table(file))
    except (OSError, pa.ArrowInvalid) as exc:
        raise TrustfluxError(f"--eligible: cannot read {file}: {exc}") from exc


def _window(settings: Settings, start: str, days: int) -> Window:
    from trustflux.operations.common import Window

    return Window.local_days(parse_date(start, "--start"), days, settings.local_timezone)


def _run_windowed(
    run: Callable[..., RunRecord],
    purpose: str,
    settings: Settings,
    *,
    start: str,
    days: int,
    at: str | None,
    eligible: Path | None,
    actor: str | None,
    **options: Any,
) -> RunRecord:
    """Run a job over a window: ask the gate (or read its answer) at ``at``, record the run."""
    moment = _moment(at)
    return run(
        settings,
        _eligible(settings, purpose, moment, eligible),
        window=_window(settings, start, days),
        actor=_actor(actor),
        gate_at=moment,
        recorder=recorder_factory(settings),
        **options,
    )


def _report(record: RunRecord, keys: tuple[str, ...]) -> None:
    out.print(f"run {record.run_id} ({record.job}, purpose {record.purpose}, by {record.actor})")
    shown = [k for k in keys if k in record.counts]
    out.print(", ".join(f"{k}: {record.counts[k]:,}" for k in shown), highlight=False)
    for name, path in record.outputs.items():
        out.print(f"  {name}: {Path(path).resolve()}", highlight=False)


@ops_app.command("billing")
def ops_billing(
    month: Annotated[str, typer.Option("--month", help="Billing month, YYYY-MM (local).")],
    tariffs: Annotated[
        Path | None, typer.Option(help="Tariff table CSV (default: the packaged one).")
    ] = None,
    at: AtOpt = None,
    eligible: EligibleOpt = None,
    actor: ActorOpt = None,
    engine: EngineOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Bill one month: invoice lines (Parquet, CSV) that reconcile with the events."""
    from datetime import timedelta

    from trustflux.operations.billing import run_billing
    from trustflux.operations.common import Window
    from trustflux.operations.tariffs import load_tariffs

    settings = _settings(home, register)
    window = Window.month(month, settings.local_timezone)
    # A contract that ended during the month still gets its final bill.
    moment = _moment(at, min(datetime.now(UTC), window.end - timedelta(milliseconds=1)))
    record = run_billing(
        settings,
        _eligible(settings, "billing", moment, eligible),
        month=month,
        actor=_actor(actor),
        gate_at=moment,
        tariffs=load_tariffs(tariffs) if tariffs else None,
        recorder=recorder_factory(settings),
        engine=engine,
    )
    _report(
        record,
        (
            "events_read",
            "events_eligible",
            "events_billed",
            "events_not_chargeable",
            "events_quarantined",
            "subscribers_billed",
            "subscribers_quarantined",
            "invoice_lines",
            "amount_cents",
        ),
    )


@ops_app.command("fraud")
def ops_fraud(
    start: StartOpt,
    days: DaysOpt = 1,
    at: AtOpt = None,
    eligible: EligibleOpt = None,
    actor: ActorOpt = None,
    engine: EngineOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """SIM-box, Wangiri and IRSF detectors: alerts with their evidence, for review."""
    from trustflux.operations.fraud import run_fraud

    settings = _settings(home, register)
    record = _run_windowed(
        run_fraud,
        "fraud_detection",
        settings,
        start=start,
        days=days,
        at=at,
        eligible=eligible,
        actor=actor,
        engine=engine,
    )
    _report(
        record,
        (
            "events_read",
            "events_in_scope",
            "events_inbound_roamers",
            "alerts_sim_box",
            "alerts_wangiri",
            "alerts_irsf",
        ),
    )


@ops_app.command("network")
def ops_network(
    start: StartOpt,
    days: DaysOpt = 1,
    at: AtOpt = None,
    eligible: EligibleOpt = None,
    actor: ActorOpt = None,
    engine: EngineOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Load per cell and hour, busy hours, congested cells; device counts with DP noise."""
    from trustflux.operations.network import run_network

    settings = _settings(home, register)
    record = _run_windowed(
        run_network,
        "network_optimisation",
        settings,
        start=start,
        days=days,
        at=at,
        eligible=eligible,
        actor=actor,
        engine=engine,
    )
    _report(
        record,
        (
            "events_read",
            "events_in_scope",
            "cell_hours",
            "cell_hours_devices_suppressed",
            "cells_congested",
        ),
    )
    out.print(
        f"devices: epsilon {record.parameters['epsilon']} per device-day "
        f"(delta {settings.delta:g}), counts below the threshold withheld",
        highlight=False,
    )


@ops_app.command("offers")
def ops_offers(
    start: StartOpt,
    days: DaysOpt = 7,
    at: AtOpt = None,
    eligible: EligibleOpt = None,
    actor: ActorOpt = None,
    engine: EngineOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Offers for consented members only, each with the reasons it matched."""
    from trustflux.operations.offers import run_offers

    settings = _settings(home, register)
    record = _run_windowed(
        run_offers,
        "targeted_offers",
        settings,
        start=start,
        days=days,
        at=at,
        eligible=eligible,
        actor=actor,
        engine=engine,
    )
    _report(
        record,
        ("subscribers_eligible", "subscribers_profiled", "offers", "subscribers_with_offers"),
    )


@ops_app.command("offers-withdraw")
def ops_offers_withdraw(subscriber_id: str, home: HomeOpt = None) -> None:
    """Delete a member's pending offers now (their consent was withdrawn)."""
    from trustflux.operations.offers import withdraw_offers

    removed = withdraw_offers(_settings(home), subscriber_id)
    out.print(f"{removed} pending offer(s) of {subscriber_id} removed")


@ops_app.command("telemetry")
def ops_telemetry(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Telemetry files (.jsonl, .parquet, .csv); none: read MQTT."),
    ] = None,
    url: Annotated[str | None, typer.Option(help="MQTT broker (TRUSTFLUX_MQTT_URL).")] = None,
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    messages: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
    idle: Annotated[
        float | None, typer.Option(help="Stop after this many seconds without a message.")
    ] = None,
    at: AtOpt = None,
    eligible: EligibleOpt = None,
    actor: ActorOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Ingest gateway telemetry from MQTT (for N seconds / N messages) or from files."""
    from trustflux.operations.telemetry import run_telemetry

    if not files and seconds is None and messages is None and idle is None:
        raise TrustfluxError("reading MQTT: give --seconds, --messages or --idle")
    settings = _settings(home, register)
    moment = _moment(at)
    started = time.perf_counter()
    record = run_telemetry(
        settings,
        _eligible(settings, "gateway_diagnostics", moment, eligible),
        actor=_actor(actor),
        gate_at=moment,
        files=files or (),
        url=url,
        max_messages=messages,
        seconds=seconds,
        idle_seconds=idle,
        on_subscribed=lambda: err.print(f"subscribed to {url or settings.mqtt_url}"),
        recorder=recorder_factory(settings),
    )
    _report(
        record,
        (
            "messages",
            "messages_accepted",
            "messages_quarantined",
            "samples_quarantined",
            "values_accepted",
            "values_quarantined",
        ),
    )
    out.print(
        f"{record.counts['messages'] / max(1e-9, time.perf_counter() - started):,.0f} messages/s"
    )


def _print_diagnosis(diagnosis: Diagnosis, *, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(diagnosis.as_dict()))
        return
    out.print(
        f"{diagnosis.gateway_id}: {diagnosis.status} ({diagnosis.samples} samples, "
        f"{diagnosis.window_start:%Y-%m-%d %H:%M} to {diagnosis.window_end:%Y-%m-%d %H:%M} UTC)",
        highlight=False,
    )
    for f in diagnosis.findings:
        out.print(f"- {f.title}: {f.summary}", highlight=False)
        for e in f.evidence:
            out.print(f"    {e.ts:%Y-%m-%d %H:%M} {e.path} = {e.value} ({e.note})", highlight=False)


@ops_app.command("diagnostics")
def ops_diagnostics(
    start: StartOpt,
    days: DaysOpt = 1,
    at: AtOpt = None,
    eligible: EligibleOpt = None,
    actor: ActorOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Diagnose every gateway of the eligible subscribers over a window (findings file)."""
    from trustflux.operations.diagnostics import PURPOSE, run_diagnostics

    settings = _settings(home, register)
    record = _run_windowed(
        run_diagnostics,
        PURPOSE,
        settings,
        start=start,
        days=days,
        at=at,
        eligible=eligible,
        actor=actor,
    )
    _report(record, ("gateways_eligible", "gateways_with_data", "findings"))


# -- customer-service tickets ------------------------------------------------------------------
ticket_app = typer.Typer(
    help="Customer-service tickets: an agent sees a gateway's diagnosis only under an open "
    "ticket, with a stated reason; every view is audited and shown to the subscriber.",
    no_args_is_help=True,
)
ops_app.add_typer(ticket_app, name="ticket")

ReasonOpt = Annotated[
    str, typer.Option("--reason", help="Why (a few words; shown to the subscriber).")
]
AgentOpt = Annotated[
    str, typer.Option("--agent", help="The agent's name (shown to the subscriber).")
]


@contextmanager
def _ticket_desk(settings: Settings) -> Iterator[TicketDesk]:
    from trustflux.audit import AuditTrail
    from trustflux.db import migrated_engine
    from trustflux.operations.tickets import TicketDesk

    with migrated_engine(settings.sqlalchemy_url) as engine:
        yield TicketDesk(engine, AuditTrail(engine), settings=settings)


def _print_ticket(ticket: Ticket) -> None:
    state = (
        "open"
        if ticket.is_open
        else f"closed {ticket.closed_at:%Y-%m-%d %H:%M} by {ticket.closed_by}"
    )
    out.print(
        f"{ticket.ticket_id}  {ticket.subscriber_id}  gateway {ticket.gateway_id or '-'}  "
        f"{ticket.opened_at:%Y-%m-%d %H:%M} by {ticket.opened_by}  {state}\n    {ticket.reason}",
        highlight=False,
    )


@ticket_app.command("open")
def ticket_open(
    subscriber_id: str,
    reason: ReasonOpt,
    agent: AgentOpt,
    gateway: Annotated[
        str | None, typer.Option("--gateway", help="Gateway (default: the one in the contract).")
    ] = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Open a ticket for a subscriber who contacted customer service."""
    settings = _settings(home, register)
    with _ticket_desk(settings) as desk:
        ticket = desk.open(subscriber_id, reason=reason, agent=agent, gateway_id=gateway)
    out.print(f"ticket {ticket.ticket_id} opened", highlight=False)
    _print_ticket(ticket)


@ticket_app.command("close")
def ticket_close(
    ticket_id: str,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Who closes it (default: the OS user).")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Close a ticket: its gateway's diagnosis is no longer visible under it."""
    settings = _settings(home)
    with _ticket_desk(settings) as desk:
        ticket = desk.close(ticket_id, agent=_actor(agent))
    _print_ticket(ticket)


@ticket_app.command("list")
def ticket_list(
    all_tickets: Annotated[bool, typer.Option("--all", help="Closed tickets too.")] = False,
    subscriber: Annotated[
        str | None, typer.Option("--subscriber", help="One subscriber's tickets.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """Tickets, oldest first (open ones unless --all)."""
    settings = _settings(home)
    with _ticket_desk(settings) as desk:
        found = desk.list(open_only=not all_tickets, subscriber_id=subscriber)
    if as_json:
        out.print_json(json.dumps([t.as_dict() for t in found]))
        return
    for ticket in found:
        _print_ticket(ticket)
    out.print(f"{len(found)} ticket(s)", highlight=False)


@ticket_app.command("diagnose")
def ticket_diagnose(
    ticket_id: str,
    reason: ReasonOpt,
    agent: AgentOpt,
    hours: Annotated[int, typer.Option(help="Hours of telemetry before --at.")] = 24,
    at: AtOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diagnosis as JSON.")] = False,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """See the gateway's diagnosis under an open ticket (audited, shown to the subscriber)."""
    from trustflux.gate import Gate
    from trustflux.operations.tickets import view_diagnosis
    from trustflux.register import load_register

    settings = _settings(home, register)
    with _ticket_desk(settings) as desk:
        gate = Gate(
            desk.engine,
            load_register(settings.register_dir),
            refresh_seconds=settings.governance_refresh_seconds,
        )
        diagnosis = view_diagnosis(
            settings,
            desk,
            gate,
            ticket_id,
            agent=agent,
            reason=reason,
            at=_moment(at) if at else None,
            hours=hours,
        )
    _print_diagnosis(diagnosis, as_json=as_json)
    if not as_json:
        err.print("this view is recorded in the audit trail and shown to the subscriber")


# -- retention -------------------------------------------------------------------------------
@ops_app.command("retention")
def ops_retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be deleted; delete nothing.")
    ] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Apply retention as of this time (ISO 8601).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    actor: ActorOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Delete operations outputs and store partitions older than the register's retention."""
    from trustflux.audit import AuditTrail
    from trustflux.db import migrated_engine
    from trustflux.operations.retention import apply_retention
    from trustflux.register import load_register

    settings = _settings(home, register)
    moment = _moment(now, flag="--now")
    with migrated_engine(settings.sqlalchemy_url) as engine:
        report = apply_retention(
            settings,
            load_register(settings.register_dir),
            now=moment,
            dry_run=dry_run,
            trail=AuditTrail(engine),
            actor=_actor(actor),
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    verb = "would remove" if dry_run else "removed"
    for t in report.targets:
        out.print(
            f"{t.target}: {verb} {len(t.removed)} ({t.files} files, {t.rows:,} rows), "
            f"kept {len(t.kept)}  [{t.rule}]",
            highlight=False,
        )
        for name in t.removed:
            out.print(f"    - {name}", highlight=False)
    totals = report.totals()
    out.print(
        f"retention at {report.now:%Y-%m-%d %H:%M} UTC: {verb} {totals['removed']} "
        f"({totals['files']} files, {totals['rows']:,} rows); kept {totals['kept']}"
        + (" (dry run: nothing deleted)" if dry_run else ""),
        highlight=False,
    )
