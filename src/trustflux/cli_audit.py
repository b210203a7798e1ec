"""``trustflux audit ...``: read and verify the hash-chained audit trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from trustflux.cli_console import err, out
from trustflux.config import load_settings

if TYPE_CHECKING:
    from trustflux.audit import AuditTrail

audit_app = typer.Typer(
    help="The audit trail: every access, decision, job run and release.", no_args_is_help=True
)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="trustflux home.")]


def _trail(home: Path | None) -> AuditTrail:
    from trustflux.audit import AuditTrail
    from trustflux.db import create_db_engine, upgrade

    engine = create_db_engine(load_settings(home=home).sqlalchemy_url)
    upgrade(engine)
    return AuditTrail(engine)


@audit_app.command("verify")
def audit_verify(home: HomeOpt = None) -> None:
    """Check the hash chain; exit 1 naming the first altered, removed or reordered entry."""
    trail = _trail(home)
    try:
        report = trail.verify()
    finally:
        trail.engine.dispose()
    if report.problem is not None:
        err.print(
            f"Error: {report.problem} ({report.count} entries before it verified)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    out.print(f"audit trail verified: {report.count} entries, chain intact", highlight=False)


@audit_app.command("list")
def audit_list(
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only entries about this subscriber id.")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Print the entries, oldest first."""
    trail = _trail(home)
    try:
        entries = trail.entries(subject=subject)
    finally:
        trail.engine.dispose()
    table = Table("seq", "time (UTC)", "actor", "action", "purpose", "subject", "details")
    for e in entries:
        table.add_row(
            str(e.seq),
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.purpose or "",
            e.subject or "",
            json.dumps(dict(e.details), sort_keys=True, ensure_ascii=False),
        )
    out.print(table)
    out.print(f"{len(entries)} entries")
