"""The ``trustflux`` command: a thin edge over the core that prints and sets exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.exceptions import TyperException

from trustflux import __version__
from trustflux.cli_audit import audit_app
from trustflux.cli_console import RichReporter, err, out, parse_date, parse_moment
from trustflux.cli_governance import dpo_app
from trustflux.cli_operations import ops_app
from trustflux.cli_operations import use as use_operations
from trustflux.cli_rights import rights_app
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
        start=parse_date(start, "--start"),
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


# -- trust center: web service, relational store, accounts, tokens, gate ---------------------
db_app = typer.Typer(help="The relational store (ledger, accounts, tokens).", no_args_is_help=True)
users_app = typer.Typer(help="Accounts that sign in to the trust center.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for jobs and integrations.", no_args_is_help=True)
subscribers_app = typer.Typer(
    help="Contract periods the policy gate reads (synced from the store).", no_args_is_help=True
)
gate_app = typer.Typer(help="Ask the policy gate.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(subscribers_app, name="subscribers")
app.add_typer(gate_app, name="gate")
app.add_typer(ops_app, name="ops")
app.add_typer(audit_app, name="audit")
app.add_typer(dpo_app, name="dpo")
app.add_typer(rights_app, name="rights")


def _migrated_engine(settings: Settings) -> Any:
    from trustflux.db import create_db_engine, upgrade

    engine = create_db_engine(settings.sqlalchemy_url)
    upgrade(engine)
    return engine


def _real_gate(settings: Settings) -> Any:
    """The policy gate (register + consent ledger) for `trustflux gate` and the operations jobs."""
    from trustflux.gate import Gate
    from trustflux.register import load_register

    return Gate(_migrated_engine(settings), load_register(settings.register_dir))


def _audit_recorder(settings: Settings) -> Any:
    """Job runs go into the audit trail, then into ``runs.jsonl`` as before."""
    from trustflux.audit import AuditRunRecorder, AuditTrail
    from trustflux.cli_operations import jsonl_recorder

    return AuditRunRecorder(AuditTrail(_migrated_engine(settings)), jsonl_recorder(settings))


use_operations(gate=_real_gate, recorder=_audit_recorder)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (TRUSTFLUX_SERVE_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (TRUSTFLUX_SERVE_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core).")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Run the trust center (pages, API at /docs, cookie banner); migrates the database first."""
    import os

    import uvicorn

    from trustflux.db import create_db_engine, upgrade
    from trustflux.register import load_register

    settings = load_settings(home=home, register_dir=register, serve_host=host, serve_port=port)
    load_register(settings.register_dir)  # fail now, with every problem, not in a worker
    engine = create_db_engine(settings.sqlalchemy_url)
    revision = upgrade(engine)
    engine.dispose()
    err.print(
        f"database {revision}; trust center on http://{settings.serve_host}:{settings.serve_port} "
        f"(API docs at /docs, {workers} worker{'s' if workers > 1 else ''})"
    )
    if workers > 1:
        # Workers are new processes: they read the same settings from the environment.
        os.environ["TRUSTFLUX_HOME"] = str(settings.home.resolve())
        os.environ["TRUSTFLUX_REGISTER_DIR"] = str(settings.register_dir.resolve())
        uvicorn.run(
            "trustflux.web:app_from_env",
            factory=True,
            host=settings.serve_host,
            port=settings.serve_port,
            workers=workers,
            access_log=access_log,
        )
        return
    from trustflux.web import create_app

    uvicorn.run(
        create_app(settings, migrate=False),
        host=settings.serve_host,
        port=settings.serve_port,
        access_log=access_log,
    )


@db_app.command("upgrade")
def db_upgrade(home: HomeOpt = None) -> None:
    """Migrate the relational store to this version's schema."""
    from trustflux.db import create_db_engine, upgrade

    settings = _settings(home)
    engine = create_db_engine(settings.sqlalchemy_url)
    out.print(f"database at revision {upgrade(engine)}")


@db_app.command("current")
def db_current(home: HomeOpt = None) -> None:
    """Show the revision the relational store is at, and the newest one shipped."""
    from trustflux.db import create_db_engine, current_revision, head_revision

    settings = _settings(home)
    engine = create_db_engine(settings.sqlalchemy_url)
    out.print(f"current: {current_revision(engine) or 'empty'}; shipped: {head_revision()}")


def _role(text: str) -> Any:
    """The ``--role`` option as a ``Role``, or an error listing the roles."""
    from trustflux.accounts import Role

    if text not in {r.value for r in Role}:
        raise TrustfluxError(f"--role: '{text}' is not one of {', '.join(r.value for r in Role)}")
    return Role(text)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Username or e-mail.")],
    role: Annotated[str, typer.Option(help="subscriber, agent, dpo, analyst or admin.")],
    subscriber: Annotated[
        str | None, typer.Option(help="Subscriber id (role subscriber only).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Create an account (the password is asked for, never given as an option)."""
    from trustflux.accounts import Accounts

    kind = _role(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts = Accounts(_migrated_engine(_settings(home)))
    account = accounts.create(username, password, kind, subscriber)
    out.print(f"account {account.username} ({account.role.value}) created")


@users_app.command("list")
def users_list(home: HomeOpt = None) -> None:
    """List accounts."""
    from trustflux.accounts import Accounts

    table = Table(title="Accounts")
    for col in ("id", "username", "role", "subscriber", "disabled"):
        table.add_column(col)
    for a in Accounts(_migrated_engine(_settings(home))).all():
        table.add_row(
            str(a.account_id), a.username, a.role.value, a.subscriber_id or "", str(a.disabled)
        )
    out.print(table)


@users_app.command("disable")
def users_disable(username: str, home: HomeOpt = None) -> None:
    """Disable an account: its sessions stop working at their next request."""
    from trustflux.accounts import Accounts

    Accounts(_migrated_engine(_settings(home))).set_disabled(username, True)
    out.print(f"account {username} disabled")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What uses the token, e.g. mobility-optout.")],
    role: Annotated[str, typer.Option(help="analyst (jobs), agent, dpo or admin.")] = "analyst",
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
    home: HomeOpt = None,
) -> None:
    """Create an API token; its secret is printed once."""
    from datetime import timedelta

    from trustflux.accounts import Accounts
    from trustflux.ledger import utc_now

    kind = _role(role)
    expires = utc_now() + timedelta(days=days) if days else None
    token, secret = Accounts(_migrated_engine(_settings(home))).create_token(
        name, kind, expires_at=expires
    )
    err.print(f"token {token.token_id} ({token.role.value}) created; the secret is shown once:")
    out.print(secret, highlight=False, markup=False)


@tokens_app.command("list")
def tokens_list(home: HomeOpt = None) -> None:
    """List API tokens (never their secrets)."""
    from trustflux.accounts import Accounts

    table = Table(title="API tokens")
    for col in ("id", "name", "role", "created", "expires", "revoked"):
        table.add_column(col)
    for t in Accounts(_migrated_engine(_settings(home))).tokens():
        table.add_row(
            t.token_id,
            t.name,
            t.role.value,
            t.created_at.isoformat(timespec="seconds"),
            t.expires_at.isoformat(timespec="seconds") if t.expires_at else "",
            t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "",
        )
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: str, home: HomeOpt = None) -> None:
    """Revoke a token (web workers stop accepting it within 30 seconds)."""
    from trustflux.accounts import Accounts

    Accounts(_migrated_engine(_settings(home))).revoke_token(token_id)
    out.print(f"token {token_id} revoked")


@subscribers_app.command("sync")
def subscribers_sync(
    file: Annotated[
        Path | None, typer.Option("--file", help="Parquet file instead of the store.")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Copy contract periods (subscriber_id, contract_start, contract_end) into the gate's table."""
    import pyarrow.parquet as pq

    from trustflux.engine.store import Store
    from trustflux.gate import sync_subscribers
    from trustflux.ledger import utc_now

    settings = _settings(home)
    if file is not None:
        table = pq.read_table(file)
    else:
        with Store(settings) as store:
            expr = store.read("subscribers")
            if expr is None:
                raise TrustfluxError("no subscribers in the store: run `trustflux ingest` first")
            table = expr.select("subscriber_id", "contract_start", "contract_end").to_pyarrow()
    count = sync_subscribers(_migrated_engine(settings), table, now=utc_now())
    out.print(f"{count:,} subscribers synced")


@gate_app.command("decide")
def gate_decide(
    subject: str,
    purpose: str,
    at: Annotated[str | None, typer.Option(help="ISO 8601 time with zone (default now).")] = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """May PURPOSE process SUBJECT's data at that time? Prints the decision and its reason."""
    decision = _real_gate(_settings(home, register)).decide(subject, purpose, parse_moment(at))
    verdict = "[green]allow[/]" if decision.allow else "[red]deny[/]"
    out.print(f"{verdict} {decision.code}: {decision.reason}")
    if not decision.allow:
        raise typer.Exit(3)


@gate_app.command("eligible")
def gate_eligible(
    purpose: str,
    out_file: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    at: Annotated[str | None, typer.Option(help="ISO 8601 time with zone (default now).")] = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Write the synced subscribers PURPOSE may process at that time (Parquet)."""
    import pyarrow.parquet as pq

    table = _real_gate(_settings(home, register)).eligible(purpose, parse_moment(at))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out_file)
    out.print(f"{table.num_rows:,} eligible subscribers written to {out_file}")
