"""The trust center's commands: database, accounts, tokens, contracts, gate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from trustflux.cli import app
from trustflux.errors import TrustfluxError

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin, env={"TRUSTFLUX_DATABASE_URL": ""})
    return result.exit_code, result.output


def test_accounts_tokens_contracts_and_decisions(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    register = str(ROOT / "register")
    code, out = _run("db", "upgrade", "--home", home)
    assert code == 0 and "0003_rights" in out
    contracts = tmp_path / "subscribers.parquet"
    pq.write_table(
        pa.table(
            {
                "subscriber_id": ["S000000001", "S000000002"],
                "contract_start": pa.array([date(2024, 1, 1), date(2024, 1, 1)], pa.date32()),
                "contract_end": pa.array([None, date(2024, 6, 30)], pa.date32()),
            }
        ),
        contracts,
    )
    code, out = _run("subscribers", "sync", "--file", str(contracts), "--home", home)
    assert code == 0 and "2 subscribers synced" in out
    code, out = _run(
        "users",
        "add",
        "alice@example.com",
        "--role",
        "subscriber",
        "--subscriber",
        "S000000001",
        "--password-stdin",
        "--home",
        home,
        stdin="correct horse battery staple\n",
    )
    assert code == 0 and "created" in out
    code, out = _run("users", "list", "--home", home)
    assert "alice@example.com" in out and "subscriber" in out
    code, out = _run("tokens", "create", "mobility-optout", "--home", home)
    assert code == 0 and "tf_" in out
    code, out = _run(
        "gate", "decide", "S000000001", "billing", "--home", home, "--register", register
    )
    assert code == 0 and "allow contract_running" in out
    code, out = _run(
        "gate",
        "decide",
        "S000000002",
        "billing",
        "--at",
        "2025-01-01T00:00:00+00:00",
        "--home",
        home,
        "--register",
        register,
    )
    assert code == 3 and "deny contract_ended" in out
    target = tmp_path / "eligible.parquet"
    code, out = _run(
        "gate", "eligible", "billing", "--out", str(target), "--home", home, "--register", register
    )
    assert code == 0 and pq.read_table(target).column("subscriber_id").to_pylist() == ["S000000001"]


def test_refusals_are_typed_errors_with_the_reason(tmp_path: Path) -> None:
    """The CLI's ``main`` prints these as one 'Error: ...' line and exits 1."""
    home = str(tmp_path / "home")
    runner = CliRunner()
    cases = [
        (
            ["--role", "subscriber", "--subscriber", "S404"],
            "long enough password\n",
            "not in the store",
        ),
        (["--role", "wizard"], "long enough password\n", "not one of"),
        (["--role", "agent"], "short\n", "at least 12 characters"),
    ]
    for args, password, words in cases:
        result = runner.invoke(
            app,
            ["users", "add", "bob@example.com", *args, "--password-stdin", "--home", home],
            input=password,
        )
        assert isinstance(result.exception, TrustfluxError) and words in str(result.exception)
