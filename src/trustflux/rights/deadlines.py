"""Deadlines of data-subject requests (GDPR Art. 12(3)): pure calendar arithmetic.

A request is answered "without undue delay and in any event within one month of receipt";
that may be extended "by two further months where necessary", and the person is told why
within the first month. A month is a calendar month: the same day of the next month, or that
month's last day when it is shorter (received 31 January, due 28 or 29 February). Days are
counted in UTC, which is never later than the operator's local day (Europe/Paris is ahead).
"""

from __future__ import annotations

import calendar
from datetime import datetime

from trustflux.errors import RightsError

MAX_EXTENSION_MONTHS = 2
"""Art. 12(3): two further months at most, over all extensions of one request."""


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months, clamped to the last day of a shorter month."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due_date(received_at: datetime) -> datetime:
    """When the answer is due without an extension: one calendar month after receipt."""
    return add_months(received_at, 1)


def latest_due_date(received_at: datetime) -> datetime:
    """The furthest any extension may go: three calendar months after receipt."""
    return add_months(received_at, 1 + MAX_EXTENSION_MONTHS)


def extended_due_date(
    received_at: datetime, *, already: int, months: int, now: datetime
) -> datetime:
    """The new due date after extending by ``months`` more (``already`` granted before).

    Counted from the original due date, never beyond three months after receipt. Refused once
    the original due date has passed: the person must be told within the first month.
    """
    if months not in (1, 2):
        raise RightsError(f"months: an extension is 1 or 2 further months (got {months})")
    total = already + months
    if total > MAX_EXTENSION_MONTHS:
        raise RightsError(
            f"months: {already} month(s) already granted; at most {MAX_EXTENSION_MONTHS} "
            f"further months in all (Art. 12(3)), so {MAX_EXTENSION_MONTHS - already} left"
        )
    original = due_date(received_at)
    if now > original:
        raise RightsError(
            f"the original due date {original.date().isoformat()} has passed: an extension "
            "must be decided and told to the person within the first month (Art. 12(3))"
        )
    return min(add_months(original, total), latest_due_date(received_at))


def days_left(due_at: datetime, now: datetime) -> int:
    """Whole days from ``now`` to the due date (UTC calendar days; negative when late)."""
    return (due_at.date() - now.date()).days


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """Whether the due moment has passed."""
    return now > due_at
