"""Gateway diagnostics: each rule on hand-made series, the world's injected faults, the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ops_support import gate_answer, ids

from trustflux.config import Settings
from trustflux.errors import NotEligibleError
from trustflux.operations.common import Window
from trustflux.operations.diagnostics import (
    FAULTS,
    diagnose,
    diagnose_rows,
    run_diagnostics,
    score_findings,
)
from trustflux.operations.records import MemoryRunRecorder

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
END = T0 + timedelta(hours=24)
UPTIME = "Device.DeviceInfo.UpTime"
NOISE = "Device.WiFi.Radio.1.Stats.Noise"
RETRANS = "Device.WiFi.AccessPoint.1.AssociatedDevice.1.Stats.RetransCount"
MARGIN = "Device.DSL.Line.1.DownstreamNoiseMargin"
ERRORED = "Device.DSL.Line.1.Stats.Total.ErroredSecs"
OPTICAL = "Device.Optical.Interface.1.OpticalSignalLevel"

# Measured on the small world (19 injected faults over 2 days): all found, no false alarm.
MIN_PRECISION = dict.fromkeys(FAULTS, 1.0)
MIN_RECALL = dict.fromkeys(FAULTS, 1.0)


def series(**paths: list[int]) -> pa.Table:
    """Hourly samples from T0, one list of values per path (None: sample lost)."""
    rows: list[dict[str, object]] = []
    for path, values in paths.items():
        for h, v in enumerate(values):
            if v is not None:
                rows.append(
                    {
                        "gateway_id": "GW1",
                        "ts": T0 + timedelta(hours=h),
                        "path": path,
                        "value": str(v),
                    }
                )
    schema = pa.schema(
        [
            ("gateway_id", pa.string()),
            ("ts", pa.timestamp("ms", tz="UTC")),
            ("path", pa.string()),
            ("value", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def healthy(hours: int = 24) -> dict[str, list[int]]:
    boot = 40 * 86_400
    return {
        UPTIME: [boot + 3600 * h for h in range(hours)],
        NOISE: [-90] * hours,
        RETRANS: [100 + 20 * h for h in range(hours)],
        OPTICAL: [-20_000] * hours,
    }


def faults_of(rows: pa.Table) -> list[str]:
    return [f.fault for f in diagnose_rows("GW1", rows, T0, END).findings]


def test_a_healthy_gateway_has_no_finding() -> None:
    diagnosis = diagnose_rows("GW1", series(**healthy()), T0, END)
    assert diagnosis.status == "healthy" and diagnosis.samples == 96
    assert diagnose_rows("GW1", series(), T0, END).status == "no_data"


def test_wifi_interference_from_noise_or_retransmissions() -> None:
    noisy = healthy()
    noisy[NOISE] = [-90] * 10 + [-60, -58, -61] + [-90] * 11
    diagnosis = diagnose_rows("GW1", series(**noisy), T0, END)
    [finding] = diagnosis.findings
    assert finding.fault == "wifi_interference" and finding.signals == 3
    assert [e.value for e in finding.evidence] == ["-60", "-58", "-61"]
    assert finding.first_seen == T0 + timedelta(hours=10)
    retrans = healthy()
    retrans[RETRANS] = [100 + 2_600 * h for h in range(24)]
    assert faults_of(series(**retrans)) == ["wifi_interference"]


def test_one_odd_sample_is_not_a_fault() -> None:
    odd = healthy()
    odd[NOISE] = [-90] * 12 + [-60] + [-90] * 11
    odd[OPTICAL] = [-20_000] * 5 + [-28_000] + [-20_000] * 18
    odd[UPTIME] = [40 * 86_400 + 3600 * h for h in range(8)] + [1800 + 3600 * h for h in range(16)]
    assert faults_of(series(**odd)) == []  # one restart (a power cycle) is not a storm


def test_dsl_line_fault() -> None:
    dsl = healthy()
    del dsl[OPTICAL]
    dsl[MARGIN] = [90] * 20 + [20, 15, 18, 12]
    dsl[ERRORED] = [0] * 24
    diagnosis = diagnose_rows("GW1", series(**dsl), T0, END)
    [finding] = diagnosis.findings
    assert finding.fault == "dsl_line" and finding.signals == 4
    assert "noise margin below 5 dB" in finding.evidence[0].note
    errored = healthy()
    errored[ERRORED] = [450 * h for h in range(24)]
    assert faults_of(series(**errored)) == ["dsl_line"]


def test_weak_optical_signal() -> None:
    weak = healthy()
    weak[OPTICAL] = [-20_000] * 12 + [-29_000] * 12
    [finding] = diagnose_rows("GW1", series(**weak), T0, END).findings
    assert finding.fault == "weak_optical" and finding.signals == 12


def test_repeated_reboots_are_seen_through_lost_samples() -> None:
    storm = healthy()
    # boots at 05:30, 09:30, 13:30, 17:30: uptime counts from each; some samples lost
    uptime: list[int | None] = []
    for h in range(24):
        boots = [b for b in (5.5, 9.5, 13.5, 17.5) if b <= h]
        uptime.append(int((h - boots[-1]) * 3600) if boots else 40 * 86_400 + 3600 * h)
    uptime[10] = uptime[14] = None  # lost samples
    storm[UPTIME] = uptime  # type: ignore[assignment]
    # the retransmission counter restarts at each boot: not a burst of retransmissions
    storm[RETRANS] = [5 * (u or 0) // 3600 for u in uptime]
    [finding] = diagnose_rows("GW1", series(**storm), T0, END).findings
    assert finding.fault == "repeated_reboots" and finding.signals == 4
    assert finding.first_seen == T0 + timedelta(hours=5, minutes=30)


def test_the_world_faults_are_found(
    world_home: tuple[Settings, Path], world_window: Window
) -> None:
    settings, world = world_home
    eligible = gate_answer(settings, "gateway_diagnostics", world_window.end)
    record = run_diagnostics(
        settings,
        eligible,
        window=world_window,
        actor="noc",
        gate_at=world_window.end,
        recorder=MemoryRunRecorder(),
    )
    findings = pq.read_table(record.outputs["findings.parquet"])
    truth = pq.read_table(world / "truth" / "gateway_faults.parquet")
    scores = score_findings(findings, truth, world_window)
    for fault in FAULTS:
        assert scores[fault].true_positives + scores[fault].false_negatives > 0, fault
        assert scores[fault].precision >= MIN_PRECISION[fault], scores[fault]
        assert scores[fault].recall >= MIN_RECALL[fault], scores[fault]


def test_diagnose_needs_an_eligible_subscriber_behind_the_gateway(
    world_home: tuple[Settings, Path], world_window: Window
) -> None:
    settings, world = world_home
    fault = pq.read_table(world / "truth" / "gateway_faults.parquet").to_pylist()[0]
    subs = pq.read_table(settings.store_dir / "subscribers").to_pylist()
    owner = next(s["subscriber_id"] for s in subs if s["gateway_id"] == fault["gateway_id"])
    at = min(fault["end"], world_window.end)
    diagnosis = diagnose(settings, fault["gateway_id"], eligible=ids(owner), at=at)
    assert fault["fault"] in [f.fault for f in diagnosis.findings]
    assert diagnosis.as_dict()["status"] == "faults"
    with pytest.raises(NotEligibleError, match="not eligible"):
        diagnose(settings, fault["gateway_id"], eligible=ids("S_SOMEONE_ELSE"), at=at)
    with pytest.raises(NotEligibleError, match="belongs to no subscriber"):
        diagnose(settings, "GW_NOBODY", eligible=ids(owner), at=at)
