"""The ``trustflux`` command: a thin edge over the core that prints and sets exit codes."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import TyperException

from trustflux import __version__
from trustflux.cli_console import RichReporter
from trustflux.cli_statistics import print_release, statistics_app
from trustflux.config import Settings, load_settings
from trustflux.errors import TrustfluxError

app = typer.Typer(
    help="trustflux: privacy-by-design data platform for a mobile and broadband operator.",
    pretty_exceptions_enable=False,
)
world_app = typer.Typer(
    help="Synthetic operator worlds (no real personal data).", no_args_is_help=True
)
register_app = typer.Typer(help="The processing register (privacy as code).", no_args_is_help=True)
app.add_typer(world_app, name="world")
app.add_typer(register_app, name="register")
app.add_typer(statistics_app, name="statistics")

out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="trustflux home (default ./.trustflux or TRUSTFLUX_HOME)."),
]
RegisterOpt = Annotated[
    Path | None,
    typer.Option(
        "--register", help="Register folder (default ./register or TRUSTFLUX_REGISTER_DIR)."
    ),
]


def _settings(home: Path | None = None, register: Path | None = None) -> Settings:
    return load_settings(home=home, register_dir=register)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"trustflux {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(2)


# -- world --------------------------------------------------------------------------------
@world_app.command("generate")
def world_generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")],
    subscribers: Annotated[int, typer.Option(help="Own subscribers to simulate.")] = 2000,
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same world.")] = 7,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2026-03-02",
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """Generate a synthetic operator world: inputs in OUT/input, ground truth in OUT/truth."""
    from trustflux.events.world import generate_world

    summary = generate_world(
        out_dir,
        subscribers=subscribers,
        days=days,
        seed=seed,
        start=_date(start, "--start"),
        fmt=_fmt(fmt),
        reporter=RichReporter(err),
    )
    table = Table(title=f"World written to {summary.out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in summary.counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"inputs: {summary.input_dir}\nground truth: {summary.truth_dir}")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TrustfluxError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from None


def _fmt(text: str) -> Any:
    if text not in ("parquet", "csv"):
        raise TrustfluxError(f"--format: '{text}' is not one of parquet, csv")
    return text


# -- ingest -------------------------------------------------------------------------------
@app.command()
def ingest(
    directory: Annotated[Path, typer.Argument(help="Folder of input tables (or a world folder).")],
    home: HomeOpt = None,
) -> None:
    """Validate and load input tables; rejected rows go to quarantine with their reason."""
    from trustflux.events.ingest import ingest_directory

    settings = _settings(home)
    report = ingest_directory(settings, directory, reporter=RichReporter(err))
    _print_ingest(report, settings)


def _print_ingest(report: Any, settings: Settings) -> None:
    table = Table(title=f"Ingest {report.ingest_id} from {report.source}")
    for col in ("table", "files", "read", "accepted", "quarantined", "duplicates", "rows/s"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for t in report.tables:
        rate = t.read / t.seconds if t.seconds else 0.0
        table.add_row(
            t.table,
            str(t.files),
            f"{t.read:,}",
            f"{t.accepted:,}",
            f"{t.quarantined:,}",
            f"{t.duplicates:,}",
            f"{rate:,.0f}",
        )
    table.add_row(
        "total",
        "",
        f"{report.total('read'):,}",
        f"{report.total('accepted'):,}",
        f"{report.total('quarantined'):,}",
        f"{report.total('duplicates'):,}",
        "",
    )
    out.print(table)
    reasons: dict[str, int] = {}
    for t in report.tables:
        for reason, n in t.reasons.items():
            key = f"{t.table}: {reason}"
            reasons[key] = reasons.get(key, 0) + n
    if reasons:
        out.print("Quarantined, by reason:")
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            out.print(f"  {n:>8,}  {reason}")
    out.print(
        f"store: {settings.store_dir}\ncatalog (quarantine, ingest log): {settings.catalog_path}"
    )


@app.command("data-model")
def data_model(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
) -> None:
    """Print (or write) the input data model documentation."""
    from trustflux.events.model_doc import render_data_model

    text = render_data_model()
    if out_file is None:
        out.print(text, markup=False, highlight=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"data model written to {out_file}")


# -- register -----------------------------------------------------------------------------
@register_app.command("check")
def register_check(register: RegisterOpt = None) -> None:
    """Validate the register; errors name the file and the field."""
    from trustflux.register import load_register

    settings = _settings(register=register)
    reg = load_register(settings.register_dir)
    out.print(f"register {settings.register_dir}: {len(reg.purposes)} purposes, valid")


@register_app.command("export")
def register_export(
    fmt: Annotated[str, typer.Option("--format", help="csv, json or html.")] = "html",
    out_file: Annotated[Path | None, typer.Option("--out", help="File to write.")] = None,
    register: RegisterOpt = None,
) -> None:
    """Write the GDPR Art. 30 record of processing activities."""
    from trustflux.register import load_register, write_record

    if fmt not in ("csv", "json", "html"):
        raise TrustfluxError(f"--format: '{fmt}' is not one of csv, json, html")
    settings = _settings(register=register)
    reg = load_register(settings.register_dir)
    target = out_file or settings.home / f"record-of-processing.{fmt}"
    path = write_record(reg, fmt, target)  # type: ignore[arg-type]
    out.print(f"record of processing written to {path}")


# -- run ----------------------------------------------------------------------------------
@app.command()
def run(
    home: HomeOpt = None,
    register: RegisterOpt = None,
    subscribers: Annotated[int, typer.Option(help="World size for the embedded default.")] = 50_000,
    days: Annotated[int, typer.Option(help="Days to simulate (one statistics period).")] = 1,
    seed: Annotated[int, typer.Option(help="World seed.")] = 7,
    engine: Annotated[str | None, typer.Option(help="duckdb (default) or spark.")] = None,
) -> None:
    """The main job: world -> ingest -> register check -> statistics -> report."""
    from trustflux.pipeline import run_main_job

    settings = _settings(home, register)
    result = run_main_job(
        settings,
        subscribers=subscribers,
        days=days,
        seed=seed,
        engine=engine,
        reporter=RichReporter(err),
    )
    _print_ingest(result.ingest, settings)
    out.print(
        f"register: {result.purposes} purposes valid; record of processing: {result.record_path}"
    )
    out.print(f"world: {result.world_dir} (ground truth in {result.world_dir / 'truth'})")
    if result.statistics is not None:
        print_release(result.statistics)
    else:
        out.print(f"statistics: period already released earlier: {result.previous_release}")


def main() -> None:
    """Entry point: turns trustflux errors into 'Error: ...' and exit code 1."""
    try:
        code = app(standalone_mode=False)
    except TrustfluxError as exc:
        err.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True, markup=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except TyperException as exc:  # usage errors: unknown option, missing argument
        if exc.format_message():
            err.print(f"Error: {exc.format_message()}", highlight=False, markup=False)
        sys.exit(exc.exit_code or 2)
    sys.exit(code if isinstance(code, int) else 0)
