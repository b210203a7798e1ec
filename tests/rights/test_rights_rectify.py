"""Rectification: a valid change reaches the store; a bad value or field is refused by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from trustflux.config import Settings
from trustflux.errors import RequestNotFoundError, RightsError
from trustflux.events.schemas import TABLES
from trustflux.rights.rectify import RECTIFIABLE, rectify_contract


@pytest.fixture
def home(small_world: tuple[Settings, Path], tmp_path: Path) -> Settings:
    base, _ = small_world
    target = tmp_path / "home"
    shutil.copytree(base.home / "store", target / "store")
    return base.model_copy(update={"home": target})


def contract(settings: Settings, subscriber_id: str) -> dict[str, object]:
    table = ds.dataset(str(settings.store_dir / "subscribers"), format="parquet").to_table(
        filter=ds.field("subscriber_id") == subscriber_id
    )
    assert table.num_rows == 1
    row: dict[str, object] = table.to_pylist()[0]
    return row


def zones(settings: Settings) -> list[dict[str, str]]:
    table = ds.dataset(str(settings.store_dir / "zones"), format="parquet").to_table(
        columns=["zone_id", "region_id"]
    )
    return [{k: str(v) for k, v in r.items()} for r in table.to_pylist()]


def test_a_valid_change_shows_in_the_store(home: Settings) -> None:
    before = contract(home, "S000000064")
    other = next(z for z in zones(home) if z["zone_id"] != before["billing_zone_id"])
    new_age = "45-54" if before["age_bracket"] != "45-54" else "55-64"
    result = rectify_contract(
        home,
        "S000000064",
        {
            "billing_zone_id": other["zone_id"],
            "billing_region_id": other["region_id"],
            "age_bracket": new_age,
        },
    )
    after = contract(home, "S000000064")
    assert after["billing_zone_id"] == other["zone_id"]
    assert after["billing_region_id"] == other["region_id"]
    assert after["age_bracket"] == new_age
    assert result.before["age_bracket"] == before["age_bracket"]
    assert result.as_dict()["after"]["age_bracket"] == new_age
    # nothing else changed, nobody else changed, the file keeps the store's schema
    assert {k: v for k, v in after.items() if k not in RECTIFIABLE} == {
        k: v for k, v in before.items() if k not in RECTIFIABLE
    }
    files = list((home.store_dir / "subscribers").glob("*.parquet"))
    assert ds.dataset([str(f) for f in files]).schema.names == list(
        TABLES["subscribers"].column_names
    )
    assert contract(home, "S000000057")["subscriber_id"] == "S000000057"
    # an age bracket may be withdrawn (it is optional)
    rectify_contract(home, "S000000064", {"age_bracket": None})
    assert contract(home, "S000000064")["age_bracket"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"billing_zone_id": "NOWHERE"}, r"billing_zone_id: unknown zone 'NOWHERE'"),
        ({"billing_zone_id": "bad zone!"}, r"billing_zone_id: 'bad zone!' is not valid"),
        ({"billing_zone_id": None}, r"billing_zone_id: required value is missing"),
        ({"age_bracket": "12-17"}, r"age_bracket: '12-17' is not one of 18-24"),
        ({"billing_region_id": "R99"}, r"billing_region_id: 'R99' is not the region of zone"),
        ({"msisdn": "33600000000"}, r"msisdn: cannot be rectified here"),
        ({"plan": "FREE"}, r"plan: cannot be rectified here"),
        ({}, r"no field to change"),
    ],
)
def test_an_invalid_change_is_refused_naming_the_field(
    home: Settings, changes: dict[str, str | None], message: str
) -> None:
    before = contract(home, "S000000064")
    with pytest.raises(RightsError, match=message):
        rectify_contract(home, "S000000064", changes)
    assert contract(home, "S000000064") == before


def test_an_unknown_subscriber_cannot_be_rectified(home: Settings) -> None:
    with pytest.raises(RequestNotFoundError):
        rectify_contract(home, "NOBODY", {"age_bracket": "25-34"})
