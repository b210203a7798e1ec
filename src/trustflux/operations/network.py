"""Network optimisation (purpose ``network_optimisation``, legitimate interests with opt-out).

Per cell and hour: load (events, calls, data sessions, bytes) and distinct devices; per cell:
the busy hour and a utilisation ranking. Scope: gated own subscribers plus inbound roamers
(they load the network too; the assessment covers them); an own subscriber who objected is
never read.

Three stages, so that the analysis only ever sees pseudonyms:

1. measure (engine): events of the window -> (IMSI, cell, hour) totals. The IMSI exists
   only inside the engine at this point and is never written;
2. pseudonymise: each IMSI -> HMAC-SHA256 under a key drawn for this run and never stored,
   then the IMSI column is dropped;
3. analyse (engine, pseudonyms only): exact load per cell-hour, and distinct devices per
   cell-hour with each device-day bounded to ``network_max_cell_hours`` cells.

Load figures describe the network and are exact. Distinct devices are counts of people:
they get the statistics' disclosure control: OpenDP's discrete Gaussian on the whole public
grid (every cell of the network x every hour, zeros included) calibrated to the bound,
charged to a per-day privacy budget kept across runs, then counts below
max(k, 2.33 x noise std) withheld. Nothing written is keyed by an IMSI or a subscriber.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trustflux.config import Settings
from trustflux.engine.session import EngineSession
from trustflux.errors import PrivacyBudgetError
from trustflux.mobility.budget import (
    DEVICE_DAY,
    Accounting,
    Part,
    account,
    l2_sensitivity,
    rho_for_epsilon,
    scale_for,
)
from trustflux.mobility.keys import KEY_BYTES, PeriodKey
from trustflux.mobility.noise import NoiseSource, OpenDPNoise
from trustflux.operations.common import (
    JobRun,
    Window,
    read_scope_with_roamers,
    read_store_table,
    replace_folder,
    write_table,
    zone,
)
from trustflux.operations.records import RunRecord, RunRecorder

PURPOSE = "network_optimisation"
NOISE_MULTIPLE = 2.33
NOMINAL_MBIT_S: Mapping[str, float] = {"GSM": 0.2, "UMTS": 21.0, "LTE": 150.0, "NR": 1000.0}
"""Nominal peak throughput of one cell per radio, for the utilisation ranking."""
CONGESTED_UTILISATION = 0.8

CELL_HOUR_SCHEMA = pa.schema(
    [
        ("area_code", pa.int32()),
        ("cell_id", pa.int64()),
        ("radio", pa.string()),
        ("zone_id", pa.string()),
        ("hour_start", pa.timestamp("ms", tz="UTC")),
        ("events", pa.int64()),
        ("calls", pa.int64()),
        ("data_sessions", pa.int64()),
        ("bytes", pa.int64()),
        ("devices", pa.int64()),
        ("devices_suppressed", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class DevicePrivacy:
    """What the distinct-device counts cost and how they were protected."""

    epsilon: float
    delta: float
    rho: float
    cells_per_device_day: int
    scale: float
    noise_std: float
    threshold: int
    k: int
    accounting: Accounting

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": DEVICE_DAY,
            "epsilon": self.accounting.epsilon,
            "epsilon_requested": self.epsilon,
            "delta": self.delta,
            "rho": self.accounting.rho,
            "contribution_bound_cell_hours_per_device_day": self.cells_per_device_day,
            "l2_sensitivity": l2_sensitivity(self.cells_per_device_day),
            "noise": "discrete Gaussian",
            "scale": self.scale,
            "noise_std": self.noise_std,
            "k": self.k,
            "threshold": self.threshold,
        }


def device_privacy(settings: Settings) -> DevicePrivacy:
    """Calibrate the device counts of one run: the scale whose OpenDP map costs the run's rho."""
    rho = rho_for_epsilon(settings.network_epsilon, settings.delta)
    bound = settings.network_max_cell_hours
    scale = scale_for(rho * (1 - 1e-9), l2_sensitivity(bound))
    accounting = account([Part("network_devices", bound, scale)], DEVICE_DAY, settings.delta)
    charge = accounting.charge("network_devices")
    threshold = max(settings.k_threshold, math.ceil(NOISE_MULTIPLE * charge.noise_std))
    return DevicePrivacy(
        settings.network_epsilon,
        settings.delta,
        rho,
        bound,
        scale,
        charge.noise_std,
        threshold,
        settings.k_threshold,
        accounting,
    )


class NetworkBudget:
    """Privacy spent per local day by network runs, kept in ``<operations>/network/budget.json``.

    Every run over a day spends rho on that day's device-days (days are disjoint, so a
    multi-day run costs each of its days once). A run that would go beyond the allowance is
    refused before any noise is drawn.
    """

    def __init__(self, path: Path, allowance_rho: float, delta: float) -> None:
        self.path = path
        self.allowance_rho = allowance_rho
        self.delta = delta

    def spent(self) -> dict[str, list[dict[str, Any]]]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text())
        return {str(k): list(v) for k, v in data.get("days", {}).items()}

    def spent_rho(self, day: date) -> float:
        return math.fsum(float(c["rho"]) for c in self.spent().get(day.isoformat(), []))

    def charge(self, days: list[date], rho: float, run_id: str) -> None:
        over = [d for d in days if self.spent_rho(d) + rho > self.allowance_rho]
        if over:
            left = min(self.allowance_rho - self.spent_rho(d) for d in over)
            raise PrivacyBudgetError(
                f"network privacy budget exhausted for {', '.join(d.isoformat() for d in over)}: "
                f"this run needs rho={rho:.6g} per device-day, only rho={max(0.0, left):.6g} is "
                f"left of {self.allowance_rho:.6g} (TRUSTFLUX_NETWORK_EPSILON_ALLOWANCE)"
            )
        spent = self.spent()
        for d in days:
            spent.setdefault(d.isoformat(), []).append({"run_id": run_id, "rho": rho})
        payload = {
            "unit": DEVICE_DAY,
            "delta": self.delta,
            "allowance_rho": self.allowance_rho,
            "days": spent,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{run_id}.tmp")
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
        tmp.replace(self.path)


def measure(scope: Any, hour_of: Any) -> Any:
    """Stage 1: (imsi, area_code, cell_id, hour) totals of the window."""
    t = scope.event_type
    rows = scope.mutate(hour=hour_of(scope.ts))
    return rows.group_by(["imsi", "area_code", "cell_id", "hour"]).agg(
        events=rows.count(),
        calls=((t == "call_mo") | (t == "call_mt")).sum().cast("int64"),
        data_sessions=(t == "data_session").sum().cast("int64"),
        bytes=(rows.bytes_up.fill_null(0) + rows.bytes_down.fill_null(0)).sum().cast("int64"),
    )


def pseudonymise(session: EngineSession, measured: Any, key: PeriodKey) -> Any:
    """Stage 2: the IMSI replaced by a keyed pseudonym; the result has no IMSI column."""
    imsis = session.to_arrow(measured.select("imsi").distinct()).column("imsi").to_pylist()
    mapping = pa.table(
        {
            "p_imsi": pa.array(imsis, pa.string()),
            "pid": pa.array([key.pseudonym(i) for i in imsis], pa.int64()),
        }
    )
    table = session.table(mapping)
    joined = measured.join(table, measured.imsi == table.p_imsi)
    return joined.select(
        "pid", "area_code", "cell_id", "hour", "events", "calls", "data_sessions", "bytes"
    )


def bounded_devices(pseudonymous: Any, day_of_hour: Any, max_cells: int) -> Any:
    """Stage 3b: distinct devices per (cell, hour), each device-day kept in at most
    ``max_cells`` cell-hours (its busiest ones, then earliest, then by cell)."""
    rows = pseudonymous.join(day_of_hour, pseudonymous.hour == day_of_hour.d_hour)
    w = ibis.window(
        group_by=[rows.pid, rows.day],
        order_by=[ibis.desc(rows.events), rows.hour, rows.area_code, rows.cell_id],
    )
    ranked = rows.mutate(_rank=ibis.row_number().over(w))
    kept = ranked.filter(ranked._rank < max_cells)
    return kept.group_by(["area_code", "cell_id", "hour"]).agg(devices=kept.count())


def load(pseudonymous: Any) -> Any:
    """Stage 3a: exact load per (cell, hour)."""
    return pseudonymous.group_by(["area_code", "cell_id", "hour"]).agg(
        events=pseudonymous.events.sum(),
        calls=pseudonymous.calls.sum(),
        data_sessions=pseudonymous.data_sessions.sum(),
        bytes=pseudonymous.bytes.sum(),
    )


def run_network(
    settings: Settings,
    eligible: pa.Table,
    *,
    window: Window,
    actor: str,
    gate_at: datetime,
    noise: NoiseSource | None = None,
    recorder: RunRecorder | None = None,
    engine: str | EngineSession | None = None,
) -> RunRecord:
    """Cell-hour load and protected device counts of ``window`` -> ``<operations>/network/``."""
    privacy = device_privacy(settings)
    source = noise or OpenDPNoise()
    job = JobRun(
        settings,
        "network",
        PURPOSE,
        actor,
        gate_at,
        recorder,
        engine,
        parameters={
            "window": window.label,
            "window_utc": f"{window.start.isoformat()}/{window.end.isoformat()}",
            "epsilon": f"{privacy.accounting.epsilon:.6g}",
            "noise": source.description.name,
        },
    )
    with job:
        cells = read_store_table(settings, "cells", ["area_code", "cell_id", "radio", "zone_id"])
        load_rows, device_rows = _analyse(job, job.session, window, eligible)
        days = _local_days(window, settings)
        NetworkBudget(
            settings.ops_dir / "network" / "budget.json",
            rho_for_epsilon(settings.network_epsilon_allowance, settings.delta),
            settings.delta,
        ).charge(days, privacy.accounting.rho, job.run_id)
        cell_hours = _grid(cells, window, load_rows, device_rows, privacy, source)
        ranked = rank_cells(cell_hours)
        folder = settings.ops_dir / "network" / window.label
        meta = {
            "run_id": job.run_id,
            "window": window.label,
            "window_utc": [window.start.isoformat(), window.end.isoformat()],
            "devices": privacy.as_dict(),
            "noise": source.description.__dict__,
            "exact": ["events", "calls", "data_sessions", "bytes"],
            "nominal_mbit_s": dict(NOMINAL_MBIT_S),
        }

        def fill(staging: Path) -> None:
            write_table(cell_hours, staging / "cell_hours.parquet", csv=True)
            write_table(ranked, staging / "cells.parquet", csv=True)
            (staging / "privacy.json").write_text(json.dumps(meta, indent=2, default=str))

        replace_folder(folder, fill, job.run_id)
        for name in ("cell_hours", "cells"):
            job.wrote(f"{name}.parquet", folder / f"{name}.parquet")
            job.wrote(f"{name}.csv", folder / f"{name}.csv")
        job.wrote("privacy", folder / "privacy.json")
        suppressed = int(pc.sum(cell_hours.column("devices_suppressed")).as_py() or 0)
        job.counts.update(
            {
                "cell_hours": cell_hours.num_rows,
                "cell_hours_devices_suppressed": suppressed,
                "cells": ranked.num_rows,
                "cells_congested": int(pc.sum(ranked.column("congested")).as_py() or 0),
            }
        )
        return job.finish()


def _local_days(window: Window, settings: Settings) -> list[date]:
    tz = zone(settings.local_timezone)
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _day_of_hour(window: Window, settings: Settings) -> pa.Table:
    tz = zone(settings.local_timezone)
    first = window.start.astimezone(tz).date()
    hours = list(range(window.hours))
    days = [((window.start + timedelta(hours=h)).astimezone(tz).date() - first).days for h in hours]
    return pa.table({"d_hour": pa.array(hours, pa.int64()), "day": pa.array(days, pa.int64())})


def _analyse(
    job: JobRun, session: EngineSession, window: Window, eligible: pa.Table
) -> tuple[pa.Table, pa.Table]:
    settings = job.settings
    scope, _, events_read = read_scope_with_roamers(job, window, eligible, "subscriber_id", "imsi")
    start_s = int(window.start.timestamp())

    def hour_of(ts: Any) -> Any:
        return ((session.epoch_seconds(ts) - start_s) / 3600).floor().cast("int64")

    tag = job.tag
    measured = session.materialize(measure(scope, hour_of), f"tf_net_measured{tag}")
    key = PeriodKey(job.run_id, secrets.token_bytes(KEY_BYTES))  # never stored
    pseudonymous = session.materialize(pseudonymise(session, measured, key), f"tf_net_pid{tag}")
    del key
    day_of_hour = session.table(_day_of_hour(window, settings))
    load_rows = session.to_arrow(load(pseudonymous))
    device_rows = session.to_arrow(
        bounded_devices(pseudonymous, day_of_hour, settings.network_max_cell_hours)
    )
    totals = session.to_arrow(
        pseudonymous.aggregate(events=pseudonymous.events.sum(), devices=pseudonymous.pid.nunique())
    ).to_pylist()[0]
    job.counts.update(
        {
            "events_read": events_read,
            "events_in_scope": int(totals["events"] or 0),
            "subscribers_eligible": eligible.num_rows,
        }
    )
    return load_rows, device_rows


def _grid(
    cells: pa.Table,
    window: Window,
    load_rows: pa.Table,
    device_rows: pa.Table,
    privacy: DevicePrivacy,
    noise: NoiseSource,
) -> pa.Table:
    """Every public cell x every hour of the window, load exact, devices noisy/withheld."""
    cells = cells.sort_by([("area_code", "ascending"), ("cell_id", "ascending")])
    n_cells, n_hours = cells.num_rows, window.hours
    index = {
        (a, c): i
        for i, (a, c) in enumerate(
            zip(
                cells.column("area_code").to_pylist(),
                cells.column("cell_id").to_pylist(),
                strict=True,
            )
        )
    }

    def grid_of(rows: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.int64]]:
        grid = np.zeros(n_cells * n_hours, np.int64)
        pos = [
            index[(a, c)] * n_hours + h
            for a, c, h in zip(
                rows.column("area_code").to_pylist(),
                rows.column("cell_id").to_pylist(),
                rows.column("hour").to_pylist(),
                strict=True,
            )
        ]
        grid[np.asarray(pos, np.int64)] = np.asarray(
            pc.fill_null(rows.column(column), 0).to_numpy(zero_copy_only=False), np.int64
        )
        return grid

    known = [
        (a, c) in index
        for a, c in zip(
            load_rows.column("area_code").to_pylist(),
            load_rows.column("cell_id").to_pylist(),
            strict=True,
        )
    ]
    if not all(known):
        load_rows = load_rows.filter(pa.array(known))  # events on cells not in the cells table
    dev_known = [
        (a, c) in index
        for a, c in zip(
            device_rows.column("area_code").to_pylist(),
            device_rows.column("cell_id").to_pylist(),
            strict=True,
        )
    ]
    device_rows = device_rows.filter(pa.array(dev_known))
    exact_devices = grid_of(device_rows, "devices")
    noisy = noise.discrete_gaussian(
        exact_devices, privacy.scale, stream=f"network/{window.label}/devices"
    )
    clamped = np.maximum(noisy, 0)
    suppressed = clamped < privacy.threshold
    hours = [window.start + timedelta(hours=h) for h in range(n_hours)]
    return pa.table(
        {
            "area_code": pa.array(
                np.repeat(cells.column("area_code").to_numpy(), n_hours), pa.int32()
            ),
            "cell_id": pa.array(np.repeat(cells.column("cell_id").to_numpy(), n_hours), pa.int64()),
            "radio": pa.array(
                np.repeat(np.array(cells.column("radio").to_pylist(), dtype=object), n_hours),
                pa.string(),
            ),
            "zone_id": pa.array(
                np.repeat(np.array(cells.column("zone_id").to_pylist(), dtype=object), n_hours),
                pa.string(),
            ),
            "hour_start": pa.array(hours * n_cells, pa.timestamp("ms", tz="UTC")),
            "events": pa.array(grid_of(load_rows, "events"), pa.int64()),
            "calls": pa.array(grid_of(load_rows, "calls"), pa.int64()),
            "data_sessions": pa.array(grid_of(load_rows, "data_sessions"), pa.int64()),
            "bytes": pa.array(grid_of(load_rows, "bytes"), pa.int64()),
            "devices": pa.array(clamped, pa.int64(), mask=suppressed),
            "devices_suppressed": pa.array(suppressed, pa.bool_()),
        },
        schema=CELL_HOUR_SCHEMA,
    )


def rank_cells(cell_hours: pa.Table) -> pa.Table:
    """Per cell: totals, busy hour (most bytes, earliest on ties), utilisation, rank."""
    order = cell_hours.sort_by(
        [
            ("area_code", "ascending"),
            ("cell_id", "ascending"),
            ("bytes", "descending"),
            ("hour_start", "ascending"),
        ]
    )
    busy = order.group_by(["area_code", "cell_id"], use_threads=False).aggregate(
        [
            ("radio", "first"),
            ("zone_id", "first"),
            ("hour_start", "first"),
            ("bytes", "first"),
            ("events", "first"),
            ("devices", "first"),
        ]
    )
    totals = cell_hours.group_by(["area_code", "cell_id"]).aggregate(
        [("events", "sum"), ("calls", "sum"), ("data_sessions", "sum"), ("bytes", "sum")]
    )
    joined = busy.join(totals, ["area_code", "cell_id"])
    radio = joined.column("radio_first").to_pylist()
    peak = np.asarray(joined.column("bytes_first").to_numpy(zero_copy_only=False), np.float64)
    capacity = np.array([NOMINAL_MBIT_S.get(r or "", 1.0) * 1e6 / 8 * 3600 for r in radio])
    utilisation = peak / capacity
    table = pa.table(
        {
            "area_code": joined.column("area_code"),
            "cell_id": joined.column("cell_id"),
            "radio": joined.column("radio_first"),
            "zone_id": joined.column("zone_id_first"),
            "events": joined.column("events_sum"),
            "calls": joined.column("calls_sum"),
            "data_sessions": joined.column("data_sessions_sum"),
            "bytes": joined.column("bytes_sum"),
            "busy_hour_start": joined.column("hour_start_first"),
            "busy_hour_bytes": joined.column("bytes_first"),
            "busy_hour_events": joined.column("events_first"),
            "busy_hour_devices": joined.column("devices_first"),
            "utilisation": pa.array(np.round(utilisation, 6), pa.float64()),
            "congested": pa.array(utilisation >= CONGESTED_UTILISATION, pa.bool_()),
        }
    )
    table = table.sort_by(
        [("utilisation", "descending"), ("area_code", "ascending"), ("cell_id", "ascending")]
    )
    return table.append_column("rank", pa.array(np.arange(1, table.num_rows + 1), pa.int64()))
