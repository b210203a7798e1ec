"""``trustflux statistics ...``: publish and maintain the anonymised mobility statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustflux.cli_console import RichReporter, err, out, parse_date
from trustflux.config import load_settings
from trustflux.errors import TrustfluxError

statistics_app = typer.Typer(
    help="Anonymised mobility statistics: footfall, origin and movement.", no_args_is_help=True
)


def read_objectors(path: Path) -> list[str]:
    """Subscriber ids, one per line (a header line 'subscriber_id' is allowed)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TrustfluxError(f"--objectors: cannot read {path}: {exc}") from exc
    ids = [line.strip().split(",")[0] for line in lines if line.strip()]
    return [i for i in ids if i != "subscriber_id"]


@statistics_app.command("run")
def statistics_run(
    start: Annotated[str, typer.Option(help="First local day of the period, YYYY-MM-DD.")],
    days: Annotated[int, typer.Option(help="Days in the period (one key, one release).")] = 1,
    engine: Annotated[str | None, typer.Option(help="duckdb (default) or spark.")] = None,
    objectors: Annotated[
        Path | None,
        typer.Option(
            help="File of subscriber ids who objected, instead of asking the policy gate "
            "(register + consent ledger), which is the default."
        ),
    ] = None,
    home: Annotated[Path | None, typer.Option(help="trustflux home.")] = None,
) -> None:
    """Publish the statistics of one period: stages 1-7, then the period's key is destroyed."""
    from trustflux.mobility.calendar import Period
    from trustflux.mobility.pipeline import run_statistics

    first = parse_date(start, "--start")
    settings = load_settings(home=home)
    ids = read_objectors(objectors) if objectors else []
    result = run_statistics(
        settings,
        Period(first, days, settings.slot_minutes),
        engine=engine,
        objectors=ids,
        reporter=RichReporter(err),
    )
    print_release(result)


def print_release(result: object) -> None:
    """What a user needs after a release: where it is and what it spent."""
    meta = result.metadata  # type: ignore[attr-defined]
    privacy = meta["privacy"]
    out.print(f"release: {result.release_dir.resolve()}")  # type: ignore[attr-defined]
    out.print(f"report:  {result.report.resolve()}")  # type: ignore[attr-defined]
    out.print(
        f"privacy: epsilon {privacy['epsilon']:.3f}, delta {privacy['delta']:g} per device-day "
        f"(rho {privacy['rho']:.5f}); counts below k={privacy['k']} or the noise threshold "
        "withheld"
    )
    counts = result.counts  # type: ignore[attr-defined]
    out.print(
        f"input: {counts['events_in_period']:,} events in the period, "
        f"{counts['events_kept']:,} after opt-out, {counts['devices']:,} devices "
        f"(engine: {result.engine})"  # type: ignore[attr-defined]
    )


@statistics_app.command("purge")
def statistics_purge(
    home: Annotated[Path | None, typer.Option(help="trustflux home.")] = None,
) -> None:
    """Delete pseudonymised rows whose retention window has passed."""
    from trustflux.mobility.pipeline import purge_expired

    purged = purge_expired(load_settings(home=home))
    out.print(f"purged {len(purged)} period(s): {', '.join(purged) or 'none due'}")
