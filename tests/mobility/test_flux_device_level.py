"""Device-level semantics on a hand-made day: who is a resident, a usual visitor, an
excursionist, a tourist or in transit; where trips and nights are counted."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from flux_support import (
    Scenario,
    every,
    ingest_scenario,
    local,
    own_imsi,
    rows,
    run_exact,
    seen,
    subscriber,
)
from trustflux.errors import StatisticsError
from trustflux.mobility.calendar import Period

DAY = date(2026, 3, 3)  # a Tuesday
GB = "234150000000001"
DE = "262020000000002"


def day_scenario() -> Scenario:
    a, d = own_imsi(1), own_imsi(4)
    events = (
        # A: lives in Z1, works in Z2 (08:00-18:00), home again in the evening.
        every(a, 1, local(DAY, 0), local(DAY, 7, 30))
        + every(a, 2, local(DAY, 8), local(DAY, 18))
        + every(a, 1, local(DAY, 18, 30), local(DAY, 23, 59))
        # B: a British day-tripper in Z2 from 10:00 to 12:00.
        + every(GB, 2, local(DAY, 10), local(DAY, 12))
        # C: a German tourist arriving in Z1 at 20:00 and staying the night.
        + every(DE, 1, local(DAY, 20), local(DAY, 23, 59))
        # D: lives in Z1; passes through Z3 for a moment at 12:05 inside a Z1 day.
        + every(d, 1, local(DAY, 0), local(DAY, 23, 59), minutes=15)
        + [seen(d, 3, local(DAY, 12, 5))]
    )
    return Scenario(events, [subscriber(1), subscriber(4)])


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = ingest_scenario(day_scenario(), tmp_path_factory.mktemp("day"))
    return run_exact(settings, Period(DAY, 1))


def test_categories_per_zone(result) -> None:  # type: ignore[no-untyped-def]
    cat = result.aggregates["visitors_by_category"]
    got = {(r["zone_id"], r["category"]): r["devices"] for r in cat.to_pylist()}
    assert got == {
        ("Z1", "resident"): 2,  # A and D
        ("Z1", "tourist"): 1,  # C slept in Z1
        ("Z2", "usual_visitor"): 1,  # A worked there for 10 h on a weekday
        ("Z2", "excursionist"): 1,  # B stayed 2 h, no night
        ("Z3", "in_transit"): 1,  # D was seen there, never for a 30-min slot
    }


def test_origins_of_visitors(result) -> None:  # type: ignore[no-untyped-def]
    origin = result.aggregates["visitors_by_origin"]
    assert rows(origin, zone_id="Z2", origin="GB")[0]["devices"] == 1
    assert rows(origin, zone_id="Z1", origin="DE")[0]["devices"] == 1
    assert rows(origin, zone_id="Z2", origin="R01")[0]["devices"] == 1  # A, a domestic visitor
    assert not rows(origin, zone_id="Z1", origin="R01")  # residents are not visitors


def test_overnight_counts_only_nights_away_from_home(result) -> None:  # type: ignore[no-untyped-def]
    nights = result.aggregates["overnight_by_origin"].to_pylist()
    assert nights == [{"zone_id": "Z1", "night": DAY, "origin": "DE", "devices": 1}]


def test_trips_between_stays(result) -> None:  # type: ignore[no-untyped-def]
    od = {
        (r["origin_zone"], r["dest_zone"]): r["trips"]
        for r in result.aggregates["od_matrix"].to_pylist()
    }
    assert od == {("Z1", "Z2"): 1, ("Z2", "Z1"): 1}
    bands = {
        (r["origin_zone"], r["time_band"]) for r in result.aggregates["od_by_band"].to_pylist()
    }
    assert bands == {("Z1", "morning"), ("Z2", "evening")}


def test_presence_counts_each_device_once_per_slot(result) -> None:  # type: ignore[no-untyped-def]
    presence = result.aggregates["presence"]
    at_11 = local(DAY, 11)
    here = {
        (r["zone_id"], r["origin_kind"]): r["devices"]
        for r in presence.to_pylist()
        if r["slot_start"] == at_11
    }
    assert here == {("Z1", "domestic"): 1, ("Z2", "domestic"): 1, ("Z2", "foreign"): 1}
    per_slot: dict[datetime, int] = {}
    for r in presence.to_pylist():
        per_slot[r["slot_start"]] = per_slot.get(r["slot_start"], 0) + r["devices"]
    assert max(per_slot.values()) <= 4


def test_objectors_leave_before_anything(tmp_path: Path) -> None:
    settings = ingest_scenario(day_scenario(), tmp_path)
    result = run_exact(settings, Period(DAY, 1), objectors=["S1"])
    cat = result.aggregates["visitors_by_category"]
    assert rows(cat, zone_id="Z1", category="resident")[0]["devices"] == 1  # D only
    assert not rows(cat, zone_id="Z2", category="usual_visitor")
    assert result.counts["events_kept"] < result.counts["events_in_period"]


def test_a_period_without_events_is_an_error(tmp_path: Path) -> None:
    settings = ingest_scenario(day_scenario(), tmp_path)
    with pytest.raises(StatisticsError, match="no events in period 2026-04-01"):
        run_exact(settings, Period(date(2026, 4, 1), 1))


def rules_scenario() -> Scenario:
    """Cases the fill rules used to get wrong (found by the accuracy study)."""
    commuter, passer, sleeper = own_imsi(5), own_imsi(6), own_imsi(7)
    events = (
        # A commuter from region R02 works in Z2 until 18:00, then goes home outside the area.
        every(commuter, 2, local(DAY, 9), local(DAY, 18))
        # A resident of Z1 passes through Z3 once at 14:05, seen in Z1 again from 14:40.
        + every(passer, 1, local(DAY, 0), local(DAY, 14))
        + [seen(passer, 3, local(DAY, 14, 5))]
        + every(passer, 1, local(DAY, 14, 40), local(DAY, 23, 59))
        # A resident of Z1 whose phone is quiet from 21:00 to 07:00.
        + every(sleeper, 1, local(DAY, 7), local(DAY, 21))
        + [seen(sleeper, 1, local(DAY, 23, 50))]
    )
    subs = [subscriber(5, region="R02", zone="Z3"), subscriber(6), subscriber(7)]
    return Scenario(events, subs)


@pytest.fixture(scope="module")
def rules_result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = ingest_scenario(rules_scenario(), tmp_path_factory.mktemp("rules"))
    return run_exact(settings, Period(DAY, 1))


def test_out_of_area_commuter_is_a_usual_visitor_without_a_night(rules_result) -> None:  # type: ignore[no-untyped-def]
    cat = rules_result.aggregates["visitors_by_category"]
    assert rows(cat, zone_id="Z2", category="usual_visitor")[0]["devices"] == 1
    assert rules_result.aggregates["overnight_by_origin"].num_rows == 0


def test_one_sighting_between_two_others_is_in_transit(rules_result) -> None:  # type: ignore[no-untyped-def]
    cat = rules_result.aggregates["visitors_by_category"]
    assert rows(cat, zone_id="Z3", category="in_transit")[0]["devices"] == 1
    assert not rows(cat, zone_id="Z3", category="excursionist")


def test_quiet_phone_between_two_sightings_at_home_stays_present(rules_result) -> None:  # type: ignore[no-untyped-def]
    presence = rules_result.aggregates["presence"]
    at_22 = local(DAY, 22, 30)
    here = rows(presence, zone_id="Z1", slot_start=at_22, origin_kind="domestic")
    assert here and here[0]["devices"] == 2  # the passer-by (seen) and the quiet sleeper


def test_quiet_phone_before_its_first_morning_sighting_was_home(rules_result) -> None:  # type: ignore[no-untyped-def]
    """First seen at 07:00 in the zone where it spends the evening: present there at 03:00."""
    presence = rules_result.aggregates["presence"]
    at_3 = local(DAY, 3)
    here = rows(presence, zone_id="Z1", slot_start=at_3, origin_kind="domestic")
    assert here and here[0]["devices"] == 2  # the passer-by (seen) and the sleeper (back-filled)
    assert not rows(presence, zone_id="Z2", slot_start=at_3)  # the commuter was not there yet
