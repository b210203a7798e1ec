"""Billing (purpose ``billing``, lawful basis: contract): one bill run per local month.

Scope: only own subscribers the gate allows (inbound roamers have no contract with us and are
billed to their home operator through wholesale roaming, not here). One pass over the
month's events in the engine classifies each event of an eligible subscriber into a usage
line and sums it per (subscriber, line, visited country); rating of that small table is
exact integer arithmetic (``tariffs``). Counts reconcile:

    events of eligible subscribers = billed + not chargeable + quarantined (unknown plan)

and every billed line's quantity is the sum of its events' seconds, messages or bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from trustflux.config import Settings
from trustflux.engine.session import EngineSession
from trustflux.operations.common import (
    JobRun,
    Window,
    count,
    eligible_subscribers,
    events_in,
    quarantine_rows,
    replace_folder,
    require_files,
    scope_own,
    store_files,
    write_table,
)
from trustflux.operations.records import RunRecord, RunRecorder
from trustflux.operations.tariffs import (
    LINE_SCHEMA,
    LINES,
    SUBSCRIPTION,
    USAGE_SCHEMA,
    TariffTable,
    known_plan_mask,
    load_tariffs,
    rate_usage,
    subscription_lines,
)

PURPOSE = "billing"
NOT_CHARGEABLE = "not_chargeable"
LINE_ORDER = (SUBSCRIPTION, *LINES)


def classify(events: Any, cells: Any, directory: Any, home_mcc: str, country_code: str) -> Any:
    """Each event with its usage ``line`` and, when roaming, the visited network's ``mcc``.

    Roaming is an event on a cell of another country's network (the cells table carries
    visited networks when their records are loaded). At home: outgoing calls are on-net
    (counterpart is one of our numbers), off-net (national) or international; outgoing SMS
    national or international; data sessions data. Everything else (incoming calls and SMS
    at home, signalling) is not chargeable.
    """
    visited = cells.select(c_area=cells.area_code, c_cell=cells.cell_id, c_mcc=cells.mcc)
    located = events.left_join(
        visited, [events.area_code == visited.c_area, events.cell_id == visited.c_cell]
    )
    numbers = directory.select(on_net_number=directory.msisdn).distinct()
    e = located.left_join(numbers, located.counterpart == numbers.on_net_number)
    t = e.event_type
    roaming = e.c_mcc.notnull() & (e.c_mcc != home_mcc)
    on_net = e.on_net_number.notnull()
    national = on_net | e.counterpart.startswith(country_code)
    line = ibis.cases(
        (roaming & (t == "call_mo"), "roaming_voice_out"),
        (roaming & (t == "call_mt"), "roaming_voice_in"),
        (roaming & (t == "sms_mo"), "roaming_sms"),
        (roaming & (t == "data_session"), "roaming_data"),
        ((t == "call_mo") & on_net, "voice_on_net"),
        ((t == "call_mo") & national, "voice_off_net"),
        (t == "call_mo", "voice_international"),
        ((t == "sms_mo") & national, "sms_national"),
        (t == "sms_mo", "sms_international"),
        (t == "data_session", "data"),
        else_=NOT_CHARGEABLE,
    )
    return e.select(
        "subscriber_id",
        line=line,
        mcc=ibis.ifelse(roaming, e.c_mcc, ibis.null("string")),
        duration_s=e.duration_s,
        volume=e.bytes_up.fill_null(0) + e.bytes_down.fill_null(0),
    )


def usage(classified: Any) -> Any:
    """(subscriber_id, line, mcc, events, seconds, bytes): the month's usage, one row a line."""
    grouped = classified.group_by(["subscriber_id", "line", "mcc"]).agg(
        events=classified.count(),
        seconds=classified.duration_s.sum().fill_null(0).cast("int64"),
        bytes=classified.volume.sum().fill_null(0).cast("int64"),
    )
    return grouped.select(*USAGE_SCHEMA.names)


def run_billing(
    settings: Settings,
    eligible: pa.Table,
    *,
    month: str,
    actor: str,
    gate_at: datetime,
    tariffs: TariffTable | None = None,
    recorder: RunRecorder | None = None,
    engine: str | EngineSession | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RunRecord:
    """Bill ``month`` (local ``YYYY-MM``) for the ``eligible`` subscribers.

    Writes ``<operations>/billing/<month>/``: invoice_lines and invoices (Parquet and CSV)
    and reconciliation.json, replacing an earlier run of the same month whole.
    """
    window = Window.month(month, settings.local_timezone)
    table = tariffs or load_tariffs(settings.tariff_file)
    job = JobRun(
        settings,
        "billing",
        PURPOSE,
        actor,
        gate_at,
        recorder,
        engine,
        parameters={"period": month, "tariffs": table.source},
        clock=clock,
    )
    with job:
        lines, invoices, summary = _bill(job, job.session, window, eligible, table)
        folder = settings.ops_dir / "billing" / month

        def fill(staging: Path) -> None:
            write_table(lines, staging / "invoice_lines.parquet", csv=True)
            write_table(invoices, staging / "invoices.parquet", csv=True)
            (staging / "reconciliation.json").write_text(json.dumps(summary, indent=2))

        replace_folder(folder, fill, job.run_id)
        for name in ("invoice_lines", "invoices"):
            job.wrote(f"{name}.parquet", folder / f"{name}.parquet")
            job.wrote(f"{name}.csv", folder / f"{name}.csv")
        job.wrote("reconciliation", folder / "reconciliation.json")
        return job.finish()


def _bill(
    job: JobRun, session: EngineSession, window: Window, eligible: pa.Table, tariffs: TariffTable
) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
    settings = job.settings
    sub_files = require_files(settings, "subscribers")
    cell_files = require_files(settings, "cells")
    event_files = store_files(settings, "events", window.utc_days)
    subscribers = session.read_parquet(sub_files)
    gated = eligible_subscribers(session, subscribers, eligible)
    people = session.to_arrow(
        gated.select("subscriber_id", "plan", "contract_start", "contract_end")
    )
    known = known_plan_mask(people.column("plan"), tariffs)
    billable, unknown = people.filter(known), people.filter(pc.invert(known))
    job.read("eligible", eligible.num_rows, detail="subscriber ids the gate allows")
    subscribers_read = count(session, subscribers)
    job.read("subscribers", subscribers_read, len(sub_files))
    events_read = 0
    if event_files:
        events = events_in(session, event_files, window)
        events_read = count(session, events)
        job.read("events", events_read, len(event_files), detail=window.label)
        scoped = scope_own(events, gated.select("subscriber_id", "imsi"))
        cells = session.read_parquet(cell_files)
        rows = classify(
            scoped,
            cells,
            subscribers,
            settings.home_plmn[:3],
            settings.home_country_code,
        )
        used = session.to_arrow(usage(rows)).cast(USAGE_SCHEMA)
    else:
        job.read("events", 0, 0, detail=f"{window.label}: no partitions")
        used = USAGE_SCHEMA.empty_table()
    used = used.join(people.select(["subscriber_id", "plan"]), "subscriber_id")
    known_usage = known_plan_mask(used.column("plan"), tariffs)
    chargeable = pc.not_equal(used.column("line"), NOT_CHARGEABLE)
    to_rate = used.filter(pc.and_(known_usage, chargeable))
    first = window.start.astimezone(_tz(settings)).date()
    last = (window.end.astimezone(_tz(settings)) - timedelta(seconds=1)).date()
    lines = pa.concat_tables(
        [
            subscription_lines(billable, tariffs, window.label, first, last),
            rate_usage(to_rate, tariffs, window.label),
        ]
    )
    lines = _ordered(lines)
    invoices = _invoices(lines)
    quarantined = _quarantine_unknown(job, unknown, tariffs)

    def events_where(mask: pa.ChunkedArray | pa.Array) -> int:
        return int(pc.sum(used.filter(mask).column("events")).as_py() or 0)

    job.counts.update(
        {
            "events_read": events_read,
            "events_eligible": events_where(pa.array([True] * used.num_rows, pa.bool_())),
            "events_billed": events_where(pc.and_(known_usage, chargeable)),
            "events_not_chargeable": events_where(pc.and_(known_usage, pc.invert(chargeable))),
            "events_quarantined": events_where(pc.invert(known_usage)),
            "subscribers_eligible": eligible.num_rows,
            "subscribers_billed": invoices.num_rows,
            "subscribers_quarantined": quarantined,
            "excluded_subscribers": subscribers_read - people.num_rows,
            "invoice_lines": lines.num_rows,
            "amount_cents": int(pc.sum(lines.column("amount_cents")).as_py() or 0),
        }
    )
    summary = {
        "period": window.label,
        "window_utc": [window.start.isoformat(), window.end.isoformat()],
        "run_id": job.run_id,
        "counts": dict(job.counts),
        "lines": _line_totals(lines),
    }
    return lines, invoices, summary


def _tz(settings: Settings) -> Any:
    from trustflux.operations.common import zone

    return zone(settings.local_timezone)


def _ordered(lines: pa.Table) -> pa.Table:
    order = pc.index_in(lines.column("line"), value_set=pa.array(LINE_ORDER, pa.string()))
    keyed = lines.append_column("_order", order)
    return keyed.sort_by(
        [("subscriber_id", "ascending"), ("_order", "ascending"), ("country", "ascending")]
    ).drop_columns(["_order"])


def _invoices(lines: pa.Table) -> pa.Table:
    """One row per billed subscriber: the invoice total and how many lines it has."""
    grouped = lines.group_by(["subscriber_id", "period", "plan"]).aggregate(
        [("amount_cents", "sum"), ("line", "count"), ("events", "sum")]
    )
    return (
        grouped.select(
            ["subscriber_id", "period", "plan", "line_count", "events_sum", "amount_cents_sum"]
        )
        .rename_columns(["subscriber_id", "period", "plan", "lines", "events", "amount_cents"])
        .sort_by("subscriber_id")
    )


def _line_totals(lines: pa.Table) -> dict[str, dict[str, int]]:
    grouped = lines.group_by("line").aggregate(
        [("events", "sum"), ("quantity", "sum"), ("amount_cents", "sum")]
    )
    return {
        row["line"]: {
            "events": int(row["events_sum"]),
            "quantity": int(row["quantity_sum"]),
            "amount_cents": int(row["amount_cents_sum"]),
        }
        for row in grouped.to_pylist()
    }


def _quarantine_unknown(job: JobRun, unknown: pa.Table, tariffs: TariffTable) -> int:
    """Eligible subscribers whose plan the tariff table lacks: not billed, quarantined."""
    rows = [
        {
            "source_file": str(job.settings.store_dir / "subscribers"),
            "field": "plan",
            "reason": f"unknown tariff plan {plan!r}: not in the tariff table {tariffs.source}",
            "record": {"subscriber_id": sid, "plan": plan},
        }
        for sid, plan in zip(
            unknown.column("subscriber_id").to_pylist(),
            unknown.column("plan").to_pylist(),
            strict=True,
        )
    ]
    return quarantine_rows(job.settings, job.run_id, "ops.billing", rows)


__all__ = ["LINE_SCHEMA", "PURPOSE", "classify", "run_billing", "usage"]
