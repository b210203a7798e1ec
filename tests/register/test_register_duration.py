"""ISO 8601 retention periods: parsing, printing, and arithmetic on dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustflux.register import Duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P13M", Duration(months=13)),
        ("P10Y", Duration(years=10)),
        ("PT24H", Duration(hours=24)),
        ("P1Y2M3W4DT5H6M7S", Duration(1, 2, 3, 4, 5, 6, 7)),
        ("P30D", Duration(days=30)),
    ],
)
def test_parse(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["", "P", "PT", "13M", "P1H", "PT1D", "P1.5Y", "-P1M", "p1m"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO 8601 duration"):
        Duration.parse(text)


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert Duration(months=1).after(date(2025, 1, 31)) == date(2025, 2, 28)
    assert Duration(years=1).after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert Duration(months=13).before(date(2025, 3, 15)) == date(2024, 2, 15)
    moment = datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert Duration(hours=24).before(moment) == datetime(2025, 5, 31, 12, tzinfo=UTC)


def test_nominal_days_orders_periods() -> None:
    assert Duration(months=13).nominal_days > Duration(years=1).nominal_days
    assert Duration(hours=24).nominal_days == 1
    assert str(Duration()) == "PT0S"


components = st.integers(min_value=0, max_value=999)


@given(components, components, components, components, components, components, components)
def test_text_round_trip(
    years: int, months: int, weeks: int, days: int, hours: int, minutes: int, seconds: int
) -> None:
    duration = Duration(years, months, weeks, days, hours, minutes, seconds)
    if duration == Duration():
        return
    assert Duration.parse(str(duration)) == duration


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 240))
def test_months_after_then_before_stays_within_the_month_end_clamp(
    start: date, months: int
) -> None:
    period = Duration(months=months)
    back = period.before(period.after(start))
    assert back <= start and (start - back).days <= 3
