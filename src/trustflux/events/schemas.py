"""The input data model (version 1): one declarative spec per table.

The generator writes these schemas, ingestion validates against them and
``docs/data-model.md`` documents them; all three read this module so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

DATA_MODEL_VERSION = 1

TIMESTAMP = pa.timestamp("ms", tz="UTC")

RADIOS = ("GSM", "UMTS", "LTE", "NR")
EVENT_TYPES = (
    "attach",
    "detach",
    "location_update",
    "handover",
    "call_mo",
    "call_mt",
    "sms_mo",
    "sms_mt",
    "data_session",
)
CALL_TYPES = ("call_mo", "call_mt")
SMS_TYPES = ("sms_mo", "sms_mt")
AGE_BRACKETS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
ID_HINT = "1 to 64 letters, digits or _.:-"


def format_bound(value: float) -> str:
    """A minimum or maximum as people write it (16777215, not 1.67772e+07)."""
    return str(int(value)) if float(value).is_integer() else repr(value)


@dataclass(frozen=True)
class Column:
    """One field: its Arrow type and the checks every row must pass."""

    name: str
    type: pa.DataType
    description: str
    required: bool = True
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    hint: str | None = None
    """Plain words for ``pattern``, used in quarantine reasons."""


@dataclass(frozen=True)
class TableSpec:
    """A table of the input data model."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    day_column: str | None = None

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=not c.required) for c in self.columns])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


ZONES = TableSpec(
    name="zones",
    description="Published areas (communes, districts) with their census population.",
    key=("zone_id",),
    columns=(
        Column(
            "zone_id",
            pa.string(),
            "Zone identifier (e.g. INSEE code).",
            pattern=ID_PATTERN,
            hint=ID_HINT,
        ),
        Column("name", pa.string(), "Zone name."),
        Column(
            "region_id", pa.string(), "Parent region identifier.", pattern=ID_PATTERN, hint=ID_HINT
        ),
        Column("population", pa.int64(), "Census population.", minimum=0),
        Column("lon", pa.float64(), "Centroid longitude (WGS84).", minimum=-180, maximum=180),
        Column("lat", pa.float64(), "Centroid latitude (WGS84).", minimum=-90, maximum=90),
        Column(
            "geometry",
            pa.string(),
            "Zone outline, WKT POLYGON or MULTIPOLYGON in WGS84.",
            pattern=r"^\s*(MULTI)?POLYGON\s*\(",
            hint="WKT POLYGON or MULTIPOLYGON",
        ),
    ),
)

CELLS = TableSpec(
    name="cells",
    description="Radio cells of the operator's network with their serving zone.",
    key=("area_code", "cell_id"),
    columns=(
        Column("radio", pa.string(), "Radio technology.", allowed=RADIOS),
        Column(
            "mcc",
            pa.string(),
            "Mobile country code (3 digits).",
            pattern=r"^\d{3}$",
            hint="3 digits",
        ),
        Column(
            "mnc",
            pa.string(),
            "Mobile network code (2 or 3 digits).",
            pattern=r"^\d{2,3}$",
            hint="2 or 3 digits",
        ),
        Column(
            "area_code",
            pa.int32(),
            "Location area code (LAC, 2G/3G) or tracking area code (TAC, 4G/5G).",
            minimum=0,
            maximum=16_777_215,
        ),
        Column(
            "cell_id",
            pa.int64(),
            "Cell identity: CI (2G/3G), ECI (4G, 28 bits) or NCI (5G, 36 bits).",
            minimum=0,
            maximum=68_719_476_735,
        ),
        Column("lon", pa.float64(), "Antenna longitude (WGS84).", minimum=-180, maximum=180),
        Column("lat", pa.float64(), "Antenna latitude (WGS84).", minimum=-90, maximum=90),
        Column(
            "azimuth",
            pa.int16(),
            "Antenna bearing in degrees; empty for omnidirectional cells.",
            required=False,
            minimum=0,
            maximum=359,
        ),
        Column("range_m", pa.int32(), "Nominal coverage radius in metres.", minimum=1),
        Column(
            "zone_id",
            pa.string(),
            "Zone the cell serves (zones.zone_id).",
            pattern=ID_PATTERN,
            hint=ID_HINT,
        ),
    ),
)

SUBSCRIBERS = TableSpec(
    name="subscribers",
    description="Contracts of the operator's own subscribers (identified zone).",
    key=("subscriber_id",),
    columns=(
        Column(
            "subscriber_id", pa.string(), "Contract identifier.", pattern=ID_PATTERN, hint=ID_HINT
        ),
        Column(
            "msisdn",
            pa.string(),
            "Phone number, E.164 without '+'.",
            pattern=r"^\d{8,15}$",
            hint="8 to 15 digits",
        ),
        Column(
            "imsi",
            pa.string(),
            "IMSI: MCC + MNC + MSIN, 15 digits.",
            pattern=r"^\d{15}$",
            hint="15 digits",
        ),
        Column(
            "imei",
            pa.string(),
            "IMEI, 15 digits with Luhn check digit.",
            pattern=r"^\d{15}$",
            hint="15 digits",
        ),
        Column("contract_start", pa.date32(), "First day of the contract."),
        Column(
            "contract_end",
            pa.date32(),
            "Last day of the contract; empty while it runs.",
            required=False,
        ),
        Column(
            "billing_zone_id",
            pa.string(),
            "Zone of the billing address.",
            pattern=ID_PATTERN,
            hint=ID_HINT,
        ),
        Column(
            "billing_region_id",
            pa.string(),
            "Region of the billing address.",
            pattern=ID_PATTERN,
            hint=ID_HINT,
        ),
        Column("plan", pa.string(), "Tariff plan code.", pattern=ID_PATTERN, hint=ID_HINT),
        Column(
            "gateway_id",
            pa.string(),
            "Home gateway (box) identifier, if any.",
            required=False,
            pattern=ID_PATTERN,
            hint=ID_HINT,
        ),
        Column(
            "age_bracket",
            pa.string(),
            "Declared age bracket, if any.",
            required=False,
            allowed=AGE_BRACKETS,
        ),
    ),
)

EVENTS = TableSpec(
    name="events",
    description=(
        "Network events seen by the operator's core network, for its own subscribers and for "
        "inbound roamers (whose IMSI starts with their home MCC and MNC)."
    ),
    key=(
        "imsi",
        "ts",
        "event_type",
        "area_code",
        "cell_id",
        "counterpart",
        "duration_s",
        "bytes_up",
        "bytes_down",
    ),
    day_column="ts",
    columns=(
        Column(
            "imsi",
            pa.string(),
            "IMSI of the device, 15 digits.",
            pattern=r"^\d{15}$",
            hint="15 digits",
        ),
        Column("ts", TIMESTAMP, "Event time, UTC, millisecond precision."),
        Column(
            "area_code", pa.int32(), "LAC/TAC of the serving cell.", minimum=0, maximum=16_777_215
        ),
        Column(
            "cell_id",
            pa.int64(),
            "Identity of the serving cell.",
            minimum=0,
            maximum=68_719_476_735,
        ),
        Column("event_type", pa.string(), "What happened.", allowed=EVENT_TYPES),
        Column(
            "counterpart",
            pa.string(),
            "Other party's number (E.164 without '+') for calls and SMS.",
            required=False,
            pattern=r"^\d{3,15}$",
            hint="3 to 15 digits",
        ),
        Column(
            "duration_s",
            pa.int32(),
            "Call duration in seconds (calls only).",
            required=False,
            minimum=0,
        ),
        Column(
            "bytes_up",
            pa.int64(),
            "Uplink volume in bytes (data sessions only).",
            required=False,
            minimum=0,
        ),
        Column(
            "bytes_down",
            pa.int64(),
            "Downlink volume in bytes (data sessions only).",
            required=False,
            minimum=0,
        ),
    ),
)

TELEMETRY = TableSpec(
    name="telemetry",
    description="Home-gateway telemetry: one TR-181 parameter value per row.",
    key=("gateway_id", "ts", "path", "value"),
    day_column="ts",
    columns=(
        Column(
            "gateway_id", pa.string(), "Home gateway identifier.", pattern=ID_PATTERN, hint=ID_HINT
        ),
        Column("ts", TIMESTAMP, "Sample time, UTC."),
        Column(
            "path",
            pa.string(),
            "TR-181 parameter path, e.g. Device.DeviceInfo.UpTime.",
            pattern=r"^Device(\.[A-Za-z0-9_]+)+$",
            hint="a TR-181 path such as Device.DeviceInfo.UpTime",
        ),
        Column("value", pa.string(), "Parameter value as reported (text)."),
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (ZONES, CELLS, SUBSCRIBERS, EVENTS, TELEMETRY)}
"""Input tables in the order they must be ingested (references point backwards)."""
