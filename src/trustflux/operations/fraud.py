"""Fraud detection (purpose ``fraud_detection``, legitimate interests with opt-out).

Scope: events of own subscribers the gate allows, plus inbound roamers' events (another
network's IMSI): fraud through our network by a visiting SIM harms our subscribers too, and
the legitimate-interest assessment covers it; an own subscriber who objected is never read.

Three detectors, each an alert with the evidence an analyst reviews before any action
(the register says a person always decides):

* SIM box: a SIM that places many calls a day, receives almost none, receives no SMS, never
  leaves one cell and calls mostly different numbers (terminating bypassed international
  traffic as local calls);
* Wangiri: an external number from a high-risk country code ringing many of our subscribers
  for a second or two within an hour, hoping for expensive call-backs;
* IRSF: calls to international premium-rate ranges (revenue-share fraud).

The heavy work is two engine passes over the window (a per-SIM profile, and the short
inbound calls from high-risk codes); evidence is then gathered for the few candidates only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
    read_scope_with_roamers,
    replace_folder,
    write_table,
)
from trustflux.operations.records import RunRecord, RunRecorder

PURPOSE = "fraud_detection"
DETECTORS = ("sim_box", "wangiri", "irsf")

HIGH_RISK_CODES = ("216", "222", "224", "225", "232", "243", "252", "269", "53", "675", "882")
"""Country codes frequent in one-ring campaigns (a list the fraud team maintains)."""
PREMIUM_RANGES = ("3706", "3712", "5399", "22466", "25290", "67570")
"""International premium-rate ranges seen in revenue-share fraud (maintained likewise)."""

ALERT_SCHEMA = pa.schema(
    [
        pa.field("alert_id", pa.string(), nullable=False),
        pa.field("detector", pa.string(), nullable=False),
        pa.field("subscriber_id", pa.string()),
        pa.field("imsi", pa.string()),
        pa.field("number", pa.string()),
        pa.field("first_seen", pa.timestamp("ms", tz="UTC")),
        pa.field("last_seen", pa.timestamp("ms", tz="UTC")),
        pa.field("summary", pa.string(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class FraudRules:
    """Thresholds of the three detectors (each alert states the ones it crossed)."""

    simbox_min_calls_per_day: float = 50.0
    simbox_max_incoming_share: float = 0.05
    simbox_max_sms_received: int = 0
    simbox_max_cells: int = 1
    simbox_min_distinct_share: float = 0.8
    wangiri_codes: tuple[str, ...] = HIGH_RISK_CODES
    wangiri_max_ring_s: int = 3
    wangiri_min_targets_per_hour: int = 5
    irsf_ranges: tuple[str, ...] = PREMIUM_RANGES
    irsf_min_calls: int = 3
    irsf_min_minutes: int = 30


def _starts_with_any(column: Any, prefixes: Sequence[str]) -> Any:
    return ibis.or_(*[column.startswith(p) for p in prefixes]) if prefixes else ibis.literal(False)


def profile(scope: Any, rules: FraudRules) -> Any:
    """One row per SIM in scope: the cheap aggregates every detector starts from."""
    t = scope.event_type
    call_mo = t == "call_mo"
    premium = call_mo & _starts_with_any(scope.counterpart.fill_null(""), rules.irsf_ranges)
    cell = scope.area_code.cast("int64") * (1 << 36) + scope.cell_id.cast("int64")
    return scope.group_by(["imsi", "subscriber_id"]).agg(
        events=scope.count(),
        calls_out=call_mo.sum().cast("int64"),
        calls_in=(t == "call_mt").sum().cast("int64"),
        sms_in=(t == "sms_mt").sum().cast("int64"),
        sms_out=(t == "sms_mo").sum().cast("int64"),
        cell_min=cell.min(),
        cell_max=cell.max(),
        first_call_out=scope.ts.min(where=call_mo),
        last_call_out=scope.ts.max(where=call_mo),
        premium_calls=premium.sum().cast("int64"),
        premium_seconds=scope.duration_s.sum(where=premium).fill_null(0).cast("int64"),
        first_premium=scope.ts.min(where=premium),
        last_premium=scope.ts.max(where=premium),
    )


def short_rings(scope: Any, rules: FraudRules, hour_of: Callable[[Any], Any]) -> Any:
    """(number, hour, rings, targets, first, last) of very short inbound calls from high-risk
    codes: the raw material of wangiri bursts."""
    rings = scope.filter(
        (scope.event_type == "call_mt")
        & (scope.duration_s.fill_null(0) <= rules.wangiri_max_ring_s)
        & _starts_with_any(scope.counterpart.fill_null(""), rules.wangiri_codes)
    )
    rings = rings.mutate(hour=hour_of(rings.ts))
    return rings.group_by([rings.counterpart.name("number"), "hour"]).agg(
        rings=rings.count(),
        targets=rings.imsi.nunique(),
        first=rings.ts.min(),
        last=rings.ts.max(),
    )


def run_fraud(
    settings: Settings,
    eligible: pa.Table,
    *,
    window: Window,
    actor: str,
    gate_at: datetime,
    rules: FraudRules | None = None,
    recorder: RunRecorder | None = None,
    engine: str | EngineSession | None = None,
) -> RunRecord:
    """Run the three detectors over ``window``; alerts go to ``<operations>/fraud/<label>/``."""
    rules = rules or FraudRules()
    job = JobRun(
        settings,
        "fraud",
        PURPOSE,
        actor,
        gate_at,
        recorder,
        engine,
        parameters={
            "window": window.label,
            "window_utc": f"{window.start.isoformat()}/{window.end.isoformat()}",
            "rules": json.dumps(rules.__dict__, sort_keys=True),
        },
    )
    with job:
        alerts = _detect(job, job.session, window, eligible, rules)
        folder = settings.ops_dir / "fraud" / window.label

        def fill(staging: Path) -> None:
            write_table(alerts, staging / "alerts.parquet", csv=True)

        replace_folder(folder, fill, job.run_id)
        job.wrote("alerts.parquet", folder / "alerts.parquet")
        job.wrote("alerts.csv", folder / "alerts.csv")
        return job.finish()


def _detect(
    job: JobRun, session: EngineSession, window: Window, eligible: pa.Table, rules: FraudRules
) -> pa.Table:
    scope, gated, events_read = read_scope_with_roamers(
        job, window, eligible, "subscriber_id", "imsi", "contract_start"
    )
    scope = session.materialize(
        scope.select(
            "imsi",
            "subscriber_id",
            "ts",
            "area_code",
            "cell_id",
            "event_type",
            "counterpart",
            "duration_s",
        ),
        f"tf_fraud_scope{job.tag}",
    )
    profiles = session.materialize(profile(scope, rules), f"tf_fraud_profile{job.tag}")
    totals = session.to_arrow(
        profiles.aggregate(
            sims=profiles.count(),
            events=profiles.events.sum(),
            roamer_events=profiles.events.sum(where=profiles.subscriber_id.isnull()),
        )
    ).to_pylist()[0]
    simbox = _sim_boxes(session, scope, profiles, rules)
    irsf = _irsf(session, scope, profiles, gated, rules)
    wangiri = _wangiri(session, scope, rules)
    alerts = pa.concat_tables([simbox, wangiri, irsf]).cast(ALERT_SCHEMA)
    job.counts.update(
        {
            "events_read": events_read,
            "events_in_scope": int(totals["events"] or 0),
            "events_inbound_roamers": int(totals["roamer_events"] or 0),
            "sims_profiled": int(totals["sims"] or 0),
            "subscribers_eligible": eligible.num_rows,
            "alerts": alerts.num_rows,
            **{f"alerts_{d}": _count_detector(alerts, d) for d in DETECTORS},
        }
    )
    return alerts


def _count_detector(alerts: pa.Table, detector: str) -> int:
    return int(pc.sum(pc.equal(alerts.column("detector"), detector)).as_py() or 0)


def _sim_boxes(session: EngineSession, scope: Any, profiles: Any, rules: FraudRules) -> pa.Table:
    p = profiles
    span_days = (p.last_call_out.epoch_seconds() - p.first_call_out.epoch_seconds()) / 86400.0
    days = span_days.ceil().clip(lower=1)
    candidates = p.filter(
        (p.calls_out >= rules.simbox_min_calls_per_day)
        & (p.calls_in <= p.calls_out * rules.simbox_max_incoming_share)
        & (p.sms_in <= rules.simbox_max_sms_received)
        & (p.cell_min == p.cell_max)
    ).mutate(days=days.cast("int64"))
    candidates = candidates.filter(
        candidates.calls_out >= candidates.days * rules.simbox_min_calls_per_day
    )
    calls = scope.filter(scope.event_type == "call_mo")
    called = calls.semi_join(candidates, calls.imsi == candidates.imsi)
    called = called.group_by("imsi").agg(
        distinct_called=called.counterpart.nunique(),
        mean_duration_s=called.duration_s.mean(),
    )
    rows = session.to_arrow(candidates.join(called, "imsi")).to_pylist()
    out = []
    for r in rows:
        share = r["distinct_called"] / max(1, r["calls_out"])
        if share < rules.simbox_min_distinct_share:
            continue
        cell = int(r["cell_min"])
        evidence = {
            "calls_out": r["calls_out"],
            "calls_out_per_day": round(r["calls_out"] / max(1, r["days"]), 1),
            "days_observed": r["days"],
            "calls_in": r["calls_in"],
            "incoming_share": round(r["calls_in"] / max(1, r["calls_out"]), 4),
            "sms_received": r["sms_in"],
            "sms_sent": r["sms_out"],
            "cells": 1,
            "cell": {"area_code": cell >> 36, "cell_id": cell & ((1 << 36) - 1)},
            "distinct_numbers_called": r["distinct_called"],
            "distinct_share": round(share, 4),
            "mean_call_s": round(float(r["mean_duration_s"] or 0), 1),
            "thresholds": {
                "min_calls_per_day": rules.simbox_min_calls_per_day,
                "max_incoming_share": rules.simbox_max_incoming_share,
                "max_sms_received": rules.simbox_max_sms_received,
                "max_cells": rules.simbox_max_cells,
                "min_distinct_share": rules.simbox_min_distinct_share,
            },
        }
        out.append(
            _alert(
                "sim_box",
                r["imsi"],
                r["subscriber_id"],
                r["imsi"],
                None,
                r["first_call_out"],
                r["last_call_out"],
                f"{evidence['calls_out_per_day']} calls out a day to "
                f"{r['distinct_called']} different numbers, {r['calls_in']} calls in, "
                f"{r['sms_in']} SMS received, always on one cell",
                evidence,
            )
        )
    return _table(out)


def _irsf(
    session: EngineSession, scope: Any, profiles: Any, gated: Any, rules: FraudRules
) -> pa.Table:
    p = profiles
    candidates = p.filter(
        (p.premium_calls >= rules.irsf_min_calls)
        | ((p.premium_calls > 0) & (p.premium_seconds >= rules.irsf_min_minutes * 60))
    )
    calls = scope.filter(
        (scope.event_type == "call_mo")
        & _starts_with_any(scope.counterpart.fill_null(""), rules.irsf_ranges)
    )
    calls = calls.semi_join(candidates, calls.imsi == candidates.imsi)
    numbers = session.to_arrow(calls.select("imsi", "counterpart").distinct()).to_pylist()
    by_imsi: dict[str, set[str]] = {}
    for n in numbers:
        by_imsi.setdefault(n["imsi"], set()).add(n["counterpart"])
    starts = gated.select(c_sid=gated.subscriber_id, contract_start=gated.contract_start)
    contracts = candidates.left_join(starts, candidates.subscriber_id == starts.c_sid)
    out = []
    for r in session.to_arrow(contracts).to_pylist():
        dialled = sorted(by_imsi.get(r["imsi"], set()))
        ranges = sorted({rng for n in dialled for rng in rules.irsf_ranges if n.startswith(rng)})
        first = r["first_premium"]
        age = None
        if r["contract_start"] is not None and first is not None:
            age = (first.date() - r["contract_start"]).days
        evidence = {
            "premium_calls": r["premium_calls"],
            "premium_minutes": round(r["premium_seconds"] / 60, 1),
            "premium_numbers": len(dialled),
            "premium_ranges": ranges,
            "contract_age_days_at_first_call": age,
            "calls_out": r["calls_out"],
            "thresholds": {
                "min_calls": rules.irsf_min_calls,
                "min_minutes": rules.irsf_min_minutes,
            },
        }
        out.append(
            _alert(
                "irsf",
                r["imsi"],
                r["subscriber_id"],
                r["imsi"],
                None,
                first,
                r["last_premium"],
                f"{r['premium_calls']} calls ({evidence['premium_minutes']} min) to premium "
                f"ranges {', '.join(ranges)}"
                + (f" on a contract {age} days old" if age is not None else ""),
                evidence,
            )
        )
    return _table(out)


def _wangiri(session: EngineSession, scope: Any, rules: FraudRules) -> pa.Table:
    buckets = short_rings(scope, rules, lambda ts: (session.epoch_seconds(ts) / 3600).floor())
    flagged = buckets.filter(buckets.targets >= rules.wangiri_min_targets_per_hour)
    numbers = flagged.select("number").distinct()
    totals = buckets.semi_join(numbers, "number")
    rings = scope.filter(
        (scope.event_type == "call_mt")
        & (scope.duration_s.fill_null(0) <= rules.wangiri_max_ring_s)
    )
    rings = rings.semi_join(numbers, rings.counterpart == numbers.number)
    per_number = rings.group_by(number=rings.counterpart).agg(
        rings=rings.count(),
        targets=rings.imsi.nunique(),
        first=rings.ts.min(),
        last=rings.ts.max(),
    )
    backs = scope.filter(scope.event_type == "call_mo")
    backs = backs.semi_join(numbers, backs.counterpart == numbers.number)
    callbacks = backs.group_by(cb_number=backs.counterpart).agg(
        callbacks=backs.count(),
        callback_seconds=backs.duration_s.sum().fill_null(0).cast("int64"),
        callers=backs.imsi.nunique(),
    )
    joined = per_number.left_join(callbacks, per_number.number == callbacks.cb_number)
    hours = session.to_arrow(
        totals.filter(totals.targets >= rules.wangiri_min_targets_per_hour).select(
            "number", "first", "last", "targets"
        )
    ).to_pylist()
    bursts: dict[str, list[dict[str, Any]]] = {}
    for h in hours:
        bursts.setdefault(h["number"], []).append(h)
    out = []
    for r in session.to_arrow(joined).to_pylist():
        hits = sorted(bursts.get(r["number"], []), key=lambda h: h["first"])
        code = next((c for c in rules.wangiri_codes if r["number"].startswith(c)), "")
        evidence = {
            "country_code": code,
            "short_calls": r["rings"],
            "subscribers_rung": r["targets"],
            "max_ring_s": rules.wangiri_max_ring_s,
            "burst_hours": [
                {
                    "start": _iso(h["first"]),
                    "end": _iso(h["last"]),
                    "rung": h["targets"],
                }
                for h in hits
            ],
            "call_backs": int(r["callbacks"] or 0),
            "call_back_minutes": round(int(r["callback_seconds"] or 0) / 60, 1),
            "subscribers_calling_back": int(r["callers"] or 0),
            "thresholds": {"min_targets_per_hour": rules.wangiri_min_targets_per_hour},
        }
        out.append(
            _alert(
                "wangiri",
                r["number"],
                None,
                None,
                r["number"],
                r["first"],
                r["last"],
                f"+{r['number']} (code +{code}) rang {r['targets']} subscribers for at most "
                f"{rules.wangiri_max_ring_s} s; {evidence['call_backs']} called back",
                evidence,
            )
        )
    return _table(out)


def _iso(moment: datetime) -> str:
    """UTC ISO 8601 (engines differ in whether they hand back the zone)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _alert(
    detector: str,
    key: str,
    subscriber_id: str | None,
    imsi: str | None,
    number: str | None,
    first: datetime | None,
    last: datetime | None,
    summary: str,
    evidence: dict[str, Any],
) -> dict[str, Any]:
    return {
        "alert_id": f"{detector}:{key}",
        "detector": detector,
        "subscriber_id": subscriber_id,
        "imsi": imsi,
        "number": number,
        "first_seen": first,
        "last_seen": last,
        "summary": summary,
        "evidence": json.dumps(evidence, sort_keys=True),
    }


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    if not rows:
        return ALERT_SCHEMA.empty_table()
    return pa.Table.from_pylist(sorted(rows, key=lambda r: r["alert_id"]), schema=ALERT_SCHEMA)


# -- measuring the detectors against a synthetic world's ground truth ----------------------
@dataclass(frozen=True)
class Score:
    """How one detector did against the truth: counts, precision and recall."""

    detector: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else math.nan

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else math.nan


def truth_keys(
    truth: pa.Table, window: Window, visible_imsis: set[str] | None
) -> dict[str, set[str]]:
    """What each detector should find in ``window``: IMSIs (SIM box, IRSF) active in it and
    visible to the job, wangiri numbers with a burst in it."""
    keys: dict[str, set[str]] = {d: set() for d in DETECTORS}
    for row in truth.to_pylist():
        start, end = row["start"], row["end"]
        if start is None or end is None or end <= window.start or start >= window.end:
            continue
        if row["kind"] == "wangiri":
            keys["wangiri"].add(str(row["external_number"]))
        elif visible_imsis is None or row["imsi"] in visible_imsis:
            keys[str(row["kind"])].add(str(row["imsi"]))
    return keys


def score_alerts(alerts: pa.Table, expected: dict[str, set[str]]) -> dict[str, Score]:
    """Precision and recall per detector: alerts keyed by IMSI, wangiri by number."""
    scores = {}
    for detector in DETECTORS:
        mine = alerts.filter(pc.equal(alerts.column("detector"), detector))
        column = "number" if detector == "wangiri" else "imsi"
        flagged = {str(v) for v in mine.column(column).to_pylist() if v is not None}
        truth = expected.get(detector, set())
        scores[detector] = Score(
            detector,
            len(flagged & truth),
            len(flagged - truth),
            len(truth - flagged),
        )
    return scores
