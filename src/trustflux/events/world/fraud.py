"""Injected fraud: SIM boxes, wangiri (one-ring) campaigns and IRSF, with their ground truth.

SIM-box SIMs are ordinary prepaid contracts whose usage is shaped by per-device rates (see
``usage``); this module plans where and when each scheme runs and adds the calls that
ordinary usage cannot produce (wangiri rings and call-backs, IRSF premium calls).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trustflux.events.world.eventbatch import CALL_MO, CALL_MT, CellLookup, EventBatch
from trustflux.events.world.geography import Geography
from trustflux.events.world.numeric import IntArray, sample_cdf
from trustflux.events.world.params import IRSF_PREMIUM_PREFIXES, WANGIRI_DIAL_CODES, WorldParams
from trustflux.events.world.timegrid import DayGrid

KIND_NONE, KIND_SIMBOX, KIND_IRSF = 0, 1, 2
KIND_NAMES = {KIND_SIMBOX: "sim_box", KIND_IRSF: "irsf"}
SIMBOX_TAC = 86_001_234


@dataclass(frozen=True)
class FraudCounts:
    """How many schemes of each kind a world of this size carries."""

    simboxes: int
    simbox_sims: int
    irsf_cases: int
    irsf_sims: int
    wangiri_numbers: int

    @property
    def sims(self) -> int:
        return self.simbox_sims + self.irsf_sims


def fraud_counts(params: WorldParams) -> FraudCounts:
    """Proportionate to the subscriber base, at least one of each from a minimum size."""
    n = params.subscribers
    if n < params.fraud_min_subscribers:
        return FraudCounts(0, 0, 0, 0, 0)
    simboxes = max(1, round(n * params.simboxes_per_subscriber))
    irsf = max(1, round(n * params.irsf_cases_per_subscriber))
    wangiri = max(1, round(n * params.wangiri_numbers_per_subscriber))
    return FraudCounts(
        simboxes=simboxes,
        simbox_sims=simboxes * params.simbox_sims,
        irsf_cases=irsf,
        irsf_sims=irsf * params.irsf_sims,
        wangiri_numbers=wangiri,
    )


@dataclass(frozen=True)
class FraudSims:
    """One entry per fraudulent own SIM (they are appended to the subscriber base)."""

    kind: IntArray
    case: IntArray
    case_ids: list[str]
    zone: IntArray
    cell: IntArray
    first_day: IntArray
    last_day: IntArray
    contract_start_day: IntArray
    """Window-relative day the contract started (negative: before the window)."""
    imei_body: IntArray
    """14-digit IMEI bodies (check digit added with the others); -1: ordinary handset."""

    def __len__(self) -> int:
        return int(self.kind.shape[0])


@dataclass(frozen=True)
class WangiriPlan:
    """Bursts of one-ring calls from external numbers."""

    case_ids: list[str]
    numbers: IntArray
    burst_case: IntArray
    burst_day: IntArray
    burst_start_s: IntArray
    burst_len_s: IntArray


def plan_fraud(
    params: WorldParams, counts: FraudCounts, geo: Geography, rng: np.random.Generator
) -> tuple[FraudSims, WangiriPlan]:
    """Place SIM boxes and IRSF SIMs on cells and days; schedule wangiri bursts."""
    days = params.days
    pop = geo.zones.population[: geo.zones.n_study].astype(float) + 1.0
    zone_cdf = np.cumsum(pop / pop.sum())
    kinds: list[int] = []
    cases: list[int] = []
    case_ids: list[str] = []
    zones: list[int] = []
    cells: list[int] = []
    first: list[int] = []
    last: list[int] = []
    start: list[int] = []
    imei: list[int] = []
    specs = [(KIND_SIMBOX, counts.simboxes, params.simbox_sims)]
    specs.append((KIND_IRSF, counts.irsf_cases, params.irsf_sims))
    for kind, n_cases, sims in specs:
        for _ in range(n_cases):
            case = len(case_ids)
            case_ids.append(f"F{case + 1:04d}")
            zone = int(sample_cdf(zone_cdf, 1, rng)[0])
            pool = geo.cells.pool[
                geo.cells.pool_start[zone] : geo.cells.pool_start[zone] + geo.cells.pool_count[zone]
            ]
            cell = int(pool[int(rng.integers(len(pool)))])
            if kind == KIND_SIMBOX:
                day0, day1 = int(rng.integers(0, max(1, days // 3 + 1))), days - 1
                contract = day0 - int(rng.integers(7, 60))
                serial = int(rng.integers(0, 900_000))
            else:
                day0 = int(rng.integers(0, days))
                day1 = min(days - 1, day0 + int(rng.integers(0, 2)))
                contract = day0 - int(rng.integers(1, 6))
            for k in range(sims):
                kinds.append(kind)
                cases.append(case)
                zones.append(zone)
                cells.append(cell)
                first.append(day0)
                last.append(day1)
                start.append(contract)
                imei.append(SIMBOX_TAC * 1_000_000 + serial + k if kind == KIND_SIMBOX else -1)
    sims_plan = FraudSims(
        kind=np.asarray(kinds, dtype=np.int64),
        case=np.asarray(cases, dtype=np.int64),
        case_ids=case_ids,
        zone=np.asarray(zones, dtype=np.int64),
        cell=np.asarray(cells, dtype=np.int64),
        first_day=np.asarray(first, dtype=np.int64),
        last_day=np.asarray(last, dtype=np.int64),
        contract_start_day=np.asarray(start, dtype=np.int64),
        imei_body=np.asarray(imei, dtype=np.int64),
    )
    return sims_plan, _plan_wangiri(counts, days, len(case_ids), rng)


def _plan_wangiri(
    counts: FraudCounts, days: int, first_case: int, rng: np.random.Generator
) -> WangiriPlan:
    n = counts.wangiri_numbers
    codes = [WANGIRI_DIAL_CODES[int(i)] for i in rng.integers(0, len(WANGIRI_DIAL_CODES), n)]
    numbers = np.array([int(c) * 10**8 + int(rng.integers(10**7, 10**8)) for c in codes])
    bursts = rng.integers(1, 4, n)
    burst_case = np.repeat(np.arange(n, dtype=np.int64), bursts)
    m = int(bursts.sum())
    return WangiriPlan(
        case_ids=[f"F{first_case + k + 1:04d}" for k in range(n)],
        numbers=numbers.astype(np.int64),
        burst_case=burst_case,
        burst_day=rng.integers(0, days, m).astype(np.int64),
        burst_start_s=rng.integers(9 * 3_600, 21 * 3_600, m).astype(np.int64),
        burst_len_s=rng.integers(20 * 60, 90 * 60, m).astype(np.int64),
    )


def wangiri_calls(
    plan: WangiriPlan,
    grid: DayGrid,
    victims_pool: IntArray,
    cell_at: CellLookup,
    share: float,
    rng: np.random.Generator,
) -> EventBatch:
    """One-ring calls (0-3 s) to a share of the block's own devices, and a few call-backs."""
    batches: list[EventBatch] = []
    for b in np.flatnonzero(plan.burst_day == grid.index):
        n_victims = int(rng.binomial(len(victims_pool), share))
        if n_victims == 0:
            continue
        devs = rng.choice(victims_pool, size=n_victims, replace=False)
        offset = plan.burst_start_s[b] * 1_000 + rng.integers(
            0, plan.burst_len_s[b] * 1_000, n_victims
        )
        ts = grid.start_ms + offset
        number = plan.numbers[plan.burst_case[b]]
        rings = cell_at.batch(
            devs, ts, CALL_MT, counterpart=number, duration=rng.integers(0, 4, n_victims)
        )
        batches.append(rings)
        back = rng.random(n_victims) < 0.04
        if back.any():
            delay = rng.integers(5 * 60_000, 3 * 3_600_000, int(back.sum()))
            dur = np.clip(rng.lognormal(math.log(90), 0.8, int(back.sum())), 5, 1_800)
            batches.append(
                cell_at.batch(
                    devs[back],
                    ts[back] + delay,
                    CALL_MO,
                    counterpart=number,
                    duration=dur.astype(np.int64),
                )
            )
    return EventBatch.concat(batches)


def irsf_calls(
    devs: IntArray, grid: DayGrid, cell: IntArray, rng: np.random.Generator
) -> EventBatch:
    """Chains of long calls (15-60 min) from IRSF SIMs to premium international ranges."""
    batches: list[EventBatch] = []
    for d, c in zip(devs.tolist(), cell.tolist(), strict=True):
        prefix = IRSF_PREMIUM_PREFIXES[int(rng.integers(len(IRSF_PREMIUM_PREFIXES)))]
        n_calls = int(rng.integers(10, 26))
        durations = rng.integers(15 * 60, 60 * 60, n_calls)
        gaps = rng.integers(30, 600, n_calls)
        starts = (
            int(rng.integers(0, 2 * 3_600))
            + np.cumsum(gaps)
            + np.concatenate([[0], np.cumsum(durations)[:-1]])
        )
        keep = starts + durations < (grid.end_ms - grid.start_ms) // 1_000
        k = int(keep.sum())
        digits = 12 - len(prefix)
        numbers = int(prefix) * 10**digits + rng.integers(0, 10**digits, k)
        batches.append(
            EventBatch.make(
                dev=np.full(k, d, dtype=np.int64),
                ts=grid.start_ms + starts[keep] * 1_000,
                cell=np.full(k, c, dtype=np.int64),
                etype=np.full(k, CALL_MO, dtype=np.int64),
                counterpart=numbers.astype(np.int64),
                duration=durations[keep].astype(np.int64),
            )
        )
    return EventBatch.concat(batches)
