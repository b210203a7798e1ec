"""Home-gateway (box) telemetry: periodic TR-181 samples, with injected faults.

Counters (retransmissions, errored seconds) run from the last boot and reset on reboot;
gauges (noise, noise margin, optical level) jitter around a per-box baseline that a fault
pushes out of its normal band. Faults are planned once for the window and kept as truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustflux.events.world.numeric import FloatArray, IntArray, unique_draws
from trustflux.events.world.params import WorldParams

FAULTS = ("wifi_interference", "dsl_line", "weak_optical", "repeated_reboots")
WIFI, DSL_LINE, WEAK_OPTICAL, REBOOTS = range(4)
PATHS = (
    "Device.DeviceInfo.UpTime",
    "Device.WiFi.Radio.1.Stats.Noise",
    "Device.WiFi.AccessPoint.1.AssociatedDevice.1.Stats.RetransCount",
    "Device.DSL.Line.1.DownstreamNoiseMargin",
    "Device.DSL.Line.1.Stats.Total.ErroredSecs",
    "Device.Optical.Interface.1.OpticalSignalLevel",
)
_HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Gateways:
    """Boxes of fixed-broadband customers, indexed like ``Devices.gateway``."""

    device: IntArray
    serial: IntArray
    fibre: IntArray
    boot_ms: IntArray
    noise: IntArray
    retrans_rate: FloatArray
    margin: IntArray
    errored_rate: FloatArray
    optical: IntArray
    fault: IntArray
    """Index into ``FAULTS``, -1 for a healthy box."""
    fault_start_ms: IntArray
    fault_end_ms: IntArray
    reboot_period_ms: IntArray

    def __len__(self) -> int:
        return int(self.device.shape[0])


def build_gateways(
    device_gateway: IntArray,
    params: WorldParams,
    window: tuple[int, int],
    rng: np.random.Generator,
) -> Gateways:
    """Baselines per box and one fault for a share of them (each kind at least once)."""
    device = np.flatnonzero(device_gateway >= 0)
    device = device[np.argsort(device_gateway[device])]
    n = int(device.shape[0])
    start, end = window
    fibre = (rng.random(n) < params.fibre_share).astype(np.int64)
    fault = np.full(n, -1, dtype=np.int64)
    faulty = np.flatnonzero(rng.random(n) < params.gateway_fault_share)
    options = np.array([[WIFI, WEAK_OPTICAL, REBOOTS], [WIFI, DSL_LINE, REBOOTS]])
    fault[faulty] = options[1 - fibre[faulty], rng.integers(0, 3, faulty.size)]
    for kind in range(len(FAULTS)):
        if (fault == kind).any():
            continue
        eligible = fault < 0
        if kind == DSL_LINE:
            eligible &= fibre == 0
        elif kind == WEAK_OPTICAL:
            eligible &= fibre == 1
        candidates = np.flatnonzero(eligible)
        if candidates.size:
            fault[int(rng.choice(candidates))] = kind
    fault_start = start + (rng.random(n) * max(end - start - 2 * _HOUR_MS, 1)).astype(np.int64)
    length = rng.integers(2 * _HOUR_MS, 72 * _HOUR_MS, n)
    return Gateways(
        device=device,
        serial=unique_draws(n, 10**10, rng),
        fibre=fibre,
        boot_ms=start - rng.integers(_HOUR_MS, 60 * 24 * _HOUR_MS, n),
        noise=rng.integers(-95, -84, n),
        retrans_rate=rng.uniform(5.0, 40.0, n),
        margin=rng.integers(60, 121, n),
        errored_rate=rng.uniform(0.0, 1.0, n),
        optical=rng.integers(-23_500, -16_999, n),
        fault=fault,
        fault_start_ms=fault_start,
        fault_end_ms=np.minimum(fault_start + length, end),
        reboot_period_ms=rng.integers(_HOUR_MS, 4 * _HOUR_MS, n),
    )


@dataclass(frozen=True)
class TelemetryBatch:
    """Samples as arrays: gateway index, time, path index (into ``PATHS``), integer value."""

    gateway: IntArray
    ts: IntArray
    path: IntArray
    value: IntArray

    def __len__(self) -> int:
        return int(self.gateway.shape[0])


def day_samples(
    gw: Gateways,
    rows: IntArray,
    day: tuple[int, int],
    params: WorldParams,
    rng: np.random.Generator,
) -> TelemetryBatch:
    """Samples of the boxes ``rows`` during ``day`` (UTC ms bounds), box by box, in time order."""
    start, end = day
    interval = params.telemetry_interval_min * 60_000
    phase = (gw.serial[rows] * 7_919) % interval
    k = np.arange((end - start) // interval + 1, dtype=np.int64)
    ts = start + phase[:, None] + k[None, :] * interval
    in_day = ts < end
    fault = gw.fault[rows][:, None]
    f_start = gw.fault_start_ms[rows][:, None]
    f_end = gw.fault_end_ms[rows][:, None]
    during = (ts >= f_start) & (ts < f_end)

    boot = np.broadcast_to(gw.boot_ms[rows][:, None], ts.shape)
    period = gw.reboot_period_ms[rows][:, None]
    reboots = (fault == REBOOTS) & (ts >= f_start)
    last_reboot = f_start + ((np.minimum(ts, f_end) - f_start) // period) * period
    boot = np.where(reboots, np.maximum(boot, last_reboot), boot)
    uptime = (ts - boot) // 1_000

    def overlap_h(kind: int) -> FloatArray:
        lo = np.maximum(boot, f_start)
        hi = np.minimum(ts, f_end)
        hours: FloatArray = np.clip(hi - lo, 0, None) / _HOUR_MS
        return np.where(fault == kind, hours, 0.0)

    up_h = uptime / 3_600.0
    retrans = gw.retrans_rate[rows][:, None] * up_h + 2_500.0 * overlap_h(WIFI)
    errored = gw.errored_rate[rows][:, None] * up_h + 450.0 * overlap_h(DSL_LINE)
    shape = ts.shape
    noise = gw.noise[rows][:, None] + rng.integers(-2, 3, shape)
    noise = np.where(during & (fault == WIFI), rng.integers(-64, -54, shape), noise)
    margin = gw.margin[rows][:, None] + rng.integers(-5, 6, shape)
    margin = np.where(during & (fault == DSL_LINE), rng.integers(0, 26, shape), margin)
    optical = gw.optical[rows][:, None] + rng.integers(-300, 301, shape)
    optical = np.where(
        during & (fault == WEAK_OPTICAL), rng.integers(-30_500, -27_499, shape), optical
    )
    values = np.stack(
        [uptime, noise, retrans.astype(np.int64), margin, errored.astype(np.int64), optical],
        axis=2,
    )
    fibre = gw.fibre[rows].astype(bool)[:, None, None]
    applies = np.broadcast_to(
        np.where(fibre, [1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 0]).astype(bool), values.shape
    )
    lost = rng.random(shape) < np.where(during & (fault == REBOOTS), 0.2, 0.005)
    keep = applies & (in_day & ~lost)[:, :, None]
    g_idx = np.broadcast_to(rows[:, None, None], values.shape)
    t_idx = np.broadcast_to(ts[:, :, None], values.shape)
    p_idx = np.broadcast_to(np.arange(len(PATHS))[None, None, :], values.shape)
    return TelemetryBatch(gateway=g_idx[keep], ts=t_idx[keep], path=p_idx[keep], value=values[keep])
