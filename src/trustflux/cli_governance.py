"""``trustflux dpo ...``: the DPO's decisions the gate obeys (DPIA status, restrictions)."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from trustflux.cli_console import out
from trustflux.cli_operations import HomeOpt, RegisterOpt, _actor, _moment, _settings
from trustflux.config import Settings
from trustflux.errors import TrustfluxError

if TYPE_CHECKING:
    from sqlalchemy import Engine

dpo_app = typer.Typer(
    help="The DPO's decisions the policy gate obeys: DPIA approvals and restrictions of "
    "processing (GDPR Art. 18). Each one is in the audit trail.",
    no_args_is_help=True,
)

ActorOpt = Annotated[
    str | None, typer.Option("--actor", help="Who decides (default: the OS user).")
]
AtOpt = Annotated[str | None, typer.Option("--at", help="When (ISO 8601, default now).")]


def _engine(settings: Settings) -> AbstractContextManager[Engine]:
    from trustflux.db import migrated_engine

    return migrated_engine(settings.sqlalchemy_url)


@dpo_app.command("dpia")
def dpia_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Each purpose's DPIA status: the register's, and the one in force (latest decision)."""
    from trustflux.gate.governance import dpia_statuses
    from trustflux.register import load_register

    settings = _settings(home, register)
    reg = load_register(settings.register_dir)
    with _engine(settings) as engine:
        effective = dpia_statuses(engine, reg)
    rows = [
        {
            "purpose": p.id,
            "register": p.dpia.status.value,
            "in_force": effective[p.id].value,
            "cleared": effective[p.id].value in ("approved", "not_required"),
        }
        for p in reg.purposes
    ]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("purpose", "register (YAML)", "in force", "processing")
    for row in rows:
        table.add_row(
            str(row["purpose"]),
            str(row["register"]),
            str(row["in_force"]),
            "allowed" if row["cleared"] else "stopped",
        )
    out.print(table)


@dpo_app.command("decide")
def dpia_decide(
    purpose: str,
    status: Annotated[str, typer.Argument(help="approved, rejected, in_review, draft, ...")],
    note: Annotated[str, typer.Option("--note", help="Why (kept in the records).")],
    at: AtOpt = None,
    actor: ActorOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Record the DPO's DPIA decision on a purpose; the gate obeys it from then on."""
    from trustflux.gate.governance import record_dpia_decision
    from trustflux.register import DpiaStatus, load_register

    try:
        decided = DpiaStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in DpiaStatus)
        raise TrustfluxError(f"unknown DPIA status {status!r} (one of: {known})") from None
    settings = _settings(home, register)
    with _engine(settings) as engine:
        record_dpia_decision(
            engine,
            load_register(settings.register_dir),
            purpose,
            decided,
            actor=_actor(actor),
            note=note,
            at=_moment(at),
        )
    out.print(f"DPIA of {purpose}: {decided.value} (recorded in the audit trail)", highlight=False)


@dpo_app.command("history")
def dpia_history_command(purpose: str, home: HomeOpt = None) -> None:
    """Every DPO decision on a purpose's DPIA, oldest first."""
    from trustflux.gate.governance import dpia_history

    with _engine(_settings(home)) as engine:
        history = dpia_history(engine, purpose)
    for d in history:
        out.print(
            f"{d.decided_at:%Y-%m-%d %H:%M} UTC  {d.status.value}  by {d.decided_by}: {d.note}",
            highlight=False,
        )
    out.print(f"{len(history)} decision(s) on {purpose}", highlight=False)


@dpo_app.command("restrict")
def restrict_command(
    subject: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (the contested point).")],
    request: Annotated[
        str | None, typer.Option("--request", help="The rights request it answers.")
    ] = None,
    at: AtOpt = None,
    actor: ActorOpt = None,
    home: HomeOpt = None,
) -> None:
    """Restrict processing of a person's data: every purpose but privacy_compliance stops."""
    from trustflux.gate.governance import restrict

    with _engine(_settings(home)) as engine:
        restrict(
            engine, subject, reason=reason, request_id=request, at=_moment(at), actor=_actor(actor)
        )
    out.print(f"processing of {subject}'s data is restricted", highlight=False)


@dpo_app.command("lift")
def lift_command(
    subject: str, at: AtOpt = None, actor: ActorOpt = None, home: HomeOpt = None
) -> None:
    """Lift a restriction of processing (GDPR Art. 18(3): tell the person first)."""
    from trustflux.gate.governance import lift_restriction

    with _engine(_settings(home)) as engine:
        lifted = lift_restriction(engine, subject, actor=_actor(actor), at=_moment(at))
    if not lifted:
        raise TrustfluxError(f"{subject} has no restriction in force")
    out.print(f"restriction of {subject} lifted", highlight=False)


@dpo_app.command("restrictions")
def restrictions_command(
    all_periods: Annotated[bool, typer.Option("--all", help="Lifted ones too.")] = False,
    subject: Annotated[str | None, typer.Option("--subject", help="One person's.")] = None,
    home: HomeOpt = None,
) -> None:
    """Restrictions of processing (open ones unless --all)."""
    from trustflux.db.engine import read_only
    from trustflux.gate.governance import restrictions_of

    with _engine(_settings(home)) as engine, read_only(engine).connect() as conn:
        periods = restrictions_of(conn, None if subject is None else [subject])
    shown = [p for p in periods if all_periods or p.lifted_at is None]
    for p in shown:
        until = "open" if p.lifted_at is None else f"lifted {p.lifted_at:%Y-%m-%d %H:%M}"
        request = f" (request {p.request_id})" if p.request_id else ""
        out.print(
            f"{p.subject_id}  since {p.restricted_at:%Y-%m-%d %H:%M}  {until}{request}: {p.reason}",
            highlight=False,
        )
    out.print(f"{len(shown)} restriction(s)", highlight=False)
