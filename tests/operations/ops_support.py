"""Helpers of the operations tests: the gate's answers and a tiny hand-made operator."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from input_support import SQUARE, luhn
from trustflux.config import Settings
from trustflux.operations.gate import RegisterOnlyGate, ask_gate, eligible_ids
from trustflux.register import load_register

ROOT = Path(__file__).resolve().parents[2]
WORLD_WINDOW_START = date(2026, 3, 2)


def ids(*subscriber_ids: str) -> pa.Table:
    """An ``eligible`` table, as the gate hands it to jobs."""
    return eligible_ids(pa.table({"subscriber_id": pa.array(list(subscriber_ids), pa.string())}))


def copy_home(small_world: tuple[Settings, Path], target: Path) -> Settings:
    settings, _ = small_world
    home = target / "home"
    shutil.copytree(settings.home, home, ignore=shutil.ignore_patterns("tmp"))
    return settings.model_copy(update={"home": home, "register_dir": ROOT / "register"})


def gate_answer(settings: Settings, purpose: str, at: datetime) -> pa.Table:
    """The register-only gate's answer over the store's subscribers."""
    return ask_gate(RegisterOnlyGate(load_register(settings.register_dir)), purpose, at, settings)


# -- a tiny operator with exact expectations ------------------------------------------------
HOME_CELL = (10, 1)
GB_CELL = (900, 7)  # a visited network in the UK (roaming, 'world' zone)
DE_CELL = (901, 8)  # a visited network in Germany (roaming, EU: like at home)


def subscriber(i: int, plan: str, **changes: Any) -> dict[str, Any]:
    row = dict(
        subscriber_id=f"S{i}",
        msisdn=f"3361000000{i}",
        imsi=f"20801{i:010d}",
        imei=luhn(f"35000000000{i:03d}"),
        contract_start=date(2025, 1, 1),
        contract_end=None,
        billing_zone_id="Z1",
        billing_region_id="R01",
        plan=plan,
        gateway_id=None,
        age_bracket=None,
    )
    row.update(changes)
    return row


def event(
    imsi: str,
    at: datetime,
    kind: str,
    cell: tuple[int, int] = HOME_CELL,
    counterpart: str | None = None,
    duration_s: int | None = None,
    up: int | None = None,
    down: int | None = None,
) -> dict[str, Any]:
    return dict(
        imsi=imsi,
        ts=at,
        area_code=cell[0],
        cell_id=cell[1],
        event_type=kind,
        counterpart=counterpart,
        duration_s=duration_s,
        bytes_up=up,
        bytes_down=down,
    )


def tiny_tables() -> dict[str, list[dict[str, Any]]]:
    """Four own subscribers, one inbound roamer, a home cell and two visited networks."""
    t0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    s1, s2, s3, s4 = (f"20801{i:010d}" for i in (1, 2, 3, 4))
    s5 = f"20801{5:010d}"
    roamer = "234150000000099"

    def at(minutes: int) -> datetime:
        return t0 + timedelta(minutes=minutes)

    events = [
        # S1 (MOB_2H_SMS: 120 min off-net, unlimited SMS, 100 MB)
        event(s1, at(0), "call_mo", counterpart="33610000002", duration_s=600),  # on-net (S2)
        event(s1, at(20), "call_mo", counterpart="33612345678", duration_s=7_500),  # off-net
        event(s1, at(200), "call_mo", counterpart="447700900123", duration_s=90),  # international
        event(s1, at(210), "sms_mo", counterpart="33612345678"),
        event(s1, at(211), "sms_mo", counterpart="33610000002"),
        event(s1, at(212), "sms_mo", counterpart="33698765432"),
        event(s1, at(213), "sms_mo", counterpart="491511234567"),  # international SMS
        event(s1, at(220), "data_session", up=50_000_000, down=100_000_000),  # 150 MB
        event(s1, at(230), "call_mt", counterpart="33612345678", duration_s=60),  # free at home
        event(s1, at(231), "location_update"),
        event(s1, at(600), "call_mo", GB_CELL, "33612345678", 120),  # roaming UK
        event(s1, at(601), "call_mt", GB_CELL, "33612345678", 60),
        event(s1, at(602), "data_session", GB_CELL, up=500_000, down=2_000_000),  # 2.5 MB
        event(s1, at(603), "sms_mo", GB_CELL, "33612345678"),
        event(s1, at(900), "data_session", DE_CELL, up=1_000_000, down=9_000_000),  # EU
        # outside March (local): 28 Feb 23:30 Paris time
        event(
            s1, datetime(2026, 2, 28, 22, 30, tzinfo=UTC), "call_mo", HOME_CELL, "33612345678", 999
        ),
        # S2 (PREPAID)
        event(s2, at(5), "sms_mo", counterpart="33612345678"),
        event(s2, at(6), "sms_mo", counterpart="33612345678"),
        event(s2, at(7), "call_mo", counterpart="33612345678", duration_s=30),
        # S3 has a plan the tariff table does not know
        event(s3, at(8), "call_mo", counterpart="33612345678", duration_s=30),
        event(s3, at(9), "location_update"),
        # S4 is never eligible in these tests
        event(s4, at(10), "call_mo", counterpart="33612345678", duration_s=3_000),
        # S5 joined on 11 March (MOB_4G_20GB, 9.99 a month)
        event(s5, at(60 * 30), "data_session", up=1_000, down=9_000),
        # an inbound roamer
        event(roamer, at(11), "call_mo", counterpart="447700900123", duration_s=45),
    ]
    subscribers = [
        subscriber(1, "MOB_2H_SMS"),
        subscriber(2, "PREPAID"),
        subscriber(3, "NO_SUCH_PLAN"),
        subscriber(4, "MOB_4G_20GB"),
        subscriber(5, "MOB_4G_20GB", contract_start=date(2026, 3, 11)),
    ]
    cells = [
        dict(
            radio="LTE",
            mcc=mcc,
            mnc=mnc,
            area_code=a,
            cell_id=c,
            lon=2.05,
            lat=45.05,
            azimuth=None,
            range_m=900,
            zone_id="Z1",
        )
        for (a, c), mcc, mnc in (
            (HOME_CELL, "208", "01"),
            (GB_CELL, "234", "15"),
            (DE_CELL, "262", "02"),
        )
    ]
    zones = [
        dict(
            zone_id="Z1",
            name="Z1",
            region_id="R01",
            population=100,
            lon=2.05,
            lat=45.05,
            geometry=SQUARE,
        )
    ]
    return {"zones": zones, "cells": cells, "subscribers": subscribers, "events": events}
