"""Every row the generator writes passes the data model's own checks and points somewhere."""

from __future__ import annotations

import duckdb
import pytest

from trustflux.events.schemas import TABLES, Column
from trustflux.events.world import WorldSummary
from trustflux.events.world.numeric import luhn_valid


def one(db: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = db.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _violations(column: Column) -> str:
    """SQL condition true for rows that break ``column``'s declared checks."""
    name = f'"{column.name}"'
    checks = []
    if column.required:
        checks.append(f"{name} IS NULL")
    if column.pattern:
        checks.append(f"NOT regexp_matches({name}::VARCHAR, '{column.pattern}')")
    if column.minimum is not None:
        checks.append(f"{name} < {column.minimum}")
    if column.maximum is not None:
        checks.append(f"{name} > {column.maximum}")
    if column.allowed:
        values = ", ".join(f"'{v}'" for v in column.allowed)
        checks.append(f"{name} NOT IN ({values})")
    return " OR ".join(checks) or "FALSE"


@pytest.mark.parametrize("table", list(TABLES))
def test_every_column_passes_its_declared_checks(db: duckdb.DuckDBPyConnection, table: str) -> None:
    for column in TABLES[table].columns:
        bad = one(db, f"SELECT count(*) FROM {table} WHERE {_violations(column)}")
        assert bad == 0, f"{table}.{column.name}"


@pytest.mark.parametrize("table", list(TABLES))
def test_keys_are_unique(db: duckdb.DuckDBPyConnection, table: str) -> None:
    key = ", ".join(f'"{k}"' for k in TABLES[table].key)
    dupes = one(
        db, f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dupes == 0


def test_references_resolve(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "SELECT count(*) FROM events ANTI JOIN cells USING (area_code, cell_id)") == 0
    assert one(db, "SELECT count(*) FROM cells ANTI JOIN zones USING (zone_id)") == 0
    orphans = (
        "SELECT count(*) FROM subscribers s ANTI JOIN zones z ON s.billing_zone_id = z.zone_id"
    )
    assert one(db, orphans) == 0
    regions = """SELECT count(*) FROM subscribers s JOIN zones z ON s.billing_zone_id = z.zone_id
                 WHERE s.billing_region_id <> z.region_id"""
    assert one(db, regions) == 0
    gateways = "SELECT count(*) FROM telemetry ANTI JOIN subscribers USING (gateway_id)"
    assert one(db, gateways) == 0
    # Own devices in the events are all subscribers.
    own = """SELECT count(DISTINCT imsi) FROM events ANTI JOIN subscribers USING (imsi)
             WHERE imsi LIKE '20801%'"""
    assert one(db, own) == 0


def test_every_study_zone_has_cells(db: duckdb.DuckDBPyConnection) -> None:
    empty = """SELECT count(*) FROM zones z ANTI JOIN cells c USING (zone_id)
               WHERE z.region_id = 'R01'"""
    assert one(db, empty) == 0


def test_identifiers_look_real(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute("SELECT imsi, msisdn, imei FROM subscribers").fetchall()
    for imsi, msisdn, imei in rows:
        assert len(imsi) == 15 and imsi.startswith("20801")
        assert len(msisdn) == 11 and msisdn[:3] in ("336", "337")
        assert len(imei) == 15 and luhn_valid(imei), imei
    assert one(db, "SELECT count(DISTINCT imsi) = count(*) FROM subscribers") is True
    assert one(db, "SELECT count(DISTINCT msisdn) = count(*) FROM subscribers") is True


def test_cells_use_valid_identity_ranges(db: duckdb.DuckDBPyConnection) -> None:
    limits = {"GSM": 65_535, "UMTS": 268_435_455, "LTE": 268_435_455, "NR": 68_719_476_735}
    for radio, limit in limits.items():
        highest = one(db, f"SELECT max(cell_id) FROM cells WHERE radio = '{radio}'")
        assert isinstance(highest, int) and highest <= limit
    assert one(db, "SELECT count(DISTINCT radio) FROM cells") == 4
    assert one(db, "SELECT count(*) FROM cells WHERE azimuth IS NULL AND radio <> 'GSM'") == 0


def test_events_are_sorted_by_imsi_then_time_within_parts(world: WorldSummary) -> None:
    con = duckdb.connect()
    for part in sorted((world.input_dir / "events").iterdir())[:3]:
        unsorted = one(
            con,
            f"""SELECT count(*) FROM (
                  SELECT imsi, ts, lag(imsi) OVER () AS pi, lag(ts) OVER () AS pt
                  FROM '{part}') WHERE imsi < pi OR (imsi = pi AND ts < pt)""",
        )
        assert unsorted == 0


def test_events_per_subscriber_day_in_stated_range(db: duckdb.DuckDBPyConnection) -> None:
    # Residents present all day: tens to a few hundred events (fraud SIMs excluded).
    counts = db.execute(
        """SELECT count(*) AS n FROM events e
           JOIN truth_device_days d ON d.imsi = e.imsi AND d.date = CAST(e.ts AS DATE)
           WHERE d.category = 'resident' AND d.slots_present >= 46
             AND e.imsi NOT IN (SELECT imsi FROM truth_fraud WHERE imsi IS NOT NULL)
           GROUP BY e.imsi, d.date"""
    ).fetchall()
    values = sorted(n for (n,) in counts)
    assert len(values) > 1_000
    median = values[len(values) // 2]
    assert 60 <= median <= 200
    assert values[int(len(values) * 0.02)] >= 10
    assert values[-1] <= 1_000


def test_daily_rhythm_peaks_in_daytime(db: duckdb.DuckDBPyConnection) -> None:
    night = one(
        db, "SELECT count(*) FROM events WHERE hour(ts) BETWEEN 2 AND 4 AND event_type = 'call_mo'"
    )
    day = one(
        db,
        "SELECT count(*) FROM events WHERE hour(ts) BETWEEN 16 AND 18 AND event_type = 'call_mo'",
    )
    assert isinstance(night, int) and isinstance(day, int)
    assert day > 10 * night


def test_inbound_roamers_use_foreign_mcc(db: duckdb.DuckDBPyConnection) -> None:
    mccs = {
        r[0]
        for r in db.execute(
            "SELECT DISTINCT substr(imsi, 1, 3) FROM events WHERE imsi NOT LIKE '208%'"
        ).fetchall()
    }
    assert len(mccs) >= 4
    assert mccs <= {"234", "262", "222", "214", "206", "228", "310", "204"}
    roaming = one(
        db,
        """SELECT count(*) FROM truth_device_days
           WHERE origin_type = 'foreign' AND imsi NOT LIKE '208%'""",
    )
    assert isinstance(roaming, int) and roaming > 0
