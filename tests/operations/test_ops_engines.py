"""One definition, two engines: billing gives the same invoice lines on DuckDB and Spark.

(Fraud, network and offers were compared the same way by hand, identical; Spark's cost on
two cores keeps this test to one job.)
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ops_support import gate_answer

from services import require_spark
from trustflux.config import Settings
from trustflux.engine.session import EngineSession, open_engine
from trustflux.operations.billing import run_billing
from trustflux.operations.common import Window
from trustflux.operations.records import MemoryRunRecorder

pytestmark = pytest.mark.slow


def outputs(settings: Settings, window: Window, name: str, tmp: Path) -> list[pa.Table]:
    mine = settings.model_copy(update={"operations_dir": tmp / name})
    engine = open_engine(name, mine)  # a session the job reuses and does not close
    try:
        return _run(mine, window, engine)
    finally:
        engine.close()


def _run(mine: Settings, window: Window, engine: EngineSession) -> list[pa.Table]:
    eligible = gate_answer(mine, "billing", window.end)
    bill = run_billing(
        mine,
        eligible,
        month="2026-03",
        actor="t",
        gate_at=window.end,
        engine=engine,
        recorder=MemoryRunRecorder(),
    )
    return [
        pq.read_table(bill.outputs["invoice_lines.parquet"]),
        pq.read_table(bill.outputs["invoices.parquet"]),
    ]


def test_billing_is_identical_on_duckdb_and_spark(
    world_home: tuple[Settings, Path], world_window: Window, tmp_path: Path
) -> None:
    require_spark()
    settings, _ = world_home
    duck = outputs(settings, world_window, "duckdb", tmp_path)
    spark = outputs(settings, world_window, "spark", tmp_path)
    for a, b in zip(duck, spark, strict=True):
        assert a.num_rows > 0
        assert a.equals(b)
