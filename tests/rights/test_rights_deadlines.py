"""Art. 12(3) deadlines: one calendar month, extensions of 1 or 2 months, edge dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from trustflux.errors import RightsError
from trustflux.rights.deadlines import (
    add_months,
    days_left,
    due_date,
    extended_due_date,
    is_overdue,
    latest_due_date,
)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 1, 15), at(2026, 2, 15)),
        (at(2026, 1, 31), at(2026, 2, 28)),  # shorter month: its last day
        (at(2028, 1, 31), at(2028, 2, 29)),  # leap year
        (at(2026, 1, 29), at(2026, 2, 28)),
        (at(2026, 3, 31), at(2026, 4, 30)),
        (at(2026, 12, 31), at(2027, 1, 31)),  # across the year
        (at(2026, 2, 28), at(2026, 3, 28)),  # not "end of month to end of month"
    ],
)
def test_due_one_calendar_month_after_receipt(received: datetime, due: datetime) -> None:
    assert due_date(received) == due


def test_the_time_of_day_is_kept() -> None:
    assert due_date(datetime(2026, 5, 4, 23, 59, 58, 7, tzinfo=UTC)) == datetime(
        2026, 6, 4, 23, 59, 58, 7, tzinfo=UTC
    )


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=40),
)
def test_add_months_agrees_with_dateutil(moment: datetime, months: int) -> None:
    assert add_months(moment, months) == moment + relativedelta(months=months)


@pytest.mark.parametrize(
    ("received", "already", "months", "due"),
    [
        (at(2026, 1, 31), 0, 1, at(2026, 3, 28)),  # from the original due date (28 Feb)
        (at(2026, 1, 31), 0, 2, at(2026, 4, 28)),
        (at(2026, 1, 31), 1, 1, at(2026, 4, 28)),  # a second extension adds up
        (at(2026, 1, 15), 0, 2, at(2026, 4, 15)),
        (at(2025, 11, 30), 0, 2, at(2026, 2, 28)),  # never beyond receipt + 3 months
        (at(2027, 11, 30), 0, 2, at(2028, 2, 29)),
    ],
)
def test_extension_counts_from_the_original_due_date(
    received: datetime, already: int, months: int, due: datetime
) -> None:
    got = extended_due_date(received, already=already, months=months, now=received)
    assert got == due
    assert got <= latest_due_date(received)


def test_extension_limits() -> None:
    received = at(2026, 1, 31)
    with pytest.raises(RightsError, match="months: an extension is 1 or 2"):
        extended_due_date(received, already=0, months=0, now=received)
    with pytest.raises(RightsError, match="months: 1 month"):
        extended_due_date(received, already=1, months=2, now=received)
    with pytest.raises(RightsError, match="months: 2 month"):
        extended_due_date(received, already=2, months=1, now=received)
    # decided on the last moment of the first month: still allowed; a second later: refused
    assert extended_due_date(received, already=0, months=1, now=at(2026, 2, 28))
    with pytest.raises(RightsError, match="original due date 2026-02-28 has passed"):
        extended_due_date(received, already=0, months=1, now=at(2026, 2, 28, 11))


def test_days_left_and_overdue() -> None:
    due = at(2026, 2, 28)
    assert days_left(due, at(2026, 2, 1)) == 27
    assert days_left(due, at(2026, 2, 28, 23)) == 0
    assert days_left(due, at(2026, 3, 2)) == -2
    assert not is_overdue(due, at(2026, 2, 28, 10))
    assert is_overdue(due, at(2026, 2, 28, 11))
