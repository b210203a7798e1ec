"""The gate in front of every job: the register-only fallback, the real gate plugged in
(consent withdrawn / objection recorded between two runs), and the run records."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from ops_support import ROOT, ids

from trustflux.config import Settings
from trustflux.errors import GateError, OperationsError
from trustflux.operations.common import JobRun, Window
from trustflux.operations.fraud import run_fraud
from trustflux.operations.gate import PurposeGate, RegisterOnlyGate, ask_gate
from trustflux.operations.offers import pending_offers, run_offers, withdraw_offers
from trustflux.operations.records import JsonlRunRecorder, MemoryRunRecorder
from trustflux.register import load_register

AT = datetime(2026, 3, 15, 12, tzinfo=UTC)


def population() -> pa.Table:
    return pa.table(
        {
            "subscriber_id": ["A", "B", "C", "D"],
            "contract_start": pa.array(
                [date(2020, 1, 1), date(2026, 3, 16), date(2020, 1, 1), None], pa.date32()
            ),
            "contract_end": pa.array([None, None, date(2026, 3, 14), None], pa.date32()),
        }
    )


def test_register_only_gate_contract_and_legitimate_interest_need_a_running_contract() -> None:
    gate = RegisterOnlyGate(load_register(ROOT / "register"))
    for purpose in ("billing", "fraud_detection", "network_optimisation", "gateway_diagnostics"):
        allowed = gate.eligible(purpose, AT, population())
        assert allowed.column("subscriber_id").to_pylist() == ["A"], purpose


def test_register_only_gate_allows_nobody_for_consent_purposes() -> None:
    gate = RegisterOnlyGate(load_register(ROOT / "register"))
    assert gate.eligible("targeted_offers", AT, population()).num_rows == 0
    with pytest.raises(GateError, match="no time zone"):
        gate.eligible("billing", datetime(2026, 3, 15), population())


def test_register_only_gate_allows_nobody_without_a_cleared_dpia(tmp_path: Path) -> None:
    folder = tmp_path / "register"
    shutil.copytree(ROOT / "register", folder)
    path = folder / "purposes" / "fraud_detection.yaml"
    text = path.read_text()
    start = text.index("dpia:")
    end = text.index("automated_decision_making:")
    path.write_text(
        text[:start] + "dpia:\n  status: in_review\n  reference: DPIA-2024-099\n" + text[end:]
    )
    gate = RegisterOnlyGate(load_register(folder))
    assert gate.eligible("fraud_detection", AT, population()).num_rows == 0


def test_run_records_are_appended_as_json_lines(tmp_path: Path) -> None:
    recorder = JsonlRunRecorder(tmp_path / "runs.jsonl")
    settings = Settings(home=tmp_path / "home")
    for actor in ("alice", "bob"):
        job = JobRun(settings, "billing", "billing", actor, AT, recorder)
        job.read("events", 10, 2, "2026-03")
        job.counts["events_billed"] = 7
        job.wrote("invoice_lines", tmp_path / "x.parquet")
        job.finish()
    runs = recorder.read()
    assert [r.actor for r in runs] == ["alice", "bob"]
    assert runs[0].counts == {"events_billed": 7}
    assert runs[0].inputs[0].rows == 10 and runs[0].gate_at == AT
    assert runs[0].finished_at >= runs[0].started_at
    with pytest.raises(OperationsError, match="needs an actor"):
        JobRun(settings, "billing", "billing", " ", AT, recorder)


# -- the real gate (register + consent ledger), plugged in through the protocol ---------------
@pytest.fixture
def real_gate(tmp_path: Path) -> Iterator[tuple[PurposeGate, object]]:
    gate_mod = pytest.importorskip("trustflux.gate", reason="the policy gate package is absent")
    from trustflux.db import create_db_engine, upgrade
    from trustflux.ledger import Ledger

    register = load_register(ROOT / "register")
    engine = create_db_engine(f"sqlite:///{tmp_path / 'trustflux.db'}")
    upgrade(engine)
    try:
        yield gate_mod.Gate(engine, register), Ledger(engine, register)
    finally:
        engine.dispose()


def test_real_gate_consent_withdrawn_between_two_offer_runs(
    world_home: tuple[Settings, Path], real_gate: tuple[PurposeGate, object]
) -> None:
    from trustflux.ledger import Choice, Event, Method

    settings, _ = world_home
    gate, ledger = real_gate
    window = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
    members = [f"S{i:09d}" for i in range(1, 301)]
    for sid in members:
        ledger.append(Choice(sid, "targeted_offers", Event.GIVEN, Method.ACCOUNT_AREA))  # type: ignore[attr-defined]

    def run() -> set[str]:
        now = datetime.now(UTC)
        eligible = ask_gate(gate, "targeted_offers", now, settings)
        run_offers(
            settings, eligible, window=window, actor="m", gate_at=now, recorder=MemoryRunRecorder()
        )
        return {o.subscriber_id for o in pending_offers(settings)}

    first = run()
    assert first and first <= set(members)
    leaver = sorted(first)[0]
    ledger.append(Choice(leaver, "targeted_offers", Event.WITHDRAWN, Method.ACCOUNT_AREA))  # type: ignore[attr-defined]
    withdraw_offers(settings, leaver)
    assert leaver not in {o.subscriber_id for o in pending_offers(settings)}
    assert leaver not in run()


def test_real_gate_objection_between_two_fraud_runs(
    world_home: tuple[Settings, Path],
    world_window: Window,
    real_gate: tuple[PurposeGate, object],
) -> None:
    from trustflux.ledger import Choice, Event, Method

    settings, _ = world_home
    gate, ledger = real_gate

    def run() -> pa.Table:
        now = datetime.now(UTC)
        eligible = ask_gate(gate, "fraud_detection", now, settings)
        record = run_fraud(
            settings,
            eligible,
            window=world_window,
            actor="a",
            gate_at=now,
            recorder=MemoryRunRecorder(),
        )
        return pq.read_table(record.outputs["alerts.parquet"])

    first = run()
    boxes = first.filter(pc.equal(first.column("detector"), "sim_box"))
    objector = boxes.column("subscriber_id")[0].as_py()
    ledger.append(Choice(objector, "fraud_detection", Event.OBJECTED, Method.CALL_CENTRE))  # type: ignore[attr-defined]
    second = run()
    assert objector not in second.column("subscriber_id").to_pylist()
    assert second.num_rows == first.num_rows - 1


def test_an_empty_eligible_table_reads_nobody(world_home: tuple[Settings, Path]) -> None:
    settings, _ = world_home
    window = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
    record = run_offers(
        settings, ids(), window=window, actor="m", gate_at=AT, recorder=MemoryRunRecorder()
    )
    assert record.counts["subscribers_profiled"] == 0
