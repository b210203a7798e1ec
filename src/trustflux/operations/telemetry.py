"""Gateway telemetry ingestion (purpose ``gateway_diagnostics``, lawful basis: contract).

Transport: MQTT (paho-mqtt), one topic per gateway, ``<prefix>/<gateway_id>/telemetry``.
A message is JSON, one sample or a list of samples (a bulk report)::

    {"ts": "2026-03-02T10:00:00Z", "params": {"Device.DeviceInfo.UpTime": "86400", ...}}
    [{"ts": ..., "params": {...}}, {"ts": ..., "params": {...}}]

``ts`` is ISO 8601 with a zone (or epoch seconds); values are TR-181 values, as text or
numbers. The same samples can come from files: JSON lines (``{"gateway_id", "ts",
"params"}`` per line) or Parquet/CSV in the store's telemetry schema (one value per row).

Only the parameters gateway diagnostics needs are kept (``PARAMETERS``): any other path is
quarantined as not collected, which is data minimisation, not an error of the box. Checks
and where a failure goes (one quarantine row each, with the reason):

* message: topic not ``<prefix>/<id>/telemetry``; gateway unknown (no contract the gate
  allows has it: its payload is not kept); payload not JSON or not samples;
* sample: ``ts`` missing, malformed or out of range; ``params`` not a mapping;
* value: path not TR-181, path not collected, value not of the parameter's type or range.

messages = accepted + quarantined; samples of accepted messages = accepted + quarantined;
values of accepted samples = accepted + quarantined. Accepted values are written in batches
as Parquet parts under ``<operations>/telemetry/day=YYYY-MM-DD/`` (the store's telemetry
schema); diagnostics reads them together with the ingested ``telemetry`` table.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustflux.config import Settings
from trustflux.errors import OperationsError, TelemetryError
from trustflux.events.schemas import ID_PATTERN, TELEMETRY
from trustflux.operations.common import JobRun, quarantine_rows, read_store_table
from trustflux.operations.records import RunRecord, RunRecorder
from trustflux.rights.tombstones import ErasedLookup, erasure_reason

PURPOSE = "gateway_diagnostics"
PATH_PATTERN = re.compile(TELEMETRY.column("path").pattern or r"^Device(\.[A-Za-z0-9_]+)+$")
_ID = re.compile(ID_PATTERN)
MAX_RECORD_CHARS = 2_000
UINT32 = 2**32 - 1


@dataclass(frozen=True)
class Parameter:
    """A TR-181 parameter gateway diagnostics collects: its path pattern, type and range."""

    name: str
    pattern: re.Pattern[str]
    minimum: int
    maximum: int
    unit: str


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("uptime", re.compile(r"^Device\.DeviceInfo\.UpTime$"), 0, UINT32, "s"),
    Parameter(
        "wifi_noise", re.compile(r"^Device\.WiFi\.Radio\.\d+\.Stats\.Noise$"), -200, 0, "dBm"
    ),
    Parameter(
        "wifi_retrans",
        re.compile(r"^Device\.WiFi\.AccessPoint\.\d+\.AssociatedDevice\.\d+\.Stats\.RetransCount$"),
        0,
        UINT32,
        "count",
    ),
    Parameter(
        "dsl_margin",
        re.compile(r"^Device\.DSL\.Line\.\d+\.DownstreamNoiseMargin$"),
        -640,
        640,
        "0.1 dB",
    ),
    Parameter(
        "dsl_errored",
        re.compile(r"^Device\.DSL\.Line\.\d+\.Stats\.Total\.ErroredSecs$"),
        0,
        UINT32,
        "s",
    ),
    Parameter(
        "optical_level",
        re.compile(r"^Device\.Optical\.Interface\.\d+\.OpticalSignalLevel$"),
        -65_536,
        65_535,
        "0.001 dBm",
    ),
)


def parameter_of(path: str) -> Parameter | None:
    for p in PARAMETERS:
        if p.pattern.match(path):
            return p
    return None


@dataclass
class TelemetryCounts:
    """What happened to every message, sample and value of one ingestion run."""

    messages: int = 0
    messages_accepted: int = 0
    messages_quarantined: int = 0
    samples: int = 0
    samples_accepted: int = 0
    samples_quarantined: int = 0
    values: int = 0
    values_accepted: int = 0
    values_quarantined: int = 0
    parts_written: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return (
            self.messages == self.messages_accepted + self.messages_quarantined
            and self.samples == self.samples_accepted + self.samples_quarantined
            and self.values == self.values_accepted + self.values_quarantined
        )

    def as_counts(self) -> dict[str, int]:
        return {
            k: int(v) for k, v in self.__dict__.items() if isinstance(v, int) and k != "reasons"
        }


class TelemetryIngestor:
    """Validates telemetry messages and writes accepted values in Parquet batches.

    Not thread-safe: feed it from one thread (the MQTT loop, or a file reader).
    """

    def __init__(
        self,
        settings: Settings,
        gateways: Iterable[str],
        run_id: str,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.gateways = frozenset(gateways)
        self.run_id = run_id
        self.counts = TelemetryCounts()
        self.out_dir = settings.ops_dir / "telemetry"
        self._now = now
        self._earliest_ms = int(settings.earliest_event.timestamp() * 1000)
        self._latest_ms = int((now() + timedelta(days=1)).timestamp() * 1000)
        self._prefix = settings.mqtt_topic_prefix.rstrip("/") + "/"
        self._paths: dict[str, Parameter | str] = {}
        self._topics: dict[str, str] = {}
        self._rows: list[tuple[str, int, str, str]] = []
        self._flushed_values = 0
        self._quarantine: list[dict[str, Any]] = []
        self._parts = 0
        self.written: list[Path] = []
        self._erased = ErasedLookup.load(settings, "gateway_id")
        """Gateways of erased subscribers: refused with the erasure as the reason."""
        self._erased_read_at = time.monotonic()

    # -- input ----------------------------------------------------------------------------
    def message(self, topic: str, payload: bytes, source: str = "", seq: int | None = None) -> None:
        """One MQTT message (topic and raw payload)."""
        c = self.counts
        c.messages += 1
        gateway = self._gateway_of(topic)
        if gateway is None:
            self._reject_message(source or topic, seq, "topic", self._topic_reason(topic), topic)
            return
        erased = self._erased_on(gateway)
        if erased is not None:  # neither the topic nor the payload is kept
            where = f"{self._prefix}(erased)/telemetry"
            self._reject_message(where, seq, "gateway_id", erasure_reason(erased), None)
            return
        if gateway not in self.gateways:
            self._reject_message(
                source or topic, seq, "gateway_id", _unknown_gateway(gateway), {"topic": topic}
            )
            return
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            self._reject_message(
                source or topic, seq, "payload", f"not JSON: {exc}", _clip(payload)
            )
            return
        samples = data if isinstance(data, list) else [data]
        if not samples or not all(isinstance(s, dict) for s in samples):
            self._reject_message(
                source or topic,
                seq,
                "payload",
                "expected a sample {ts, params} or a list of samples",
                _clip(payload),
            )
            return
        c.messages_accepted += 1
        for sample in samples:
            self._sample(gateway, sample, source or topic, seq)

    def record(self, data: object, source: str, seq: int | None) -> None:
        """One sample with its gateway: ``{"gateway_id", "ts", "params"}`` (a file line)."""
        c = self.counts
        c.messages += 1
        gateway = data.get("gateway_id") if isinstance(data, dict) else None
        if not isinstance(gateway, str) or not _ID.match(gateway):
            reason = "gateway_id missing or not an identifier"
            self._reject_message(source, seq, "gateway_id", reason, _clip(data))
            return
        erased = self._erased_on(gateway)
        if erased is not None or gateway not in self.gateways:
            reason = _unknown_gateway(gateway) if erased is None else erasure_reason(erased)
            self._reject_message(source, seq, "gateway_id", reason, None)
            return
        assert isinstance(data, dict)
        c.messages_accepted += 1
        self._sample(gateway, data, source, seq)

    def _sample(self, gateway: str, sample: dict[str, Any], source: str, seq: int | None) -> None:
        c = self.counts
        c.samples += 1
        ts_ms, problem = self._timestamp(sample.get("ts"))
        params = sample.get("params")
        if problem is None and (not isinstance(params, dict) or not params):
            problem = ("params", "params must be a non-empty mapping of TR-181 path to value")
        if problem is not None:
            c.samples_quarantined += 1
            self._quarantine_row(
                source, seq, problem[0], problem[1], {"gateway_id": gateway, **sample}
            )
            return
        assert isinstance(params, dict) and ts_ms is not None
        c.samples_accepted += 1
        c.values += len(params)
        rows, paths = self._rows, self._paths
        for path, raw in params.items():
            known = paths.get(path)
            if known.__class__ is Parameter and raw.__class__ in (str, int):  # the usual case
                try:
                    number = int(raw)
                except ValueError:
                    number = None
                if number is not None and known.minimum <= number <= known.maximum:  # type: ignore[union-attr]
                    rows.append((gateway, ts_ms, path, str(number)))
                    continue
            text, issue = self._value_of(str(path), raw)
            if issue is not None:
                c.values_quarantined += 1
                record = {"gateway_id": gateway, "ts": sample.get("ts"), "path": path, "value": raw}
                self._quarantine_row(source, seq, issue[0], issue[1], record)
                continue
            assert text is not None
            rows.append((gateway, ts_ms, str(path), text))
        c.values_accepted = len(rows) + self._flushed_values
        if len(rows) >= self.settings.telemetry_batch_rows:
            self.flush()

    # -- checks ---------------------------------------------------------------------------
    def _erased_on(self, gateway: str) -> datetime | None:
        """When the gateway's subscriber was erased, re-reading the markers now and then: a
        subscriber erased while the receiver runs is refused from then on."""
        if time.monotonic() - self._erased_read_at >= ERASURE_RECHECK_SECONDS:
            self._reload_erased()
        return self._erased.erased_on(gateway)

    def _reload_erased(self) -> None:
        """Re-read the markers (a file beside the store: no catalog lock to wait for)."""
        self._erased_read_at = time.monotonic()
        self._erased = ErasedLookup.load(self.settings, "gateway_id")

    def _scrub_written(self, parts: list[Path], gateways: set[str]) -> None:
        """Check the markers again once the parts are written: an erasure that scanned the
        receiver's folder between our check and our write would have missed them."""
        self._reload_erased()
        erased = {g for g in gateways if self._erased.erased_on(g) is not None}
        if not erased:
            return
        for part in parts:
            table = pq.read_table(part)
            hit = pc.is_in(table.column("gateway_id"), value_set=pa.array(sorted(erased)))
            n = int(pc.sum(hit).as_py() or 0)
            if not n:
                continue
            tmp = part.with_suffix(".tmp")
            pq.write_table(table.filter(pc.invert(hit)), tmp)
            tmp.replace(part)
            self._flushed_values -= n
            self.counts.values_accepted -= n
            self.counts.values_quarantined += n
        for gateway in sorted(erased):
            when = self._erased.erased_on(gateway)
            assert when is not None
            self._quarantine_row("(written)", None, "gateway_id", erasure_reason(when), None)

    def _drop_erased_rows(self) -> None:
        """Values buffered before their subscriber was erased are not written after it."""
        self._reload_erased()
        kept: list[tuple[str, int, str, str]] = []
        dropped: list[tuple[str, int, str, str]] = []
        for row in self._rows:
            (dropped if self._erased.erased_on(row[0]) is not None else kept).append(row)
        if not dropped:
            return
        self._rows = kept
        self.counts.values_quarantined += len(dropped)
        self.counts.values_accepted -= len(dropped)
        for gateway, *_ in dropped:
            erased = self._erased.erased_on(gateway)
            assert erased is not None
            reason = erasure_reason(erased)
            self._quarantine_row("(buffered)", None, "gateway_id", reason, None)

    def _gateway_of(self, topic: str) -> str | None:
        known = self._topics.get(topic)
        if known is not None:
            return known
        gateway = self._parse_topic(topic)
        if gateway is not None and len(self._topics) < 1_000_000:
            self._topics[topic] = gateway
        return gateway

    def _parse_topic(self, topic: str) -> str | None:
        if not topic.startswith(self._prefix) or not topic.endswith("/telemetry"):
            return None
        middle = topic[len(self._prefix) : -len("/telemetry")]
        return middle if _ID.match(middle) else None

    def _topic_reason(self, topic: str) -> str:
        return f"topic {topic!r} is not {self._prefix}<gateway_id>/telemetry"

    def _timestamp(self, raw: object) -> tuple[int | None, tuple[str, str] | None]:
        if isinstance(raw, bool) or raw is None:
            return None, ("ts", "ts missing (ISO 8601 with a time zone, or epoch seconds)")
        if isinstance(raw, int | float):
            ms = int(raw * 1000)
        elif isinstance(raw, str):
            try:
                when = datetime.fromisoformat(raw)
            except ValueError:
                return None, ("ts", f"ts {raw[:40]!r} is not an ISO 8601 timestamp")
            if when.tzinfo is None or when.utcoffset() is None:
                return None, ("ts", f"ts {raw[:40]!r} has no time zone (add Z or an offset)")
            ms = int(when.timestamp() * 1000)
        else:
            return None, ("ts", f"ts must be text or a number, not {type(raw).__name__}")
        if not self._earliest_ms <= ms <= self._latest_ms:
            return None, (
                "ts",
                f"ts {raw!r} is out of range (before "
                f"{self.settings.earliest_event.date()} or more than a day ahead)",
            )
        return ms, None

    def _value_of(self, path: str, raw: object) -> tuple[str | None, tuple[str, str] | None]:
        known = self._paths.get(path)
        if known is None:
            if not PATH_PATTERN.match(path):
                known = f"malformed TR-181 path {path[:80]!r}"
            else:
                found = parameter_of(path)
                known = (
                    found
                    if found is not None
                    else f"{path} is not a parameter collected for gateway diagnostics"
                )
            if len(self._paths) < 10_000:
                self._paths[path] = known
        if isinstance(known, str):
            return None, ("path", known)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            return None, ("value", f"{path}: value must be an integer, got {raw!r}"[:200])
        try:
            number = int(raw)
        except ValueError:
            return None, ("value", f"{path}: {str(raw)[:40]!r} is not an integer")
        if not known.minimum <= number <= known.maximum:
            return None, (
                "value",
                f"{path}: {number} is outside [{known.minimum}, {known.maximum}] {known.unit}",
            )
        return str(number), None

    # -- output ---------------------------------------------------------------------------
    def _reject_message(
        self, source: str, seq: int | None, field_name: str, reason: str, record: object
    ) -> None:
        self.counts.messages_quarantined += 1
        self._quarantine_row(source, seq, field_name, reason, record)

    def _quarantine_row(
        self, source: str, seq: int | None, field_name: str, reason: str, record: object
    ) -> None:
        key = reason.split(":")[0] if field_name != "gateway_id" else "unknown gateway"
        if reason.startswith("subscriber erased"):
            key = reason
        self.counts.reasons[key] = self.counts.reasons.get(key, 0) + 1
        text = record if isinstance(record, str) else json.dumps(record, default=str)
        self._quarantine.append(
            {
                "source_file": source,
                "source_row": seq,
                "field": field_name,
                "reason": reason,
                "record": (text or "")[:MAX_RECORD_CHARS],
            }
        )

    def flush(self) -> None:
        """Write buffered values as Parquet parts (one per UTC day) and the quarantine rows."""
        if self._rows:
            self._drop_erased_rows()
        if self._rows:
            gws, stamps, paths, values = zip(*self._rows, strict=True)
            ms = pa.array(stamps, pa.int64())
            table = pa.table(
                {
                    "gateway_id": pa.array(gws, pa.string()),
                    "ts": ms.cast(pa.timestamp("ms", tz="UTC")),
                    "path": pa.array(paths, pa.string()),
                    "value": pa.array(values, pa.string()),
                },
                schema=TELEMETRY.arrow_schema,
            )
            day = pc.floor(pc.divide(ms.cast(pa.float64()), 86_400_000.0))
            written_now = 0
            for d in pc.unique(day).to_pylist():
                part = table.filter(pc.equal(day, d))
                name = datetime.fromtimestamp(d * 86_400, UTC).date().isoformat()
                folder = self.out_dir / f"day={name}"
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / f"part-{self.run_id}-{self._parts:05d}.parquet"
                tmp = target.with_suffix(".tmp")
                pq.write_table(part, tmp)
                tmp.replace(target)
                self.written.append(target)
                written_now += 1
                self._parts += 1
                self.counts.parts_written += 1
            self._flushed_values += len(self._rows)
            self._scrub_written(
                self.written[len(self.written) - written_now :], {row[0] for row in self._rows}
            )
            self._rows = []
            self._latest_ms = int((self._now() + timedelta(days=1)).timestamp() * 1000)
        if self._quarantine:
            rows, self._quarantine = self._quarantine, []
            quarantine_rows(self.settings, self.run_id, "ops.telemetry", rows)


ERASURE_RECHECK_SECONDS = 5.0
"""How often a running receiver re-reads the erasure markers (and always before writing)."""


def _unknown_gateway(gateway: str) -> str:
    return (
        f"unknown gateway {gateway}: no contract the gate allows for gateway diagnostics "
        "has it (payload not kept)"
    )


def _clip(payload: object) -> str:
    if isinstance(payload, bytes):
        return payload[:MAX_RECORD_CHARS].decode("utf-8", errors="replace")
    return json.dumps(payload, default=str)[:MAX_RECORD_CHARS]


def known_gateways(settings: Settings, eligible: pa.Table) -> set[str]:
    """Gateways of the subscribers the gate allows (contract purpose: running contracts)."""
    subs = read_store_table(settings, "subscribers", ["subscriber_id", "gateway_id"])
    mine = subs.filter(
        pc.is_in(subs.column("subscriber_id"), value_set=eligible.column("subscriber_id"))
    )
    return {g for g in mine.column("gateway_id").to_pylist() if g is not None}


# -- sources --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None


def broker_address(url: str) -> BrokerAddress:
    """``mqtt://[user[:password]@]host[:port]`` (1883 by default)."""
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise TelemetryError(f"MQTT URL {url!r} is not mqtt://host[:port]")
    return BrokerAddress(parsed.hostname, parsed.port or 1883, parsed.username, parsed.password)


def _buffered_client_class() -> Any:
    """paho's Client reading the socket in 256 KiB chunks instead of 1-5 syscalls a packet.

    paho reads each packet byte by byte through ``_sock_recv``; serving those reads from a
    buffer is what lets one Python thread keep up with tens of thousands of messages a
    second. Only ``_sock_recv`` is replaced; if a paho release stops calling it, the buffer
    simply stays empty and paho reads the socket as before. (Writes are left alone: batching
    QoS 1 acknowledgements was faster but made Mosquitto drop messages under load.)
    """
    import paho.mqtt.client as mqtt

    class BufferedClient(mqtt.Client):  # type: ignore[misc]
        _tf_buffer = b""
        _tf_pos = 0

        def _sock_recv(self, bufsize: int) -> bytes:
            if self._tf_pos >= len(self._tf_buffer):
                chunk = super()._sock_recv(262_144)
                if not chunk:
                    return bytes(chunk)
                self._tf_buffer, self._tf_pos = chunk, 0
            end = self._tf_pos + bufsize
            out = self._tf_buffer[self._tf_pos : end]
            self._tf_pos += len(out)
            return bytes(out)

        def tf_buffered(self) -> bool:
            return self._tf_pos < len(self._tf_buffer)

    return BufferedClient


def subscribe(
    ingestor: TelemetryIngestor,
    url: str,
    *,
    topic_prefix: str,
    qos: int = 1,
    max_messages: int | None = None,
    seconds: float | None = None,
    idle_seconds: float | None = None,
    on_subscribed: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
    connect_timeout: float = 5.0,
) -> None:
    """Read ``<prefix>/+/telemetry`` until ``max_messages``, ``seconds`` or ``idle_seconds``
    without a message (whichever comes first; at least one must be given).

    ``progress`` gets the number of messages read so far, between network reads.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    if max_messages is None and seconds is None and idle_seconds is None:
        raise OperationsError("say when to stop: max_messages, seconds or idle_seconds")
    address = broker_address(url)
    client = _buffered_client_class()(CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    if address.username:
        client.username_pw_set(address.username, address.password)
    state: dict[str, Any] = {"subscribed": False, "failed": "", "last": time.monotonic()}
    topic = f"{topic_prefix.rstrip('/')}/+/telemetry"

    def on_connect(c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            state["failed"] = f"connection refused: {reason}"
            return
        c.subscribe(topic, qos=qos)

    def on_subscribe(_c: Any, _u: Any, _mid: Any, reasons: Any, _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            state["failed"] = f"subscription to {topic} refused: {reasons}"
            return
        state["subscribed"] = True
        if on_subscribed is not None:
            on_subscribed()

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        ingestor.message(msg.topic, msg.payload)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    try:
        client.connect(address.host, address.port, keepalive=30)
    except OSError as exc:
        raise TelemetryError(f"cannot reach the MQTT broker at {url}: {exc}") from exc
    try:
        started = time.monotonic()
        while not state["subscribed"]:
            client.loop(timeout=0.05)
            if state["failed"]:
                raise TelemetryError(f"MQTT broker {url}: {state['failed']}")
            if time.monotonic() - started > connect_timeout:
                raise TelemetryError(
                    f"MQTT broker {url}: no subscription after {connect_timeout} s"
                )
        started = last = time.monotonic()
        seen = ingestor.counts.messages
        while True:
            rc = client.loop(timeout=0.05)
            while rc == mqtt.MQTT_ERR_SUCCESS and client.tf_buffered():
                rc = client.loop_read()
            if rc != mqtt.MQTT_ERR_SUCCESS:
                raise TelemetryError(
                    f"MQTT broker {url}: connection lost ({mqtt.error_string(rc)})"
                )
            now = time.monotonic()
            if ingestor.counts.messages != seen:
                seen, last = ingestor.counts.messages, now
                if progress is not None:
                    progress(seen)
            if max_messages is not None and seen >= max_messages:
                break
            if seconds is not None and now - started >= seconds:
                break
            if idle_seconds is not None and now - last >= idle_seconds:
                break
    finally:
        client.disconnect()


def read_files(ingestor: TelemetryIngestor, paths: Sequence[Path]) -> None:
    """Samples from files: JSON lines (one sample with its gateway per line), or Parquet/CSV
    in the store's telemetry schema (one value per row, each treated as one sample)."""
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson", ".json"):
            _read_jsonl(ingestor, path)
        elif suffix in (".parquet", ".csv"):
            _read_rows(ingestor, path)
        else:
            raise TelemetryError(f"{path}: telemetry files are .jsonl, .parquet or .csv")


def _read_jsonl(ingestor: TelemetryIngestor, path: Path) -> None:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except ValueError as exc:
                    ingestor.counts.messages += 1
                    ingestor._reject_message(str(path), n, "payload", f"not JSON: {exc}", line)
                    continue
                ingestor.record(data, str(path), n)
    except OSError as exc:
        raise TelemetryError(f"cannot read {path}: {exc}") from exc


def _read_rows(ingestor: TelemetryIngestor, path: Path) -> None:
    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(path)
        else:
            import pyarrow.csv as pacsv

            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(TELEMETRY.column_names, pa.string())
                ),
            )
    except (OSError, pa.ArrowInvalid) as exc:
        raise TelemetryError(f"cannot read {path} as telemetry: {exc}") from exc
    missing = [c for c in TELEMETRY.column_names if c not in table.column_names]
    if missing:
        raise TelemetryError(f"{path}: missing telemetry columns {', '.join(missing)}")
    ts = table.column("ts")
    if pa.types.is_timestamp(ts.type):
        ts_values: list[object] = [None if t is None else t.isoformat() for t in ts.to_pylist()]
    else:
        ts_values = ts.to_pylist()
    for n, (gw, when, p, v) in enumerate(
        zip(
            table.column("gateway_id").to_pylist(),
            ts_values,
            table.column("path").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        ),
        start=1,
    ):
        ingestor.record({"gateway_id": gw, "ts": when, "params": {p: v}}, str(path), n)


def run_telemetry(
    settings: Settings,
    eligible: pa.Table,
    *,
    actor: str,
    gate_at: datetime,
    files: Sequence[Path] = (),
    url: str | None = None,
    max_messages: int | None = None,
    seconds: float | None = None,
    idle_seconds: float | None = None,
    on_subscribed: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
    recorder: RunRecorder | None = None,
) -> RunRecord:
    """Ingest telemetry from ``files`` or, without files, from the MQTT broker."""
    job = JobRun(
        settings,
        "telemetry",
        PURPOSE,
        actor,
        gate_at,
        recorder,
        parameters={"source": "files" if files else (url or settings.mqtt_url)},
    )
    with job:
        gateways = known_gateways(settings, eligible)
        job.read("eligible", eligible.num_rows, detail="subscriber ids the gate allows")
        job.read("gateways", len(gateways), detail="gateways of eligible subscribers")
        ingestor = TelemetryIngestor(settings, gateways, job.run_id)
        started = time.perf_counter()
        try:
            if files:
                read_files(ingestor, files)
                job.read("files", ingestor.counts.messages, len(files))
            else:
                subscribe(
                    ingestor,
                    url or settings.mqtt_url,
                    topic_prefix=settings.mqtt_topic_prefix,
                    qos=settings.mqtt_qos,
                    max_messages=max_messages,
                    seconds=seconds,
                    idle_seconds=idle_seconds,
                    on_subscribed=on_subscribed,
                    progress=progress,
                )
                job.read("mqtt", ingestor.counts.messages, detail=url or settings.mqtt_url)
        finally:
            ingestor.flush()
        elapsed = time.perf_counter() - started
        job.counts.update(ingestor.counts.as_counts())
        job.counts["quarantined"] = (
            ingestor.counts.messages_quarantined
            + ingestor.counts.samples_quarantined
            + ingestor.counts.values_quarantined
        )
        job.parameters["seconds"] = f"{elapsed:.3f}"
        job.wrote("telemetry", ingestor.out_dir)
        return job.finish()


def telemetry_files(settings: Settings) -> list[Path]:
    """Every telemetry part: ingested (store) and received by the subscriber (operations)."""
    from trustflux.operations.common import store_files

    ops = settings.ops_dir / "telemetry"
    mine = sorted(ops.rglob("*.parquet")) if ops.exists() else []
    return store_files(settings, "telemetry") + mine
