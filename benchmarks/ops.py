"""Benchmark: the operations jobs in events per second, telemetry ingestion in MQTT messages/s.

Usage: python benchmarks/ops.py [--events 10000000] [--messages 100000] [--skip-mqtt]

Batch jobs: a one-day world of about ``--events`` events is generated and ingested once
(kept under --work), then each job (billing, fraud, network, offers) runs in a child process
over that day, asked of the register-only gate (offers: every subscriber, as if all had
consented). The rate is the day's events divided by the job's wall time, from the first
read to the run record. The fraud detectors and gateway diagnostics are also scored against
the world's ground truth.

Telemetry: a separate publisher process sends ``--messages`` gateway samples (six TR-181
values each, JSON) to the local broker with paho-mqtt while ``run_telemetry`` ingests them
(validation, Parquet parts, run record). The publisher keeps at most --window messages ahead
of the subscriber, because Mosquitto drops messages queued for a slow client beyond its
queue limit (1,000 by default); the figure is the subscriber's sustained rate without loss.
Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from worlds import prepare_world

DAY = date(2026, 3, 2)
JOBS = ("billing", "fraud", "network", "offers", "diagnostics")


def job(home: Path, name: str, memory_limit: str) -> None:
    """Child process: run one job once and print one JSON line."""
    import pyarrow.parquet as pq

    from trustflux.config import Settings
    from trustflux.operations.common import Window
    from trustflux.operations.gate import RegisterOnlyGate, ask_gate, eligible_ids
    from trustflux.operations.records import MemoryRunRecorder
    from trustflux.register import load_register

    root = Path(__file__).resolve().parents[1]
    settings = Settings(
        home=home,
        register_dir=root / "register",
        duckdb_memory_limit=memory_limit,
        network_epsilon_allowance=20.0,
    )
    shutil.rmtree(settings.ops_dir, ignore_errors=True)
    window = Window.local_days(DAY, 1, settings.local_timezone)
    gate = RegisterOnlyGate(load_register(settings.register_dir))
    purpose = {
        "billing": "billing",
        "fraud": "fraud_detection",
        "network": "network_optimisation",
        "offers": "targeted_offers",
        "diagnostics": "gateway_diagnostics",
    }[name]
    if name == "offers":
        subs = pq.read_table(settings.store_dir / "subscribers", columns=["subscriber_id"])
        eligible = eligible_ids(subs)
    else:
        eligible = ask_gate(gate, purpose, window.end, settings)
    recorder = MemoryRunRecorder()
    common: dict[str, Any] = {"actor": "benchmark", "gate_at": window.end, "recorder": recorder}
    t0 = time.perf_counter()
    if name == "billing":
        from trustflux.operations.billing import run_billing

        record = run_billing(settings, eligible, month="2026-03", **common)
    elif name == "fraud":
        from trustflux.operations.fraud import run_fraud

        record = run_fraud(settings, eligible, window=window, **common)
    elif name == "network":
        from trustflux.operations.network import run_network

        record = run_network(settings, eligible, window=window, **common)
    elif name == "offers":
        from trustflux.operations.offers import run_offers

        record = run_offers(settings, eligible, window=window, **common)
    else:
        from trustflux.operations.diagnostics import run_diagnostics

        record = run_diagnostics(settings, eligible, window=window, **common)
    seconds = time.perf_counter() - t0
    figures: dict[str, Any] = {
        "seconds": seconds,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "events": next((i.rows for i in record.inputs if i.name == "events"), 0),
        "counts": dict(record.counts),
    }
    truth = home.parent / "truth"
    if name == "fraud":
        from trustflux.operations.fraud import score_alerts, truth_keys

        alerts = pq.read_table(record.outputs["alerts.parquet"])
        scores = score_alerts(
            alerts, truth_keys(pq.read_table(truth / "fraud.parquet"), window, None)
        )
        figures["scores"] = {k: v.__dict__ for k, v in scores.items()}
    if name == "diagnostics":
        from trustflux.operations.diagnostics import score_findings

        findings = pq.read_table(record.outputs["findings.parquet"])
        faults = pq.read_table(truth / "gateway_faults.parquet")
        figures["scores"] = {
            k: v.__dict__ for k, v in score_findings(findings, faults, window).items()
        }
    print(json.dumps(figures, default=str))


# -- MQTT ------------------------------------------------------------------------------------
def _samples(prefix: str, gateways: list[str], n: int) -> list[tuple[str, bytes]]:
    """``n`` gateway samples of six TR-181 values, round robin over the gateways."""
    base = datetime(2026, 3, 2, tzinfo=UTC)
    out = []
    for i in range(n):
        ts = (base + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        params = {
            "Device.DeviceInfo.UpTime": str(86_400 + i),
            "Device.WiFi.Radio.1.Stats.Noise": str(-90 - i % 5),
            "Device.WiFi.AccessPoint.1.AssociatedDevice.1.Stats.RetransCount": str(i % 997),
            "Device.Optical.Interface.1.OpticalSignalLevel": str(-20_000 - i % 300),
            "Device.DSL.Line.1.DownstreamNoiseMargin": str(90 + i % 7),
            "Device.DSL.Line.1.Stats.Total.ErroredSecs": str(i % 11),
        }
        topic = f"{prefix}/{gateways[i % len(gateways)]}/telemetry"
        out.append((topic, json.dumps({"ts": ts, "params": params}).encode()))
    return out


def publisher(
    kind: str,
    url: str,
    prefix: str,
    gateways: list[str],
    n: int,
    qos: int,
    window: int,
    start: Any,
    received: Any,
) -> None:
    """Separate process: publish ``n`` samples, staying at most ``window`` ahead."""
    from trustflux.operations.telemetry import broker_address

    messages = _samples(prefix, gateways, n)
    address = broker_address(url)
    if kind == "raw":
        _publish_raw(address.host, address.port, messages, qos, window, start, received)
        return
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"tf-bench-pub-{os.getpid()}")
    client.max_inflight_messages_set(window)
    client.connect(address.host, address.port)
    client.loop_start()
    start.wait()
    info = None
    for i, (topic, body) in enumerate(messages):
        while i - received.value >= window:
            time.sleep(0.0002)
        info = client.publish(topic, body, qos=qos)
    if info is not None:
        info.wait_for_publish(timeout=60)
    client.loop_stop()
    client.disconnect()


def _publish_raw(
    host: str,
    port: int,
    messages: list[tuple[str, bytes]],
    qos: int,
    window: int,
    start: Any,
    received: Any,
) -> None:
    """A minimal MQTT 3.1.1 publisher on a plain socket (CONNECT, PUBLISH, DISCONNECT):
    paho's own publishing costs as much CPU as the subscriber on a 2-core machine, so it
    would measure the publisher. PUBACKs from the broker are read and dropped."""
    import socket
    import struct
    import threading

    def length(n: int) -> bytes:
        out = bytearray()
        while True:
            n, digit = divmod(n, 128)
            out.append(digit | (128 if n else 0))
            if not n:
                return bytes(out)

    def text(s: str) -> bytes:
        raw = s.encode()
        return struct.pack("!H", len(raw)) + raw

    packets = []
    for i, (topic, body) in enumerate(messages):
        head = text(topic) + (struct.pack("!H", i % 65_535 + 1) if qos else b"")
        packets.append(bytes([0x30 | (qos << 1)]) + length(len(head) + len(body)) + head + body)
    sock = socket.create_connection((host, port))
    connect = text("MQTT") + bytes([4, 2]) + struct.pack("!H", 60) + text(f"tf-raw-{os.getpid()}")
    sock.sendall(bytes([0x10]) + length(len(connect)) + connect)
    if sock.recv(4)[:1] != b"\x20":
        raise SystemExit("the broker refused the benchmark publisher")
    done = threading.Event()

    def drain() -> None:
        sock.settimeout(0.2)
        while not done.is_set():
            try:
                if not sock.recv(65_536):
                    return
            except OSError:
                continue

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    start.wait()
    sent, step = 0, max(1, window // 4)
    while sent < len(packets):
        while sent - received.value >= window:
            time.sleep(0.0002)
        sock.sendall(b"".join(packets[sent : sent + step]))
        sent += step
    sock.sendall(bytes([0xE0, 0]))
    done.set()
    reader.join()
    sock.close()


def mqtt_rate(
    home: Path, url: str, n: int, qos: int, window: int, kind: str = "raw"
) -> dict[str, float]:
    import pyarrow.parquet as pq

    from trustflux.config import Settings
    from trustflux.operations.gate import eligible_ids
    from trustflux.operations.records import MemoryRunRecorder
    from trustflux.operations.telemetry import run_telemetry

    settings = Settings(
        home=home,
        operations_dir=home.parent / f"ops-mqtt-{qos}",
        mqtt_topic_prefix=f"tf-bench-{os.getpid()}/gateways",
        mqtt_qos=qos,
    )
    shutil.rmtree(settings.ops_dir, ignore_errors=True)
    subs = pq.read_table(
        settings.store_dir / "subscribers", columns=["subscriber_id", "gateway_id"]
    )
    gateways = [g for g in subs.column("gateway_id").to_pylist() if g is not None]
    ctx = mp.get_context("spawn")
    start, received = ctx.Event(), ctx.Value("q", 0, lock=False)
    proc = ctx.Process(
        target=publisher,
        args=(kind, url, settings.mqtt_topic_prefix, gateways, n, qos, window, start, received),
    )
    proc.start()
    clock: dict[str, float] = {}

    def go() -> None:
        clock["start"] = time.perf_counter()
        start.set()

    def progress(seen: int) -> None:
        received.value = seen
        clock["last"] = time.perf_counter()

    record = run_telemetry(
        settings,
        eligible_ids(subs),
        actor="benchmark",
        gate_at=datetime.now(UTC),
        max_messages=n,
        idle_seconds=10,
        on_subscribed=go,
        progress=progress,
        recorder=MemoryRunRecorder(),
    )
    seconds = clock["last"] - clock["start"]  # to the last message (not the idle wait)
    proc.join()
    c = record.counts
    return {
        "messages": c["messages"],
        "values": c["values_accepted"],
        "quarantined": c["quarantined"],
        "seconds": seconds,
        "rate": c["messages"] / seconds,
        "lost": n - c["messages"],
    }


def accuracy(work: Path, subscribers: int, days: int, seeds: int) -> None:
    """Fraud detectors and gateway rules against the truth of several worlds, summed."""
    import pyarrow.parquet as pq

    from trustflux.config import Settings
    from trustflux.events.ingest import ingest_directory
    from trustflux.events.world import generate_world
    from trustflux.operations.common import Window
    from trustflux.operations.diagnostics import run_diagnostics, score_findings
    from trustflux.operations.fraud import run_fraud, score_alerts, truth_keys
    from trustflux.operations.gate import RegisterOnlyGate, ask_gate, eligible_ids
    from trustflux.operations.records import MemoryRunRecorder
    from trustflux.register import load_register

    totals: dict[str, list[int]] = {}
    for seed in range(1, seeds + 1):
        folder = work / f"accuracy-{subscribers}-{days}d-s{seed}"
        shutil.rmtree(folder, ignore_errors=True)
        world = generate_world(folder / "world", subscribers=subscribers, days=days, seed=seed)
        settings = Settings(
            home=folder / "home", register_dir=Path(__file__).resolve().parents[1] / "register"
        )
        ingest_directory(settings, world.input_dir)
        window = Window.local_days(DAY, days, settings.local_timezone)
        gate = RegisterOnlyGate(load_register(settings.register_dir))
        common: dict[str, Any] = {
            "actor": "benchmark",
            "gate_at": window.end,
            "recorder": MemoryRunRecorder(),
        }
        # Two answers: the register-only gate (a running contract at the window's end, so a
        # line barred after an IRSF attack is not read) and the real gate's answer for an
        # opt-out purpose with nobody objecting (everyone).
        subs = pq.read_table(settings.store_dir / "subscribers", columns=["subscriber_id"])
        truth = pq.read_table(world.out / "truth" / "fraud.parquet")
        expected = truth_keys(truth, window, None)
        scores: dict[str, Any] = {}
        for label, eligible in (
            ("register-only gate", ask_gate(gate, "fraud_detection", window.end, settings)),
            ("opt-out, no objection", eligible_ids(subs)),
        ):
            fraud = run_fraud(settings, eligible, window=window, **common)
            alerts = pq.read_table(fraud.outputs["alerts.parquet"])
            for kind, sc in score_alerts(alerts, expected).items():
                scores[f"{kind}, {label}"] = sc
        diag = run_diagnostics(
            settings,
            ask_gate(gate, "gateway_diagnostics", window.end, settings),
            window=window,
            **common,
        )
        findings = pq.read_table(diag.outputs["findings.parquet"])
        faults = pq.read_table(world.out / "truth" / "gateway_faults.parquet")
        scores.update(score_findings(findings, faults, window))
        for kind, sc in scores.items():
            row = totals.setdefault(kind, [0, 0, 0])
            row[0] += sc.true_positives
            row[1] += sc.false_positives
            row[2] += sc.false_negatives
        shutil.rmtree(folder)
    print(f"  accuracy over {seeds} worlds of {subscribers:,} subscribers x {days} days:")
    for kind, (tp, fp, fn) in totals.items():
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        print(
            f"      {kind:<40} tp {tp} fp {fp} fn {fn}: precision {precision:.2f}, "
            f"recall {recall:.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=200, help="publisher lead (messages)")
    parser.add_argument("--url", default="mqtt://127.0.0.1:1883")
    parser.add_argument(
        "--publisher", default="raw", choices=["raw", "paho"], help="benchmark publisher"
    )
    parser.add_argument("--jobs", nargs="*", default=list(JOBS), choices=JOBS)
    parser.add_argument(
        "--accuracy",
        type=int,
        nargs=3,
        metavar=("SUBSCRIBERS", "DAYS", "SEEDS"),
        help="also score fraud and diagnostics on SEEDS worlds of that size (seeds 1..SEEDS)",
    )
    parser.add_argument("--skip-mqtt", action="store_true")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--job", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(Path(args.job[0]), args.job[1], args.memory_limit)
        return
    if args.prepare:
        prepare_world(args.prepare, args.events, args.seed, keep_truth=True)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.1f}"
    )
    # In a child process: the jobs' peak memory must not inherit the generator's.
    work = args.work / f"ops-{args.events}"
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--prepare",
            str(work),
            "--events",
            str(args.events),
            "--seed",
            str(args.seed),
        ],
        check=True,
    )
    home = work / "home"
    for name in args.jobs:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--job",
                str(home),
                name,
                "--memory-limit",
                args.memory_limit,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        f = json.loads(out.stdout.strip().splitlines()[-1])
        rate = f["events"] / f["seconds"] if f["events"] else 0.0
        line = f"  {name:<12} {f['seconds']:6.1f} s  peak {f['peak_gb']:.2f} GB"
        if name != "diagnostics":
            line += f"  {f['events']:,} events = {rate:,.0f} events/s"
        else:
            line += f"  {f['counts']['telemetry_rows']:,} telemetry rows"
        print(line, flush=True)
        for kind, s in f.get("scores", {}).items():
            tp, fp, fn = s["true_positives"], s["false_positives"], s["false_negatives"]
            precision = tp / (tp + fp) if tp + fp else float("nan")
            recall = tp / (tp + fn) if tp + fn else float("nan")
            print(
                f"      {kind:<18} tp {tp} fp {fp} fn {fn}: precision {precision:.2f}, "
                f"recall {recall:.2f}",
                flush=True,
            )
    if args.accuracy:
        accuracy(args.work, *args.accuracy)
    if not args.skip_mqtt:
        for qos in (0, 1):
            m = mqtt_rate(home, args.url, args.messages, qos, args.window, args.publisher)
            print(
                f"  telemetry MQTT QoS {qos} ({args.publisher} publisher): "
                f"{m['messages']:,.0f} messages ({m['values']:,.0f} values, "
                f"{m['quarantined']:,.0f} quarantined, {m['lost']:,.0f} lost) in "
                f"{m['seconds']:.1f} s = {m['rate']:,.0f} messages/s",
                flush=True,
            )


if __name__ == "__main__":
    main()
