"""The CLI's shared pieces: its two consoles, Rich progress bars for the core's long tasks, and
the parsing of dates and times given as options."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from trustflux.console import Task
from trustflux.errors import TrustfluxError

out = Console(width=None if sys.stdout.isatty() else 120)
"""The CLI's standard output (120 columns when not a terminal, so tables are not cut)."""
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)
"""Progress and errors."""


class _RichTask:
    def __init__(self, progress: Progress, task_id: int) -> None:
        self._progress = progress
        self._id = task_id

    def advance(self, amount: float = 1) -> None:
        self._progress.advance(self._id, amount)  # type: ignore[arg-type]


class RichReporter:
    """Shows each core task as a transient-free progress line on stderr."""

    def __init__(self, console: Console) -> None:
        self.console = console

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Task]:
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
        if total is not None:
            columns.append(MofNCompleteColumn())
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=False) as progress:
            task_id = progress.add_task(description, total=total)
            yield _RichTask(progress, task_id)
            if total is None:
                progress.update(task_id, total=1, completed=1)


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD option, or an error naming it."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TrustfluxError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from None


def parse_moment(text: str | None, option: str = "--at") -> datetime | None:
    """An ISO 8601 time with its time zone (None when the option is not given)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TrustfluxError(f"{option}: '{text}' is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise TrustfluxError(f"{option}: '{text}' needs a time zone (Z or +01:00)")
    return moment
