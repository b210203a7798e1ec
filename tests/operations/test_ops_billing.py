"""Billing: exact rating on a hand-made operator, reconciliation with the world's events, the
gate between runs, unknown plans to quarantine, and a tariff table checked whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from ops_support import gate_answer, ids

from trustflux.config import Settings
from trustflux.engine.store import Store
from trustflux.errors import TariffError
from trustflux.operations.billing import run_billing
from trustflux.operations.records import MemoryRunRecorder
from trustflux.operations.tariffs import PLAN_COLUMNS, load_tariffs, packaged

AT = datetime(2026, 3, 31, 12, tzinfo=UTC)


def lines_of(record_outputs: dict[str, str]) -> list[dict[str, object]]:
    return pq.read_table(record_outputs["invoice_lines.parquet"]).to_pylist()


def test_tiny_operator_is_rated_exactly(tiny: Settings) -> None:
    recorder = MemoryRunRecorder()
    record = run_billing(
        tiny,
        ids("S1", "S2", "S3", "S5"),
        month="2026-03",
        actor="billing-ops",
        gate_at=AT,
        recorder=recorder,
    )
    got = {
        (r["subscriber_id"], r["line"], r["country"]): (
            r["events"],
            r["quantity"],
            r["included"],
            r["chargeable"],
            r["amount_cents"],
        )
        for r in lines_of(dict(record.outputs))
    }
    assert got == {
        ("S1", "subscription", None): (0, 31, 0, 31, 299),
        ("S1", "voice_on_net", None): (1, 600, 600, 0, 0),
        ("S1", "voice_off_net", None): (1, 7_500, 7_200, 300, 175),  # 5 min over 2 h at 0.35
        ("S1", "voice_international", None): (1, 90, 0, 90, 119),  # 1.5 min at 0.79, rounded up
        ("S1", "sms_national", None): (3, 3, 3, 0, 0),
        ("S1", "sms_international", None): (1, 1, 0, 1, 30),
        ("S1", "data", None): (1, 150_000_000, 100_000_000, 50_000_000, 250),
        ("S1", "roaming_voice_out", "GB"): (1, 120, 0, 120, 498),
        ("S1", "roaming_voice_in", "GB"): (1, 60, 0, 60, 129),
        ("S1", "roaming_sms", "GB"): (1, 1, 0, 1, 59),
        ("S1", "roaming_data", "GB"): (1, 2_500_000, 0, 2_500_000, 9),  # 3 started MB
        ("S1", "roaming_data", "DE"): (1, 10_000_000, 10_000_000, 0, 0),  # roam like at home
        ("S2", "subscription", None): (0, 31, 0, 31, 0),
        ("S2", "voice_off_net", None): (1, 30, 0, 30, 8),
        ("S2", "sms_national", None): (2, 2, 0, 2, 20),
        ("S5", "subscription", None): (0, 21, 0, 21, 677),  # 21 of 31 days of 9.99
        ("S5", "data", None): (1, 10_000, 10_000, 0, 0),
    }
    invoices = {
        r["subscriber_id"]: r["amount_cents"]
        for r in pq.read_table(record.outputs["invoices.parquet"]).to_pylist()
    }
    assert invoices == {"S1": 1_568, "S2": 28, "S5": 677}
    assert record.counts["events_read"] == 23  # the February call is outside the month
    assert record.counts["events_eligible"] == 21
    assert record.counts["events_billed"] == 17
    assert record.counts["events_not_chargeable"] == 2
    assert record.counts["events_quarantined"] == 2
    assert record.counts["subscribers_quarantined"] == 1
    assert record.counts["amount_cents"] == 1_568 + 28 + 677
    assert recorder.runs == [record]
    assert record.purpose == "billing" and record.actor == "billing-ops" and record.gate_at == AT
    csv = pacsv.read_csv(record.outputs["invoice_lines.csv"])
    assert csv.num_rows == len(got)


def test_unknown_plan_goes_to_quarantine_with_its_reason(tiny: Settings) -> None:
    run_billing(
        tiny, ids("S3"), month="2026-03", actor="t", gate_at=AT, recorder=MemoryRunRecorder()
    )
    with Store(tiny) as store:
        rows = store.raw.execute(
            "SELECT field, reason, record FROM quarantine WHERE table_name = 'ops.billing'"
        ).fetchall()
    assert len(rows) == 1
    field, reason, record = rows[0]
    assert field == "plan"
    assert "unknown tariff plan 'NO_SUCH_PLAN'" in reason
    assert '"subscriber_id": "S3"' in record


def test_roamers_and_denied_subscribers_are_never_billed(tiny: Settings) -> None:
    record = run_billing(
        tiny, ids("S1"), month="2026-03", actor="t", gate_at=AT, recorder=MemoryRunRecorder()
    )
    billed = {r["subscriber_id"] for r in lines_of(dict(record.outputs))}
    assert billed == {"S1"}
    assert record.counts["excluded_subscribers"] == 4


def test_world_bill_reconciles_with_the_events(world_home: tuple[Settings, Path]) -> None:
    settings, _ = world_home
    eligible = gate_answer(settings, "billing", AT)
    record = run_billing(
        settings, eligible, month="2026-03", actor="t", gate_at=AT, recorder=MemoryRunRecorder()
    )
    c = record.counts
    assert c["events_eligible"] == (
        c["events_billed"] + c["events_not_chargeable"] + c["events_quarantined"]
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("eligible", eligible)
    events = f"'{settings.store_dir}/events/*/*.parquet'"
    subs = f"'{settings.store_dir}/subscribers/*.parquet'"
    direct = con.execute(
        f"""
        SELECT count(*),
               sum(duration_s) FILTER (WHERE event_type = 'call_mo'),
               sum(bytes_up + bytes_down) FILTER (WHERE event_type = 'data_session'),
               count(*) FILTER (WHERE event_type = 'sms_mo')
        FROM {events} e JOIN {subs} s USING (imsi) JOIN eligible USING (subscriber_id)
        WHERE ts >= TIMESTAMPTZ '2026-02-28 23:00:00+00'
          AND ts < TIMESTAMPTZ '2026-03-31 22:00:00+00'
        """
    ).fetchone()
    assert direct is not None
    lines = pq.read_table(record.outputs["invoice_lines.parquet"])

    def total(column: str, *names: str) -> int:
        mine = lines.filter(pc.is_in(lines.column("line"), value_set=pa.array(names, pa.string())))
        return int(pc.sum(mine.column(column)).as_py() or 0)

    voice = ("voice_on_net", "voice_off_net", "voice_international", "roaming_voice_out")
    assert c["events_eligible"] == direct[0]
    assert total("quantity", *voice) == direct[1]
    assert total("quantity", "data", "roaming_data") == direct[2]
    assert total("events", "sms_national", "sms_international", "roaming_sms") == direct[3]
    assert total("amount_cents", *set(lines.column("line").to_pylist())) == c["amount_cents"]
    invoices = pq.read_table(record.outputs["invoices.parquet"])
    assert pc.sum(invoices.column("amount_cents")).as_py() == c["amount_cents"]


def test_a_subscriber_left_out_by_the_gate_disappears_from_the_next_run(
    world_home: tuple[Settings, Path],
) -> None:
    settings, _ = world_home
    eligible = gate_answer(settings, "billing", AT)
    first = run_billing(
        settings, eligible, month="2026-03", actor="t", gate_at=AT, recorder=MemoryRunRecorder()
    )
    lines = pq.read_table(first.outputs["invoice_lines.parquet"])
    heavy = lines.filter(pc.equal(lines.column("line"), "data")).sort_by([("events", "descending")])
    leaver = heavy.column("subscriber_id")[0].as_py()
    left_events = int(
        pc.sum(
            lines.filter(pc.equal(lines.column("subscriber_id"), leaver)).column("events")
        ).as_py()
    )
    remaining = eligible.filter(pc.invert(pc.equal(eligible.column("subscriber_id"), leaver)))
    second = run_billing(
        settings, remaining, month="2026-03", actor="t", gate_at=AT, recorder=MemoryRunRecorder()
    )
    for name in ("invoice_lines", "invoices"):
        table = pq.read_table(second.outputs[f"{name}.parquet"])
        assert leaver not in table.column("subscriber_id").to_pylist()
        assert leaver not in Path(second.outputs[f"{name}.csv"]).read_text()
    assert first.counts["events_billed"] - second.counts["events_billed"] == left_events


@pytest.mark.parametrize(
    ("row", "old", "new", "message"),
    [
        (0, "monthly_fee_cents", "fee", "header must be"),
        (1, ",2499,", ",24.99,", "row 1 .*monthly_fee_cents '24.99' is not a whole number"),
        (1, "MOB_5G_200GB", "MOB 5G", "row 1: plan 'MOB 5G' is not a plan code"),
        (2, "MOB_4G_100GB", "MOB_5G_200GB", "row 2: plan 'MOB_5G_200GB' appears twice"),
    ],
)
def test_a_malformed_tariff_table_is_refused_naming_row_and_field(
    tmp_path: Path, row: int, old: str, new: str, message: str
) -> None:
    rows = packaged("tariff_plans.csv").read_text().splitlines()
    assert rows[0] == ",".join(PLAN_COLUMNS)
    assert old in rows[row]
    rows[row] = rows[row].replace(old, new)
    bad = tmp_path / "plans.csv"
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(TariffError, match=message):
        load_tariffs(bad)


def test_the_packaged_tariff_table_covers_the_world_plans() -> None:
    table = load_tariffs()
    assert {
        "MOB_5G_200GB",
        "MOB_4G_100GB",
        "MOB_4G_20GB",
        "MOB_2H_SMS",
        "PREPAID",
        "PRO_5G",
        "CONV_FIBRE_5G",
        "CONV_DSL_4G",
    } <= set(table.plans)
    assert table.zone_of("262") == ("DE", "eu") and table.zone_of("999")[1] == "world"
