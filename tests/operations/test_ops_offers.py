"""Targeted offers: consented members only, reasons they can read, withdrawal honoured."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from ops_support import gate_answer, ids

from trustflux.config import Settings
from trustflux.errors import CatalogueError
from trustflux.operations.common import Window
from trustflux.operations.offers import (
    load_catalogue,
    pending_offers,
    run_offers,
    withdraw_offers,
)
from trustflux.operations.records import MemoryRunRecorder, RunRecord

GATE_AT = datetime(2026, 3, 4, 9, tzinfo=UTC)

CATALOGUE = """
max_offers_per_subscriber: 3
traits:
  heavy_data_user: {min_mb_per_day: 100}
  international_caller: {min_international_minutes: 1}
  frequent_roamer: {min_roaming_days: 1}
offers:
  - id: TRAVEL
    title: Travel pass
    description: Abroad for less.
    requires: [frequent_roamer]
  - id: WORLD
    title: World calls
    description: Call abroad for less.
    requires: [international_caller]
    plans: [MOB_2H_SMS]
  - id: BOOST
    title: Data boost
    description: More data.
    requires: [heavy_data_user]
    plans: [PREPAID]
"""


def offers(settings: Settings, eligible: pa.Table, window: Window, **kw: object) -> RunRecord:
    return run_offers(
        settings,
        eligible,
        window=window,
        actor="marketing",
        gate_at=kw.pop("gate_at", GATE_AT),  # type: ignore[arg-type]
        recorder=MemoryRunRecorder(),
        **kw,  # type: ignore[arg-type]
    )


def test_offers_match_with_reasons_in_words_and_figures(tiny: Settings, tmp_path: Path) -> None:
    (tmp_path / "offers.yaml").write_text(CATALOGUE)
    catalogue = load_catalogue(tmp_path / "offers.yaml")
    window = Window.local_days(date(2026, 3, 10), 1, "Europe/Paris")
    record = offers(tiny, ids("S1", "S2"), window, catalogue=catalogue)
    got = {(o.subscriber_id, o.offer_id): o.reasons for o in pending_offers(tiny)}
    assert set(got) == {("S1", "TRAVEL"), ("S1", "WORLD")}  # S2 is on no matching trait
    assert got[("S1", "TRAVEL")] == ("You used your line abroad on 1 day(s) over 1 day(s)",)
    assert got[("S1", "WORLD")] == (
        "You made 1 international call(s) (2 minutes) over 1 day(s) (offer from 1 minutes)",
        "Your plan is Mobile 2 h and unlimited SMS",
    )
    assert record.counts["subscribers_profiled"] == 2
    assert record.counts["offers"] == 2


def test_nobody_without_consent_is_profiled(world_home: tuple[Settings, Path]) -> None:
    settings, _ = world_home
    window = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
    nobody = gate_answer(settings, "targeted_offers", GATE_AT)  # register only: no consent known
    assert nobody.num_rows == 0
    record = offers(settings, nobody, window)
    assert record.counts["offers"] == 0 and record.counts["events_in_scope"] == 0


@pytest.fixture(scope="module")
def members(world_home: tuple[Settings, Path]) -> pa.Table:
    """A third of the world's subscribers, as if they had joined the programme."""
    settings, _ = world_home
    everyone = pq.read_table(settings.store_dir / "subscribers").column("subscriber_id")
    return ids(*[s for i, s in enumerate(everyone.to_pylist()) if i % 3 == 0])


def test_only_members_get_offers_and_each_offer_says_why(
    world_home: tuple[Settings, Path], members: pa.Table
) -> None:
    settings, _ = world_home
    window = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
    record = offers(settings, members, window)
    pending = pq.read_table(record.outputs["pending"])
    assert pending.num_rows > 20
    assert pc.all(
        pc.is_in(pending.column("subscriber_id"), members.column("subscriber_id"))
    ).as_py()
    for row in pending.to_pylist():
        assert len(row["reasons"]) >= len(row["traits"]) >= 1
        assert all(r.strip() for r in row["reasons"])
    per_member = pending.group_by("subscriber_id").aggregate([("offer_id", "count")])
    assert pc.max(per_member.column("offer_id_count")).as_py() <= 2  # catalogue limit


def test_withdrawal_removes_pending_offers_now_and_from_the_next_run(
    world_home: tuple[Settings, Path], members: pa.Table
) -> None:
    settings, _ = world_home
    window = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
    offers(settings, members, window)
    leaver = pending_offers(settings)[0].subscriber_id
    removed = withdraw_offers(settings, leaver)
    assert removed >= 1
    assert pending_offers(settings, leaver) == []
    still = members.filter(pc.invert(pc.equal(members.column("subscriber_id"), leaver)))
    record = offers(settings, still, window, gate_at=datetime.now(UTC))
    assert (
        leaver not in pq.read_table(record.outputs["pending"]).column("subscriber_id").to_pylist()
    )


def test_a_run_that_asked_the_gate_before_a_withdrawal_drops_the_member(
    world_home: tuple[Settings, Path], members: pa.Table
) -> None:
    settings, _ = world_home
    window = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
    offers(settings, members, window)
    leaver = pending_offers(settings)[-1].subscriber_id
    asked = datetime.now(UTC)
    withdraw_offers(settings, leaver, at=asked + timedelta(seconds=1))
    # The run's gate answer (asked before the withdrawal) still lists the leaver.
    record = offers(settings, members, window, gate_at=asked)
    assert record.counts["withdrawn_during_run"] >= 1
    assert pending_offers(settings, leaver) == []


def test_a_catalogue_with_an_unknown_trait_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "offers.yaml"
    bad.write_text(CATALOGUE.replace("frequent_roamer]", "night_owl]"))
    with pytest.raises(CatalogueError, match="traits \\['night_owl'\\] are not defined"):
        load_catalogue(bad)
    bad.write_text(CATALOGUE.replace("min_mb_per_day: 100", "min_gb: 1"))
    with pytest.raises(CatalogueError, match="heavy_data_user needs exactly"):
        load_catalogue(bad)
