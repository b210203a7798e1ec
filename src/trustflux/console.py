"""How the core reports progress without printing: the CLI passes a Rich-backed reporter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Task(Protocol):
    """A unit of long work whose progress can be advanced."""

    def advance(self, amount: float = 1) -> None: ...


class Reporter(Protocol):
    """Receives progress from the core; the core never prints."""

    def task(
        self, description: str, total: float | None = None
    ) -> AbstractContextManager[Task]: ...


class _NullTask:
    def advance(self, amount: float = 1) -> None:
        return None


class NullReporter:
    """Default reporter: swallows progress (library use, tests)."""

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Task]:
        yield _NullTask()
