"""``trustflux rights ...`` through the real entry point, on the tiny operator's home."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from workflow_support import Clock, tiny_home

from trustflux.audit import AuditTrail
from trustflux.cli import main
from trustflux.config import Settings
from trustflux.db import create_db_engine, upgrade
from trustflux.rights.requests import RequestBook

__all__ = ["tiny_home"]

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(
    tiny_home: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run ``trustflux rights ARGS --home HOME``; (exit code, everything printed)."""
    monkeypatch.setenv("TRUSTFLUX_DATABASE_URL", "")
    monkeypatch.setenv("TRUSTFLUX_REGISTER_DIR", str(tiny_home.register_dir))
    monkeypatch.delenv("TRUSTFLUX_OTP_SENDER", raising=False)

    def invoke(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(
            sys, "argv", ["trustflux", "rights", *args, "--home", str(tiny_home.home)]
        )
        with pytest.raises(SystemExit) as stopped:
            main()
        captured = capsys.readouterr()
        return int(stopped.value.code or 0), captured.out + captured.err

    return invoke


def _id(output: str) -> str:
    match = re.search(r"request (\S+) filed", output)
    assert match is not None, output
    return match.group(1)


def _outbox(settings: Settings) -> list[dict[str, str]]:
    path = settings.rights_dir / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_access_from_filing_to_export(run: Run, tiny_home: Settings) -> None:
    code, out = run("file", "S1", "access", "--by", "agent:alice", "--channel", "agent")
    assert code == 0, out
    request_id = _id(out)
    assert "access (GDPR Art. 15) for S1" in out and "due" in out

    code, out = run("send-code", request_id)
    assert code == 0, out
    assert "code sent to *********01" in out and "outbox.jsonl" in out
    message = _outbox(tiny_home)[-1]
    assert message["to"] == "33610000001"
    sent = re.search(r"\b(\d{6})\b", message["text"])
    assert sent is not None

    wrong = "000000" if sent.group(1) != "000000" else "111111"
    code, out = run("verify", request_id, "--code", wrong)
    assert code == 1 and "Error: wrong code: 4 attempt(s) left" in out
    code, out = run("verify", request_id, "--code", sent.group(1))
    assert code == 0 and "verified (otp_sms)" in out, out

    code, out = run("queue")
    assert code == 0 and request_id in out and "verified" in out

    code, out = run("execute", request_id, "--by", "dpo:carol")
    assert code == 0, out
    assert f"request {request_id} completed: access for S1" in out
    export = re.search(r"export: (\S+\.zip)", out)
    assert export is not None and Path(export.group(1)).is_file()

    code, out = run("show", request_id)
    assert code == 0 and "completed" in out and '"kind": "access"' in out
    code, out = run("queue")
    assert request_id not in out


def test_objection_verified_by_hand(run: Run) -> None:
    code, out = run(
        "file", "S2", "objection", "--purpose", "fraud_detection", "--purpose", "targeted_offers"
    )
    assert code == 0, out
    request_id = _id(out)
    code, out = run("verify", request_id, "--method", "id_document")
    assert code == 1 and "Error: --by: a manual verification names who checked" in out
    code, out = run("verify", request_id, "--method", "id_document", "--by", "dpo:carol")
    assert code == 0 and "verified (id_document)" in out
    code, out = run("execute", request_id, "--by", "dpo:carol")
    assert code == 0, out
    assert "fraud_detection: objected" in out
    assert "targeted_offers: no consent in force" in out


def test_rectification_prints_before_and_after(run: Run) -> None:
    code, out = run("file", "S3", "rectification", "--change", "age_bracket=25-34")
    request_id = _id(out)
    run("verify", request_id, "--method", "in_person", "--by", "agent:bob")
    code, out = run("execute", request_id)
    assert code == 0, out
    assert "age_bracket" in out and "25-34" in out


def test_extension_and_refusal_are_told_to_the_person(run: Run, tiny_home: Settings) -> None:
    _, out = run("file", "S5", "portability")
    request_id = _id(out)
    run("verify", request_id, "--method", "id_document", "--by", "dpo")
    code, out = run("extend", request_id, "--months", "2", "--reason", "archives to restore")
    assert code == 0, out
    assert "extended: due" in out and "the person was told at *********05" in out
    assert "archives to restore" in _outbox(tiny_home)[-1]["text"]
    code, out = run("extend", request_id, "--months", "1", "--reason", "more")
    assert code == 1 and "Error:" in out

    code, out = run("refuse", request_id, "--reason", "manifestly excessive (Art. 12(5))")
    assert code == 0, out
    last = _outbox(tiny_home)[-1]["text"]
    assert "manifestly excessive" in last and "You may complain to" in last
    code, out = run("show", request_id)
    assert "refused" in out and "none (closed)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("file", "S1", "objection", "--purpose", "billing"), "billing relies on contract"),
        (("file", "S1", "access", "--purpose", "billing"), "--purpose: applies to objection"),
        (("file", "S1", "rectification", "--change", "msisdn=1"), "details.changes.msisdn"),
        (("file", "S1", "rectification", "--change", "age_bracket"), "is not field=value"),
        (("file", "S1", "restriction"), "details.reason: must not be empty"),
        (("file", "NOPE", "access"), "no subscriber 'NOPE'"),
        (("file", "S1", "access", "--channel", "web"), "--channel: 'web' is not one of"),
        (("verify", "x"), "give either --code CODE or --method"),
        (("verify", "x", "--method", "otp_sms", "--by", "a"), "--method: 'otp_sms' is not"),
        (("show", "nope"), "no data-subject request 'nope'"),
        (("extend", "nope", "--months", "1", "--reason", "r"), "no data-subject request"),
    ],
)
def test_errors_are_one_line_and_exit_1(run: Run, args: tuple[str, ...], message: str) -> None:
    code, out = run(*args)
    assert code == 1, out
    assert out.startswith("Error: ") and message in out, out


def test_executing_an_unverified_request_names_its_state(run: Run) -> None:
    _, out = run("file", "S4", "erasure")
    code, out = run("execute", _id(out))
    assert code == 1 and "is received: cannot execute it (verify the requester first)" in out


def test_the_queue_sorts_by_due_date_and_marks_overdue_requests(
    run: Run, tiny_home: Settings
) -> None:
    engine = create_db_engine(tiny_home.sqlalchemy_url)
    upgrade(engine)
    old = RequestBook(engine, AuditTrail(engine), Clock(datetime(2025, 1, 10, tzinfo=UTC)))
    late = old.file("S4", "access", channel="cli", filed_by="dpo").request_id
    engine.dispose()
    _, out = run("file", "S4", "portability")
    fresh = _id(out)
    code, out = run("queue")
    assert code == 0, out
    assert out.index(late) < out.index(fresh)
    late_line = next(line for line in out.splitlines() if late in line)
    assert "overdue" in late_line
    assert re.search(r"\d+ open request\(s\), [1-9]\d* overdue", out)
