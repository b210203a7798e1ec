"""Gateway diagnostics (purpose ``gateway_diagnostics``, contract: customer service).

Rules over a gateway's TR-181 telemetry in a time window, each finding with the samples
that triggered it (path, time, value, threshold), so an agent can explain it and the
subscriber can check it:

* Wi-Fi interference: radio noise above ``wifi_noise_dbm``, or retransmissions growing faster
  than ``wifi_retrans_per_hour``;
* DSL line fault: downstream noise margin below ``dsl_min_margin`` (0.1 dB), or errored
  seconds growing faster than ``dsl_errored_per_hour``;
* weak optical signal: received level below ``optical_min_level`` (0.001 dBm);
* repeated reboots: at least ``reboots`` boots inside the window (boot time = sample time
  minus uptime, so lost samples do not hide a boot).

A level or rate rule needs ``min_signals`` offending samples or intervals: one odd sample
is not a fault. ``diagnose`` answers for one gateway (what the web console shows, after its
own ticket-and-reason check and audit); ``run_diagnostics`` checks every gateway of the
eligible subscribers and writes the findings.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from trustflux.config import Settings
from trustflux.errors import NotEligibleError, OperationsError
from trustflux.operations.common import (
    JobRun,
    Window,
    read_store_table,
    replace_folder,
    write_table,
)
from trustflux.operations.records import RunRecord, RunRecorder
from trustflux.operations.telemetry import PARAMETERS, telemetry_files

PURPOSE = "gateway_diagnostics"
FAULTS = ("wifi_interference", "dsl_line", "weak_optical", "repeated_reboots")
MAX_EVIDENCE = 6
I64 = npt.NDArray[np.int64]

FINDING_SCHEMA = pa.schema(
    [
        pa.field("gateway_id", pa.string(), nullable=False),
        pa.field("fault", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("summary", pa.string(), nullable=False),
        pa.field("first_seen", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("last_seen", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("signals", pa.int64(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class DiagnosticRules:
    """Thresholds, in the TR-181 units the gateway reports."""

    wifi_noise_dbm: int = -75
    wifi_retrans_per_hour: float = 500.0
    dsl_min_margin: int = 50
    dsl_errored_per_hour: float = 60.0
    optical_min_level: int = -25_000
    reboots: int = 2
    min_signals: int = 2
    boot_tolerance_s: int = 120


@dataclass(frozen=True)
class Evidence:
    """One sample (or counter interval) behind a finding."""

    path: str
    ts: datetime
    value: str
    note: str

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "ts": self.ts.isoformat(),
            "value": self.value,
            "note": self.note,
        }


@dataclass(frozen=True)
class Finding:
    """A diagnosed fault with the strongest evidence for it."""

    fault: str
    title: str
    summary: str
    first_seen: datetime
    last_seen: datetime
    signals: int
    evidence: tuple[Evidence, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "title": self.title,
            "summary": self.summary,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "signals": self.signals,
            "evidence": [e.as_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class Diagnosis:
    """What the rules say about one gateway over one window."""

    gateway_id: str
    window_start: datetime
    window_end: datetime
    samples: int
    last_sample: datetime | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        if self.samples == 0:
            return "no_data"
        return "faults" if self.findings else "healthy"

    def as_dict(self) -> dict[str, Any]:
        return {
            "gateway_id": self.gateway_id,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "samples": self.samples,
            "last_sample": None if self.last_sample is None else self.last_sample.isoformat(),
            "status": self.status,
            "findings": [f.as_dict() for f in self.findings],
        }


# -- reading -----------------------------------------------------------------------------
def read_telemetry(
    settings: Settings, start: datetime, end: datetime, gateways: Sequence[str] | None = None
) -> pa.Table:
    """Telemetry rows in [start, end) (of some gateways), from the store and the subscriber.

    A filtered Arrow scan: day partitions outside the window are skipped, and row groups
    whose gateway range misses are not read.
    """
    wanted_days = set()
    day = start.astimezone(UTC).date()
    while day <= (end - timedelta(microseconds=1)).astimezone(UTC).date():
        wanted_days.add(f"day={day.isoformat()}")
        day += timedelta(days=1)
    files = [p for p in telemetry_files(settings) if p.parent.name in wanted_days]
    columns = ["gateway_id", "ts", "path", "value"]
    if not files:
        return pa.table({c: pa.array([], pa.string()) for c in columns}).set_column(
            1, "ts", pa.array([], pa.timestamp("ms", tz="UTC"))
        )
    dataset = ds.dataset([str(p) for p in files], format="parquet")
    condition = (ds.field("ts") >= pa.scalar(start, pa.timestamp("ms", tz="UTC"))) & (
        ds.field("ts") < pa.scalar(end, pa.timestamp("ms", tz="UTC"))
    )
    if gateways is not None:
        condition = condition & ds.field("gateway_id").isin(list(gateways))
    return dataset.to_table(columns=columns, filter=condition)


# -- rules --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prepared:
    """Rows sorted by (gateway, path, ts) as numpy arrays, parsed once for many gateways."""

    gateway: I64
    gateway_names: list[str]
    path: I64
    path_names: list[str]
    metric_of_path: list[str | None]
    ts: I64
    value: I64
    last_ms: I64
    """Per gateway (by code): time of its last sample, numeric or not."""


def _prepare(rows: pa.Table) -> _Prepared:
    """Keep integer values of collected parameters, encode text as codes, sort the codes.

    Gateways and paths are coded in name order, so one integer sort gives the rows in
    (gateway, path, ts) order: sorting the strings themselves cost more than the rules.
    """
    gw_all, names = _codes_in_name_order(rows.column("gateway_id"))
    ms_all = np.asarray(
        rows.column("ts").cast(pa.timestamp("ms", tz="UTC")).cast(pa.int64()).to_numpy(), np.int64
    )
    last = np.full(len(names), np.iinfo(np.int64).min, np.int64)
    np.maximum.at(last, gw_all, ms_all)
    numeric = pc.match_substring_regex(rows.column("value"), r"^-?\d{1,18}$")
    keep = np.asarray(numeric.to_numpy(), bool)
    path_all, path_names = _codes_in_name_order(rows.column("path"))
    metric = [next((m.name for m in PARAMETERS if m.pattern.match(p)), None) for p in path_names]
    value = np.asarray(
        pc.cast(rows.column("value").filter(numeric), pa.int64()).to_numpy(), np.int64
    )
    gw, path, ms = gw_all[keep], path_all[keep], ms_all[keep]
    order = np.lexsort((ms, path, gw))  # stable, last key first: gateway, then path, then time
    return _Prepared(
        gateway=gw[order],
        gateway_names=names,
        path=path[order],
        path_names=path_names,
        metric_of_path=metric,
        ts=ms[order],
        value=value[order],
        last_ms=last,
    )


def _codes_in_name_order(column: pa.ChunkedArray) -> tuple[I64, list[str]]:
    """Integer codes of a text column whose order is the names' order, and the names."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    names = [str(v) for v in encoded.dictionary.to_pylist()]
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), np.int64)
    rank[order] = np.arange(len(names), dtype=np.int64)
    codes = rank[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), np.int64)]
    return codes, [names[i] for i in order]


def _series(p: _Prepared, lo: int, hi: int) -> dict[str, dict[str, tuple[I64, I64]]]:
    """metric -> path -> (ts in ms, values) for the rows [lo, hi) of one gateway."""
    out: dict[str, dict[str, tuple[I64, I64]]] = {}
    codes = p.path[lo:hi]
    if len(codes) == 0:
        return out
    cuts = [0, *(np.flatnonzero(np.diff(codes)) + 1).tolist(), len(codes)]
    for a, b in itertools.pairwise(cuts):
        code = int(codes[a])
        metric = p.metric_of_path[code]
        if metric is not None:
            out.setdefault(metric, {})[p.path_names[code]] = (
                p.ts[lo + a : lo + b],
                p.value[lo + a : lo + b],
            )
    return out


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass
class _Signals:
    """Offending samples of one rule: (strength, ts, path, value text, note)."""

    items: list[tuple[float, int, str, str, str]] = field(default_factory=list)

    def add(self, strength: float, ts: int, path: str, value: str, note: str) -> None:
        self.items.append((strength, ts, path, value, note))

    def finding(self, fault: str, title: str, summary: str) -> Finding:
        strongest = sorted(self.items, key=lambda s: (-s[0], s[1]))[:MAX_EVIDENCE]
        times = [s[1] for s in self.items]
        evidence = tuple(
            Evidence(path, _when(ts), value, note)
            for _, ts, path, value, note in sorted(strongest, key=lambda s: s[1])
        )
        return Finding(
            fault, title, summary, _when(min(times)), _when(max(times)), len(self.items), evidence
        )


def _levels(
    signals: _Signals,
    series: Mapping[str, tuple[I64, I64]],
    threshold: int,
    above: bool,
    note: str,
) -> None:
    """Samples beyond ``threshold``; strength is the distance past it, relative to it."""
    for path, (ts, values) in series.items():
        offending = values > threshold if above else values < threshold
        for i in np.flatnonzero(offending):
            strength = abs(float(values[i]) - threshold) / max(1.0, abs(float(threshold)))
            signals.add(1.0 + strength, int(ts[i]), path, str(values[i]), note)


def _rates(
    signals: _Signals, series: Mapping[str, tuple[I64, I64]], limit: float, what: str
) -> None:
    for path, (ts, values) in series.items():
        if len(ts) < 2:
            continue
        dv = np.diff(values).astype(np.float64)
        hours = np.diff(ts).astype(np.float64) / 3_600_000
        ok = (dv >= 0) & (hours > 0)  # a counter that went down was reset by a reboot
        rate = np.where(ok, dv / np.where(hours > 0, hours, 1), 0.0)
        for i in np.flatnonzero(ok & (rate > limit)):
            signals.add(
                float(rate[i]) / limit,
                int(ts[i + 1]),
                path,
                str(values[i + 1]),
                f"{what} grew by {int(dv[i])} in {hours[i]:.1f} h "
                f"({rate[i]:.0f}/h, above {limit:g}/h)",
            )


def diagnose_rows(
    gateway_id: str,
    rows: pa.Table,
    start: datetime,
    end: datetime,
    rules: DiagnosticRules | None = None,
) -> Diagnosis:
    """Apply every rule to one gateway's rows (gateway_id, ts, path, value) in the window."""
    if rows.num_rows == 0:
        return Diagnosis(gateway_id, start, end, 0, None)
    prepared = _prepare(rows)
    return _diagnose(
        gateway_id,
        _series(prepared, 0, len(prepared.ts)),
        rows.num_rows,
        _when(int(prepared.last_ms.max())),
        start,
        end,
        rules,
    )


def _diagnose(
    gateway_id: str,
    series: Mapping[str, Mapping[str, tuple[I64, I64]]],
    samples: int,
    last: datetime | None,
    start: datetime,
    end: datetime,
    rules: DiagnosticRules | None,
) -> Diagnosis:
    r = rules or DiagnosticRules()
    findings: list[Finding] = []

    wifi = _Signals()
    _levels(
        wifi,
        series.get("wifi_noise", {}),
        r.wifi_noise_dbm,
        True,
        f"noise above {r.wifi_noise_dbm} dBm",
    )
    _rates(wifi, series.get("wifi_retrans", {}), r.wifi_retrans_per_hour, "retransmissions")
    if len(wifi.items) >= r.min_signals:
        findings.append(
            wifi.finding(
                "wifi_interference",
                "Wi-Fi interference",
                f"{len(wifi.items)} samples with a noisy radio or many retransmissions: "
                "another network or device is probably using the same channel; try another "
                "channel or band",
            )
        )
    dsl = _Signals()
    _levels(
        dsl,
        series.get("dsl_margin", {}),
        r.dsl_min_margin,
        False,
        f"noise margin below {r.dsl_min_margin / 10:g} dB",
    )
    _rates(dsl, series.get("dsl_errored", {}), r.dsl_errored_per_hour, "errored seconds")
    if len(dsl.items) >= r.min_signals:
        findings.append(
            dsl.finding(
                "dsl_line",
                "DSL line fault",
                f"{len(dsl.items)} samples with a low noise margin or many errored seconds: "
                "the line is disturbed; check the filter and wiring, else open a line test",
            )
        )
    optical = _Signals()
    _levels(
        optical,
        series.get("optical_level", {}),
        r.optical_min_level,
        False,
        f"received level below {r.optical_min_level / 1000:g} dBm",
    )
    if len(optical.items) >= r.min_signals:
        findings.append(
            optical.finding(
                "weak_optical",
                "Weak optical signal",
                f"{len(optical.items)} samples with a weak fibre signal: check the fibre cord "
                "and connector; if clean, a technician visit is needed",
            )
        )
    boots = _boots(series.get("uptime", {}), start, end, r)
    if len(boots.items) >= r.reboots:
        findings.append(
            boots.finding(
                "repeated_reboots",
                "Repeated reboots",
                f"the gateway restarted {len(boots.items)} times in the window: check its "
                "power supply and temperature; a firmware fault is possible",
            )
        )
    return Diagnosis(gateway_id, start, end, samples, last, tuple(findings))


def _boots(
    series: Mapping[str, tuple[I64, I64]], start: datetime, end: datetime, r: DiagnosticRules
) -> _Signals:
    signals = _Signals()
    lo, hi = start.timestamp() * 1000, end.timestamp() * 1000
    for path, (ts, uptime) in series.items():
        boot = ts - uptime * 1000
        order = np.argsort(boot, kind="stable")
        previous = None
        for i in order:
            b = int(boot[i])
            if previous is not None and b - previous <= r.boot_tolerance_s * 1000:
                continue
            previous = b
            if lo <= b < hi:
                signals.add(
                    1.0,
                    b,
                    path,
                    str(uptime[i]),
                    f"booted at {_when(b).isoformat()} (uptime {int(uptime[i])} s at "
                    f"{_when(int(ts[i])).isoformat()})",
                )
    return signals


# -- one gateway (the web console) and every gateway (the batch job) -----------------------
def gateway_owner(settings: Settings, gateway_id: str) -> str | None:
    """The subscriber whose contract includes this gateway, if any."""
    subs = read_store_table(settings, "subscribers", ["subscriber_id", "gateway_id"])
    mine = subs.filter(pc.equal(subs.column("gateway_id"), gateway_id))
    return None if mine.num_rows == 0 else str(mine.column("subscriber_id")[0].as_py())


def diagnose(
    settings: Settings,
    gateway_id: str,
    *,
    eligible: pa.Table,
    at: datetime | None = None,
    hours: int = 24,
    rules: DiagnosticRules | None = None,
) -> Diagnosis:
    """Diagnose one gateway over the ``hours`` before ``at`` (default now).

    Refused (``NotEligibleError``) unless the gateway belongs to a subscriber in
    ``eligible`` (the gate's answer for gateway diagnostics). The caller (web console)
    checks the agent's ticket and reason and audits the view; this only computes.
    """
    if hours < 1:
        raise OperationsError(f"hours must be >= 1, got {hours}")
    owner = gateway_owner(settings, gateway_id)
    if owner is None:
        raise NotEligibleError(f"gateway {gateway_id} belongs to no subscriber")
    allowed = pc.is_in(pa.array([owner]), value_set=eligible.column("subscriber_id"))
    if not allowed[0].as_py():
        raise NotEligibleError(
            f"gateway {gateway_id}: its subscriber is not eligible for {PURPOSE} now"
        )
    end = at or datetime.now(UTC)
    start = end - timedelta(hours=hours)
    rows = read_telemetry(settings, start, end, [gateway_id])
    return diagnose_rows(gateway_id, rows, start, end, rules)


def run_diagnostics(
    settings: Settings,
    eligible: pa.Table,
    *,
    window: Window,
    actor: str,
    gate_at: datetime,
    rules: DiagnosticRules | None = None,
    recorder: RunRecorder | None = None,
) -> RunRecord:
    """Diagnose every gateway of the eligible subscribers over ``window``."""
    from trustflux.operations.telemetry import known_gateways

    job = JobRun(
        settings,
        "diagnostics",
        PURPOSE,
        actor,
        gate_at,
        recorder,
        parameters={
            "window": window.label,
            "rules": json.dumps((rules or DiagnosticRules()).__dict__),
        },
    )
    with job:
        gateways = sorted(known_gateways(settings, eligible))
        rows = read_telemetry(settings, window.start, window.end, gateways)
        job.read("eligible", eligible.num_rows, detail="subscriber ids the gate allows")
        job.read("telemetry", rows.num_rows, detail=window.label)
        findings, diagnosed = diagnose_all(rows, window, rules)
        folder = settings.ops_dir / "diagnostics" / window.label

        def fill(staging: Path) -> None:
            write_table(findings, staging / "findings.parquet", csv=True)

        replace_folder(folder, fill, job.run_id)
        job.wrote("findings.parquet", folder / "findings.parquet")
        job.wrote("findings.csv", folder / "findings.csv")
        job.counts.update(
            {
                "gateways_eligible": len(gateways),
                "gateways_with_data": diagnosed,
                "telemetry_rows": rows.num_rows,
                "findings": findings.num_rows,
                **{
                    f"findings_{f}": int(pc.sum(pc.equal(findings.column("fault"), f)).as_py() or 0)
                    for f in FAULTS
                },
            }
        )
        return job.finish()


def diagnose_all(
    rows: pa.Table, window: Window, rules: DiagnosticRules | None = None
) -> tuple[pa.Table, int]:
    """Findings of every gateway in ``rows`` (one table), and how many gateways had data."""
    if rows.num_rows == 0:
        return FINDING_SCHEMA.empty_table(), 0
    p = _prepare(rows)
    cuts = [0, *(np.flatnonzero(np.diff(p.gateway)) + 1).tolist(), len(p.gateway)]
    out: list[dict[str, Any]] = []
    for lo, hi in itertools.pairwise(cuts):
        if hi <= lo:
            continue
        code = int(p.gateway[lo])
        gateway = p.gateway_names[code]
        series = _series(p, lo, hi)
        last = _when(int(p.last_ms[code]))
        diagnosis = _diagnose(gateway, series, hi - lo, last, window.start, window.end, rules)
        for f in diagnosis.findings:
            out.append(
                {
                    "gateway_id": gateway,
                    "fault": f.fault,
                    "title": f.title,
                    "summary": f.summary,
                    "first_seen": f.first_seen,
                    "last_seen": f.last_seen,
                    "signals": f.signals,
                    "evidence": json.dumps([e.as_dict() for e in f.evidence]),
                }
            )
    return pa.Table.from_pylist(out, schema=FINDING_SCHEMA), len(p.gateway_names)


@dataclass(frozen=True)
class FaultScore:
    """Findings of one fault kind against the world's injected faults."""

    fault: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        n = self.true_positives + self.false_positives
        return self.true_positives / n if n else float("nan")

    @property
    def recall(self) -> float:
        n = self.true_positives + self.false_negatives
        return self.true_positives / n if n else float("nan")


def score_findings(
    findings: pa.Table, truth: pa.Table, window: Window, slack: timedelta = timedelta(hours=2)
) -> dict[str, FaultScore]:
    """A finding is right if the same gateway has the same fault overlapping its time span
    (give or take ``slack``, the sampling interval); a fault is found if such a finding
    exists. Faults entirely outside the window are not counted."""
    faults = [t for t in truth.to_pylist() if t["end"] > window.start and t["start"] < window.end]
    found = findings.to_pylist()

    def overlaps(f: dict[str, Any], t: dict[str, Any]) -> bool:
        return bool(
            f["gateway_id"] == t["gateway_id"]
            and f["fault"] == t["fault"]
            and f["first_seen"] <= t["end"] + slack
            and f["last_seen"] >= t["start"] - slack
        )

    scores = {}
    for kind in FAULTS:
        mine = [f for f in found if f["fault"] == kind]
        real = [t for t in faults if t["fault"] == kind]
        tp = sum(1 for f in mine if any(overlaps(f, t) for t in real))
        hit = sum(1 for t in real if any(overlaps(f, t) for f in mine))
        scores[kind] = FaultScore(kind, tp, len(mine) - tp, len(real) - hit)
    return scores
