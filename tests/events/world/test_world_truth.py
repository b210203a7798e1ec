"""Ground truth agrees with itself and with what the input shows."""

from __future__ import annotations

import duckdb

from trustflux.events.world import WorldSummary


def one(db: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = db.execute(sql).fetchone()
    assert row is not None
    return row[0]


def count(db: duckdb.DuckDBPyConnection, table: str, where: str) -> int:
    value = one(db, f"SELECT count(*) FROM {table} WHERE {where}")
    assert isinstance(value, int)
    return value


def test_presence_covers_every_study_zone_and_slot(
    db: duckdb.DuckDBPyConnection, world: WorldSummary
) -> None:
    zones = one(db, "SELECT count(*) FROM zones WHERE region_id = 'R01'")
    slots = one(db, "SELECT count(DISTINCT slot_start) FROM truth_presence")
    assert slots == 48 * world.params.days
    assert isinstance(zones, int) and isinstance(slots, int)
    assert one(db, "SELECT count(*) FROM truth_presence") == zones * slots
    assert one(db, "SELECT count(*) FROM truth_presence WHERE devices > people + roamers") == 0
    assert one(db, "SELECT count(*) FROM truth_presence WHERE roamers > devices") == 0
    outside = "SELECT count(*) FROM truth_presence ANTI JOIN zones USING (zone_id)"
    assert one(db, outside) == 0


def test_night_presence_equals_device_nights(db: duckdb.DuckDBPyConnection) -> None:
    """Devices counted in the last slot of a day are exactly the device-days with a night zone."""
    mismatches = db.execute(
        """WITH last AS (
             SELECT CAST(slot_start AS DATE) AS date, zone_id, devices
             FROM truth_presence
             WHERE slot_start = (
               SELECT max(p.slot_start) FROM truth_presence p
               WHERE CAST(p.slot_start AS DATE) = CAST(truth_presence.slot_start AS DATE))),
           nights AS (
             SELECT date, night_zone_id AS zone_id, count(*) AS n FROM truth_device_days
             WHERE night_zone_id IS NOT NULL GROUP BY ALL)
           SELECT count(*) FROM last FULL JOIN nights USING (date, zone_id)
           WHERE coalesce(devices, 0) <> coalesce(n, 0)"""
    ).fetchone()
    assert mismatches == (0,)


def test_devices_per_slot_match_device_days(db: duckdb.DuckDBPyConnection) -> None:
    """Summed over zones and slots, device presence equals the slots recorded per device-day."""
    by_slot = one(db, "SELECT sum(devices) FROM truth_presence")
    by_device = one(db, "SELECT sum(slots_present) FROM truth_device_days")
    assert by_slot == by_device


def test_every_active_device_has_a_device_day(db: duckdb.DuckDBPyConnection) -> None:
    missing = """SELECT count(*) FROM (SELECT DISTINCT imsi, CAST(ts AS DATE) AS date FROM events)
                 ANTI JOIN truth_device_days USING (imsi, date)"""
    assert one(db, missing) == 0


def test_people_outnumber_devices_about_as_market_share_says(
    db: duckdb.DuckDBPyConnection,
) -> None:
    ratio = one(db, "SELECT sum(devices) / sum(people) FROM truth_presence")
    assert isinstance(ratio, float)
    assert 0.25 < ratio < 0.5


def test_visitor_categories_and_origins(db: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        db.execute("SELECT category, count(*) FROM truth_device_days GROUP BY 1").fetchall()
    )
    assert set(rows) == {"resident", "commuter", "excursionist", "tourist", "transit"}
    assert rows["resident"] > sum(v for k, v in rows.items() if k != "resident")
    days = "truth_device_days"
    assert count(db, days, "category = 'commuter' AND night_zone_id IS NOT NULL") == 0
    assert count(db, days, "category = 'resident' AND night_zone_id <> home_zone_id") == 0
    assert count(db, days, "category = 'tourist' AND night_zone_id IS NOT NULL") > 0
    assert count(db, days, "origin_type = 'foreign' AND length(origin) <> 2") == 0
    domestic = """SELECT count(*) FROM truth_device_days d JOIN subscribers s USING (imsi)
                  WHERE d.category <> 'resident' AND d.origin <> s.billing_region_id"""
    assert one(db, domestic) == 0


def test_trips_are_between_known_zones_and_forward_in_time(db: duckdb.DuckDBPyConnection) -> None:
    assert count(db, "truth_trips", "depart >= arrive") == 0
    known = "(SELECT zone_id FROM zones)"
    assert count(db, "truth_trips", f"origin_zone_id NOT IN {known}") == 0
    assert count(db, "truth_trips", f"dest_zone_id NOT IN {known}") == 0
    assert count(db, "truth_trips", "origin_zone_id IS NOT DISTINCT FROM dest_zone_id") == 0
    with_device = count(db, "truth_trips", "imsi IS NOT NULL")
    without = count(db, "truth_trips", "imsi IS NULL")
    assert with_device > 0 and without > with_device


def test_fraud_labels_cover_every_kind(db: duckdb.DuckDBPyConnection) -> None:
    kinds = {r[0] for r in db.execute("SELECT DISTINCT kind FROM truth_fraud").fetchall()}
    assert kinds == {"sim_box", "wangiri", "irsf"}
    assert count(db, "truth_fraud", "kind <> 'wangiri' AND imsi IS NULL") == 0
    assert count(db, "truth_fraud", "kind = 'wangiri' AND external_number IS NULL") == 0
    assert count(db, "truth_fraud", "imsi NOT IN (SELECT imsi FROM subscribers)") == 0


def test_sim_box_shows_its_signature(db: duckdb.DuckDBPyConnection) -> None:
    row = db.execute(
        """SELECT count(*) FILTER (WHERE event_type = 'call_mo') AS mo,
                  count(DISTINCT counterpart) FILTER (WHERE event_type = 'call_mo') AS callees,
                  count(*) FILTER (WHERE event_type = 'call_mt') AS mt,
                  count(*) FILTER (WHERE event_type LIKE 'sms%') AS sms,
                  count(DISTINCT cell_id) AS cells
           FROM events WHERE imsi IN (SELECT imsi FROM truth_fraud WHERE kind = 'sim_box')
           GROUP BY imsi"""
    ).fetchall()
    assert row
    for mo, callees, mt, sms, cells in row:
        assert mo > 100 and callees > 0.9 * mo
        assert mt < 5 and sms == 0 and cells == 1


def test_wangiri_and_irsf_calls_are_injected(db: duckdb.DuckDBPyConnection) -> None:
    rings = db.execute(
        """SELECT count(*), max(e.duration_s), count(DISTINCT (e.imsi, f.start)) FROM events e
           JOIN truth_fraud f ON e.counterpart = f.external_number
             AND e.ts >= f.start AND e.ts < f."end"
           WHERE f.kind = 'wangiri' AND e.event_type = 'call_mt'"""
    ).fetchone()
    assert rings is not None and rings[0] > 0 and rings[1] <= 3 and rings[2] == rings[0]
    irsf = db.execute(
        """SELECT count(*), min(duration_s) FROM events
           WHERE event_type = 'call_mo'
             AND imsi IN (SELECT imsi FROM truth_fraud WHERE kind = 'irsf')
             AND NOT starts_with(counterpart, '33')"""
    ).fetchone()
    assert irsf is not None and irsf[0] >= 5 and irsf[1] >= 900


def test_gateway_faults_show_in_telemetry(db: duckdb.DuckDBPyConnection) -> None:
    kinds = {r[0] for r in db.execute("SELECT DISTINCT fault FROM truth_gateway_faults").fetchall()}
    assert kinds == {"wifi_interference", "dsl_line", "weak_optical", "repeated_reboots"}
    signals = {
        "wifi_interference": ("Device.WiFi.Radio.1.Stats.Noise", "CAST(value AS INT) > -70"),
        "dsl_line": ("Device.DSL.Line.1.DownstreamNoiseMargin", "CAST(value AS INT) < 30"),
        "weak_optical": (
            "Device.Optical.Interface.1.OpticalSignalLevel",
            "CAST(value AS INT) < -27000",
        ),
    }
    for fault, (path, condition) in signals.items():
        seen = one(
            db,
            f"""SELECT count(*) FROM telemetry t JOIN truth_gateway_faults f USING (gateway_id)
                WHERE f.fault = '{fault}' AND t.path = '{path}' AND {condition}
                  AND t.ts >= f.start AND t.ts < f."end" """,
        )
        healthy = one(
            db,
            f"""SELECT count(*) FROM telemetry t ANTI JOIN truth_gateway_faults f USING (gateway_id)
                WHERE t.path = '{path}' AND {condition}""",
        )
        assert healthy == 0, fault
        assert isinstance(seen, int) and seen > 0, fault
    reboots = one(
        db,
        """SELECT count(*) FROM telemetry t JOIN truth_gateway_faults f USING (gateway_id)
           WHERE f.fault = 'repeated_reboots' AND t.path = 'Device.DeviceInfo.UpTime'
             AND CAST(t.value AS BIGINT) < 4 * 3600 AND t.ts >= f.start AND t.ts < f."end" """,
    )
    assert isinstance(reboots, int) and reboots > 0
