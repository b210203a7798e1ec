"""Gateway telemetry: validation with reasons, reconciled counts, files, and a real broker."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ops_support import gate_answer, ids

from services import require_service
from trustflux.config import Settings
from trustflux.engine.store import Store
from trustflux.events.schemas import TELEMETRY
from trustflux.operations.diagnostics import diagnose
from trustflux.operations.records import MemoryRunRecorder
from trustflux.operations.telemetry import (
    TelemetryIngestor,
    broker_address,
    run_telemetry,
)

GW = "GW0000000001"
UPTIME = "Device.DeviceInfo.UpTime"
NOISE = "Device.WiFi.Radio.1.Stats.Noise"
OPTICAL = "Device.Optical.Interface.1.OpticalSignalLevel"
TS = "2026-03-02T10:00:00Z"


def topic(gateway: str) -> str:
    return f"trustflux/gateways/{gateway}/telemetry"


def payload(**params: object) -> bytes:
    return json.dumps({"ts": TS, "params": params}).encode()


@pytest.fixture
def ingestor(tmp_path: Path) -> TelemetryIngestor:
    settings = Settings(home=tmp_path / "home", duckdb_memory_limit="1GB")
    return TelemetryIngestor(settings, {GW}, "test-run")


def quarantined(settings: Settings) -> list[tuple[str, str, str]]:
    with Store(settings) as store:
        rows = store.raw.execute(
            "SELECT field, reason, record FROM quarantine WHERE table_name = 'ops.telemetry' "
            "ORDER BY source_row"
        ).fetchall()
    return [(str(f), str(r), str(c)) for f, r, c in rows]


def test_valid_samples_are_written_in_the_store_schema(ingestor: TelemetryIngestor) -> None:
    ingestor.message(topic(GW), payload(**{UPTIME: "3600", NOISE: -90, OPTICAL: "-20000"}))
    bulk = [{"ts": TS, "params": {UPTIME: "7200"}}, {"ts": 1772449200, "params": {UPTIME: 10}}]
    ingestor.message(topic(GW), json.dumps(bulk).encode())
    ingestor.flush()
    c = ingestor.counts
    assert (c.messages, c.samples, c.values, c.values_accepted) == (2, 3, 5, 5)
    assert c.reconciles
    [part] = ingestor.written
    assert part.parent.name == "day=2026-03-02"
    table = pq.read_table(part)
    assert table.schema.equals(TELEMETRY.arrow_schema)
    assert sorted(table.column("value").to_pylist()) == ["-20000", "-90", "10", "3600", "7200"]


@pytest.mark.parametrize(
    ("the_topic", "body", "field", "reason"),
    [
        ("trustflux/gateways/telemetry", payload(), "topic", "is not trustflux/gateways/"),
        (topic("GW9999999999"), payload(**{UPTIME: "1"}), "gateway_id", "unknown gateway"),
        (topic(GW), b"{not json", "payload", "not JSON"),
        (topic(GW), b"[1, 2]", "payload", "expected a sample"),
        (topic(GW), json.dumps({"params": {UPTIME: "1"}}).encode(), "ts", "ts missing"),
        (
            topic(GW),
            json.dumps({"ts": "2026-03-02T10:00:00", "params": {UPTIME: "1"}}).encode(),
            "ts",
            "has no time zone",
        ),
        (
            topic(GW),
            json.dumps({"ts": "1999-01-01T00:00:00Z", "params": {UPTIME: "1"}}).encode(),
            "ts",
            "out of range",
        ),
        (topic(GW), json.dumps({"ts": TS, "params": {}}).encode(), "params", "non-empty mapping"),
        (topic(GW), payload(**{"Device..UpTime": "1"}), "path", "malformed TR-181 path"),
        (
            topic(GW),
            payload(**{"Device.Hosts.Host.1.HostName": "phone"}),
            "path",
            "not a parameter collected",
        ),
        (topic(GW), payload(**{UPTIME: "soon"}), "value", "is not an integer"),
        (topic(GW), payload(**{UPTIME: "-5"}), "value", "is outside [0, 4294967295] s"),
        (topic(GW), payload(**{NOISE: True}), "value", "must be an integer"),
    ],
)
def test_bad_input_goes_to_quarantine_with_its_reason(
    ingestor: TelemetryIngestor, the_topic: str, body: bytes, field: str, reason: str
) -> None:
    ingestor.message(the_topic, body)
    ingestor.flush()
    assert ingestor.counts.reconciles
    assert ingestor.written == []
    [(got_field, got_reason, record)] = quarantined(ingestor.settings)
    assert got_field == field
    assert reason in got_reason
    if field == "gateway_id":
        assert UPTIME not in record  # a stranger's payload is not kept


def test_one_bad_value_does_not_drop_the_others(ingestor: TelemetryIngestor) -> None:
    ingestor.message(topic(GW), payload(**{UPTIME: "60", NOISE: "loud", OPTICAL: "-21000"}))
    ingestor.flush()
    c = ingestor.counts
    assert (c.values, c.values_accepted, c.values_quarantined) == (3, 2, 1)
    assert c.messages_accepted == 1 and c.reconciles


def test_files_jsonl_and_parquet(tmp_path: Path, world_home: tuple[Settings, Path]) -> None:
    settings, _ = world_home
    settings = settings.model_copy(update={"operations_dir": tmp_path / "ops"})
    eligible = gate_answer(settings, "gateway_diagnostics", datetime(2026, 3, 3, tzinfo=UTC))
    subs = pq.read_table(settings.store_dir / "subscribers").to_pylist()
    gateway = next(s["gateway_id"] for s in subs if s["gateway_id"] is not None)
    lines = [
        json.dumps({"gateway_id": gateway, "ts": TS, "params": {UPTIME: "5", OPTICAL: "-19000"}}),
        json.dumps({"gateway_id": "GW_NOT_OURS", "ts": TS, "params": {UPTIME: "5"}}),
        "{broken",
        "",
    ]
    jsonl = tmp_path / "samples.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    rows = pa.table(
        {
            "gateway_id": [gateway, gateway],
            "ts": pa.array([datetime(2026, 3, 2, 11, tzinfo=UTC)] * 2, TELEMETRY.column("ts").type),
            "path": [NOISE, "Device.WiFi.Radio.1.Stats.Noise.Extra"],
            "value": ["-88", "1"],
        }
    )
    pq.write_table(rows, tmp_path / "rows.parquet")
    record = run_telemetry(
        settings,
        eligible,
        actor="noc",
        gate_at=datetime(2026, 3, 3, tzinfo=UTC),
        files=[jsonl, tmp_path / "rows.parquet"],
        recorder=MemoryRunRecorder(),
    )
    c = record.counts
    assert c["messages"] == 5 and c["messages_quarantined"] == 2
    assert c["values"] == 4 and c["values_accepted"] == 3 and c["values_quarantined"] == 1
    assert c["quarantined"] == 3
    assert record.purpose == "gateway_diagnostics"


def test_broker_url_is_parsed() -> None:
    a = broker_address("mqtt://user:secret@broker.example:8883")
    assert (a.host, a.port, a.username, a.password) == ("broker.example", 8883, "user", "secret")


# -- a real broker ---------------------------------------------------------------------------
def broker_url() -> str:
    url = os.environ.get("TRUSTFLUX_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    address = broker_address(url)
    try:
        socket.create_connection((address.host, address.port), timeout=2).close()
    except OSError as exc:
        require_service("MQTT broker", f"cannot connect to {url}: {exc}")
    return url


def publish(url: str, messages: list[tuple[str, bytes]], qos: int) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    address = broker_address(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"tf-test-{uuid.uuid4().hex[:8]}")
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        infos = [client.publish(t, p, qos=qos) for t, p in messages]
        for info in infos:
            info.wait_for_publish(timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()


def test_mqtt_ingestion_feeds_the_diagnosis(
    world_home: tuple[Settings, Path], tmp_path: Path
) -> None:
    url = broker_url()
    settings, _ = world_home
    prefix = f"tf-test-{uuid.uuid4().hex[:8]}/gateways"
    settings = settings.model_copy(
        update={"operations_dir": tmp_path / "ops", "mqtt_topic_prefix": prefix}
    )
    subs = pq.read_table(settings.store_dir / "subscribers").to_pylist()
    owner = next(s for s in subs if s["plan"] == "CONV_FIBRE_5G")
    gateway = owner["gateway_id"]
    now = datetime.now(UTC).replace(microsecond=0)
    messages: list[tuple[str, bytes]] = []
    for h in range(6, 0, -1):  # a weak fibre signal over the last six hours
        sample = {"ts": (now - timedelta(hours=h)).isoformat(), "params": {OPTICAL: -29_000 - h}}
        messages.append((f"{prefix}/{gateway}/telemetry", json.dumps(sample).encode()))
    messages.append((f"{prefix}/GW_UNKNOWN_1/telemetry", b'{"ts": 1, "params": {}}'))
    messages.append((f"{prefix}/{gateway}/telemetry", b"not json"))
    eligible = ids(owner["subscriber_id"])

    def go() -> None:
        threading.Thread(target=publish, args=(url, messages, 1), daemon=True).start()

    started = time.monotonic()
    record = run_telemetry(
        settings,
        eligible,
        actor="noc",
        gate_at=now,
        url=url,
        max_messages=len(messages),
        seconds=20,
        on_subscribed=go,
        recorder=MemoryRunRecorder(),
    )
    assert time.monotonic() - started < 20, "all messages should arrive well before the limit"
    c: dict[str, Any] = dict(record.counts)
    assert c["messages"] == 8 and c["messages_accepted"] == 6 and c["messages_quarantined"] == 2
    assert c["values_accepted"] == 6
    diagnosis = diagnose(settings, gateway, eligible=eligible, at=now + timedelta(minutes=1))
    assert [f.fault for f in diagnosis.findings] == ["weak_optical"]
    assert diagnosis.findings[0].signals == 6


def _erase_gateway(settings: Settings, gateway: str) -> None:
    """Markers for a gateway, as an erasure writes them (catalog table and its mirror file)."""
    from trustflux.rights import tombstones

    key = tombstones.erasure_key(settings, create=True)
    assert key is not None
    with Store(settings) as store:
        tombstones.add_markers(
            settings, store.raw, key, {"gateway_id": gateway}, "req-1", datetime.now(UTC)
        )


def test_a_gateway_erased_while_the_receiver_runs_is_refused_and_its_buffer_not_written(
    ingestor: TelemetryIngestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "GW0000000002"
    ingestor.gateways = frozenset({GW, other})
    ingestor.message(topic(GW), payload(**{UPTIME: "3600"}))
    ingestor.message(topic(other), payload(**{UPTIME: "60"}))
    _erase_gateway(ingestor.settings, GW)
    monkeypatch.setattr("trustflux.operations.telemetry.ERASURE_RECHECK_SECONDS", 0.0)
    ingestor.message(topic(GW), payload(**{UPTIME: "3700"}))  # after the erasure: refused
    ingestor.flush()
    c = ingestor.counts
    assert c.reconciles
    assert (c.messages_quarantined, c.values_accepted, c.values_quarantined) == (1, 1, 1)
    written = pa.concat_tables([pq.read_table(p) for p in ingestor.written])
    assert written.column("gateway_id").to_pylist() == [other]
    reasons = {reason for _, reason, _ in quarantined(ingestor.settings)}
    assert all(r.startswith("subscriber erased on") for r in reasons) and reasons
    assert all(GW not in record for _, _, record in quarantined(ingestor.settings))


def test_an_erasure_between_the_check_and_the_write_is_caught_after_the_write(
    ingestor: TelemetryIngestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure publishes its markers, then scans the receiver's folder; a part written
    after that scan is checked against the markers once written, and cleaned."""
    ingestor.message(topic(GW), payload(**{UPTIME: "3600", NOISE: -90}))
    checked = ingestor._drop_erased_rows

    def check_then_erase() -> None:
        checked()
        _erase_gateway(ingestor.settings, GW)  # lands between the check and the write

    monkeypatch.setattr(ingestor, "_drop_erased_rows", check_then_erase)
    ingestor.flush()
    [part] = ingestor.written
    assert pq.read_table(part).num_rows == 0
    c = ingestor.counts
    assert c.reconciles and (c.values_accepted, c.values_quarantined) == (0, 2)
