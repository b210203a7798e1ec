"""The CLI's side of progress reporting: Rich progress bars for the core's long tasks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

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
