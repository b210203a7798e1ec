"""Executing requests: objections and restrictions reach the gate, exports and erasure run
over the stores, failures are recorded and leave the request in progress."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from workflow_support import (
    rights_engine,
    rights_register,
    subject,
    tiny_home,
    trail,
    world_copy,
)

from trustflux.audit import AuditTrail
from trustflux.config import Settings
from trustflux.errors import RequestStateError, RightsError
from trustflux.gate import Gate
from trustflux.ledger import Ledger
from trustflux.ledger.model import Choice, Event, Method
from trustflux.register import ConsentMechanism, LawfulBasis, Register
from trustflux.rights.execute import execute_request
from trustflux.rights.requests import RequestBook, Status

__all__ = [
    "rights_engine",
    "rights_register",
    "subject",
    "tiny_home",
    "trail",
    "world_copy",
]


@pytest.fixture
def book(rights_engine: Engine, trail: AuditTrail, rights_register: Register) -> RequestBook:
    """On the real clock: the ledger and the gate work in the present."""
    return RequestBook(rights_engine, trail, register=rights_register)


@pytest.fixture
def ledger(rights_engine: Engine, rights_register: Register, trail: AuditTrail) -> Ledger:
    return Ledger(rights_engine, rights_register, audit=trail)


@pytest.fixture
def gate(rights_engine: Engine, rights_register: Register) -> Gate:
    return Gate(rights_engine, rights_register, refresh_seconds=0)


def test_an_objection_reaches_the_gate(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    gate: Gate,
    trail: AuditTrail,
    tiny_home: Settings,
    subject: str,
) -> None:
    consented = datetime.now(UTC) - timedelta(days=3)
    ledger.append(
        Choice(subject, "targeted_offers", Event.GIVEN, Method.APP, occurred_at=consented)
    )
    for purpose in ("fraud_detection", "mobility_statistics", "targeted_offers"):
        assert gate.decide(subject, purpose).allow, purpose

    purposes = ["fraud_detection", "targeted_offers", "mobility_statistics"]
    request = book.file(
        subject, "objection", channel="account", filed_by=subject, details={"purposes": purposes}
    )
    done = execute_request(
        tiny_home, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.status is Status.COMPLETED
    assert done.result is not None
    assert done.result["purposes"] == {
        "fraud_detection": "objected",
        "targeted_offers": "withdrawn",
        "mobility_statistics": "objected",
    }
    assert len(done.result["ledger_records"]) == 3
    assert done.result["article"] == "GDPR Art. 21"
    for purpose in purposes:
        decision = gate.decide(subject, purpose)
        assert not decision.allow, (purpose, decision.reason)
    history = ledger.history(subject)
    assert {r.method for r in history[1:]} == {Method.ACCOUNT_AREA}

    # the same wish again: what is in force is reported, nothing recorded twice
    again = book.file(
        subject,
        "objection",
        channel="agent",
        filed_by="agent:bob",
        details={"purposes": ["fraud_detection", "targeted_offers"]},
    )
    book.verify(again.request_id, method="id_document", actor="agent:bob")
    repeat = execute_request(
        tiny_home, rights_register, rights_engine, book, ledger, again.request_id, actor="dpo"
    )
    assert repeat.result is not None
    assert repeat.result["purposes"] == {
        "fraud_detection": "already objected",
        "targeted_offers": "no consent in force: nothing to withdraw",
    }
    assert repeat.result["ledger_records"] == []
    actions = [e.action for e in trail.entries(subject=subject)]
    assert actions.count("consent_change") == 4
    assert actions[-1] == "rights_request.completed"
    assert trail.verify().ok


def test_a_restriction_reaches_the_gate(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    gate: Gate,
    trail: AuditTrail,
    tiny_home: Settings,
    subject: str,
) -> None:
    assert gate.decide(subject, "fraud_detection").allow
    request = book.file(
        subject,
        "restriction",
        channel="account",
        filed_by=subject,
        details={"reason": "I contest the accuracy of my usage data"},
    )
    done = execute_request(
        tiny_home, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.result is not None
    assert done.result["restriction"]["still_allowed"] == ["privacy_compliance"]
    later = datetime.now(UTC) + timedelta(seconds=1)
    for purpose in ("fraud_detection", "network_optimisation", "billing"):
        decision = gate.decide(subject, purpose, later)
        assert (decision.allow, decision.code) == (False, "restricted"), purpose
    assert gate.decide(subject, "privacy_compliance", later).allow
    actions = [e.action for e in trail.entries(subject=subject)]
    assert "processing.restricted" in actions
    assert trail.verify().ok


def test_only_verified_requests_are_executed(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    tiny_home: Settings,
) -> None:
    request = book.file("S1", "access", channel="web", filed_by="web-form")
    with pytest.raises(RequestStateError, match=r"is received: cannot execute it .*verify"):
        execute_request(
            tiny_home, rights_register, rights_engine, book, ledger, request.request_id, actor="x"
        )
    book.refuse(request.request_id, reason="not the subscriber", actor="dpo")
    with pytest.raises(RequestStateError, match=r"is refused: .*closed"):
        execute_request(
            tiny_home, rights_register, rights_engine, book, ledger, request.request_id, actor="x"
        )


def test_a_failure_is_recorded_and_the_request_can_be_run_again(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    trail: AuditTrail,
    tiny_home: Settings,
    subject: str,
) -> None:
    request = book.file(
        subject,
        "objection",
        channel="account",
        filed_by=subject,
        details={"purposes": ["network_optimisation"]},
    )
    # the register changed since filing: the purpose now rests on the contract
    changed = rights_register.model_copy(
        update={
            "purposes": tuple(
                p.model_copy(
                    update={
                        "consent_mechanism": ConsentMechanism.NOTICE_ONLY,
                        "lawful_basis": LawfulBasis.CONTRACT,
                    }
                )
                if p.id == "network_optimisation"
                else p
                for p in rights_register.purposes
            )
        }
    )
    with pytest.raises(RightsError, match="network_optimisation relies on contract"):
        execute_request(
            tiny_home, changed, rights_engine, book, ledger, request.request_id, actor="dpo"
        )
    assert book.get(request.request_id).status is Status.IN_PROGRESS
    failed = [e for e in trail.entries(subject=subject) if e.action == "rights_request.failed"]
    assert len(failed) == 1
    assert "RightsError" in failed[0].details["error"]

    done = execute_request(
        tiny_home, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.status is Status.COMPLETED
    assert trail.verify().ok


def test_access_exports_everything_held_in_a_zip(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    trail: AuditTrail,
    tiny_home: Settings,
    tmp_path: Path,
) -> None:
    settings = tiny_home.model_copy(update={"rights_directory": tmp_path / "rights"})
    request = book.file("S1", "access", channel="account", filed_by="S1")
    done = execute_request(
        settings, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.status is Status.COMPLETED and done.result is not None
    export = done.result["export"]
    path = Path(export["path"])
    assert path.is_file() and path.is_relative_to(tmp_path / "rights")
    assert export["counts"]["events"] > 0
    with zipfile.ZipFile(path) as archive:
        assert "summary.json" in archive.namelist()
    completed = [e for e in trail.entries(subject="S1") if e.action == "rights_request.completed"]
    assert completed[-1].details["result"]["kind"] == "access"


def test_rectification_corrects_the_contract(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    tiny_home: Settings,
    tmp_path: Path,
) -> None:
    shutil.copytree(tiny_home.home, tmp_path / "home")
    settings = tiny_home.model_copy(update={"home": tmp_path / "home"})
    request = book.file(
        "S4",
        "rectification",
        channel="account",
        filed_by="S4",
        details={"changes": {"age_bracket": "35-44"}},
    )
    done = execute_request(
        settings, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.result is not None
    assert done.result["rectification"]["after"] == {"age_bracket": "35-44"}
    assert done.result["rectification"]["before"] == {"age_bracket": None}


def test_the_rectifiable_fields_are_the_store_helpers_ones() -> None:
    from trustflux.rights import rectify, requests

    assert requests.RECTIFIABLE == rectify.RECTIFIABLE


def test_erasure_removes_what_is_not_kept_and_says_why_the_rest_is(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    trail: AuditTrail,
    world_copy: Settings,
) -> None:
    import pyarrow.dataset as ds

    from trustflux.errors import ErasedSubjectError
    from trustflux.rights.subjects import find_subject

    files = sorted(str(p) for p in (world_copy.store_dir / "subscribers").rglob("*.parquet"))
    who = str(ds.dataset(files).to_table(columns=["subscriber_id"]).column(0)[0])
    find_subject(world_copy, who)

    request = book.file(who, "erasure", channel="account", filed_by=who)
    done = execute_request(
        world_copy, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.status is Status.COMPLETED and done.result is not None
    report = done.result["erasure"]
    assert report["subscriber_id"] == who and not report["already_erased"]
    assert sum(report["removed"].values()) > 0
    kept = {item["store"]: item for item in report["kept"]}
    assert {"consent_ledger", "audit_trail", "rights_requests", "erasure_markers"} <= set(kept)
    assert all(item["legal_ground"] for item in report["kept"])
    assert any("statistics" in s for s in report["out_of_scope"])
    with pytest.raises(ErasedSubjectError):
        find_subject(world_copy, who)

    # the request record itself is kept (privacy_compliance), with its answer
    assert book.get(request.request_id).result == done.result
    # nothing more to give: an access request now fails, recorded, and is then refused
    access = book.file(who, "access", channel="agent", filed_by="agent:bob")
    book.verify(access.request_id, method="in_person", actor="agent:bob")
    with pytest.raises(ErasedSubjectError):
        execute_request(
            world_copy,
            rights_register,
            rights_engine,
            book,
            ledger,
            access.request_id,
            actor="dpo",
        )
    assert book.get(access.request_id).status is Status.IN_PROGRESS
    book.refuse(access.request_id, reason="the subscriber's data was erased", actor="dpo")
    assert trail.verify().ok


def _first_subscriber(settings: Settings) -> str:
    import pyarrow.dataset as ds

    files = sorted(str(p) for p in (settings.store_dir / "subscribers").rglob("*.parquet"))
    return str(ds.dataset(files).to_table(columns=["subscriber_id"]).column(0)[0])


def test_erasure_drops_the_persons_lines_from_a_text_file_that_is_not_utf8(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    world_copy: Settings,
) -> None:
    """A rights message file with a stray Latin-1 byte: the person's line goes, the other
    lines keep their bytes as they were (no crash, no replacement characters)."""
    who = _first_subscriber(world_copy)
    odd = world_copy.rights_dir / "latin1.log"
    odd.parent.mkdir(parents=True, exist_ok=True)
    odd.write_bytes(b"caf\xe9 about " + who.encode() + b"\ncaf\xe9 about nobody\n")
    request = book.file(who, "erasure", channel="account", filed_by=who)
    try:
        done = execute_request(
            world_copy,
            rights_register,
            rights_engine,
            book,
            ledger,
            request.request_id,
            actor="dpo",
        )
        assert done.status is Status.COMPLETED
        assert odd.read_bytes() == b"caf\xe9 about nobody\n"
    finally:  # the world is shared by the module
        odd.unlink()


def test_a_file_erasure_cannot_rewrite_is_a_recorded_failure_not_a_crash(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    trail: AuditTrail,
    world_copy: Settings,
) -> None:
    """A file the erasure cannot rewrite is a RightsError naming it, recorded as a failure:
    the request stays in progress to run again, and the command line prints ``Error: ...``,
    not a traceback."""
    who = _first_subscriber(world_copy)
    notes = world_copy.rights_dir / "notes.log"
    notes.parent.mkdir(parents=True, exist_ok=True)
    notes.write_text(f"about {who}\n", encoding="utf-8")
    blocker = world_copy.rights_dir / ".notes.log.erasing"  # the temporary file's place
    blocker.mkdir()
    request = book.file(who, "erasure", channel="account", filed_by=who)
    try:
        with pytest.raises(RightsError, match=r"notes\.log"):
            execute_request(
                world_copy,
                rights_register,
                rights_engine,
                book,
                ledger,
                request.request_id,
                actor="dpo",
            )
    finally:  # the world is shared by the module
        blocker.rmdir()
    assert book.get(request.request_id).status is Status.IN_PROGRESS
    failed = [e for e in trail.entries(subject=who) if e.action == "rights_request.failed"]
    assert failed and "notes.log" in failed[-1].details["error"]
    # once the obstacle is gone, the same request runs again and completes
    done = execute_request(
        world_copy, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.status is Status.COMPLETED
    assert notes.read_text(encoding="utf-8") == ""


def test_a_damaged_store_file_is_a_recorded_failure_not_a_crash(
    rights_engine: Engine,
    rights_register: Register,
    book: RequestBook,
    ledger: Ledger,
    trail: AuditTrail,
    world_copy: Settings,
) -> None:
    """A Parquet part the engine cannot read stops the access with a RightsError naming it
    (not DuckDB's own exception); the request stays in progress and runs once it is fixed."""
    who = _first_subscriber(world_copy)
    day = sorted((world_copy.store_dir / "events").glob("day=*"))[0]
    damaged = day / "part-damaged.parquet"
    damaged.write_bytes(b"not parquet at all")
    request = book.file(who, "access", channel="account", filed_by=who)
    try:
        with pytest.raises(RightsError, match=r"part-damaged\.parquet"):
            execute_request(
                world_copy,
                rights_register,
                rights_engine,
                book,
                ledger,
                request.request_id,
                actor="dpo",
            )
    finally:  # the world is shared by the module
        damaged.unlink()
    assert book.get(request.request_id).status is Status.IN_PROGRESS
    failed = [e for e in trail.entries(subject=who) if e.action == "rights_request.failed"]
    assert failed and "part-damaged.parquet" in failed[-1].details["error"]
    done = execute_request(
        world_copy, rights_register, rights_engine, book, ledger, request.request_id, actor="dpo"
    )
    assert done.status is Status.COMPLETED
