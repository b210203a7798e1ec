"""Many concurrent requests, one database round trip: a batch runner per kind of work.

Each web worker has one thread per runner. Requests put their item on a queue and await a
future; the thread takes everything queued (up to ``max_batch``), runs the batch function once
(one transaction and one durable commit for all the writes in it, or one query for all the
decisions) and resolves every future. Under load batches grow by themselves; alone, a request
waits for nobody. The event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()


class BatchRunner(Generic[T, R]):
    """Runs ``work(items) -> results`` (same length, same order) on batches of submitted items."""

    def __init__(
        self,
        name: str,
        work: Callable[[list[T]], Sequence[R]],
        *,
        max_batch: int = 256,
        threads: int = 1,
    ) -> None:
        self.name = name
        self._work = work
        self._max_batch = max_batch
        self._threads_wanted = threads
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        for index in range(self._threads_wanted):
            thread = threading.Thread(
                target=self._run, name=f"trustflux-{self.name}-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    async def submit(self, item: T) -> R:
        """Queue ``item`` and wait for its result (raises what the batch raised)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.put((item, future, loop))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._process(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _process(self, batch: list[tuple[T, asyncio.Future[R], asyncio.AbstractEventLoop]]) -> None:
        items = [entry[0] for entry in batch]
        results: Sequence[R] | None = None
        failure: BaseException | None = None
        try:
            results = self._work(items)
        except Exception as exc:  # handed to every waiting request, not swallowed
            failure = exc
        self.batches += 1
        self.items += len(items)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[R], int]]] = {}
        for position, (_, future, loop) in enumerate(batch):
            by_loop.setdefault(loop, []).append((future, position))
        for loop, waiting in by_loop.items():
            loop.call_soon_threadsafe(_deliver, waiting, results, failure)


def _deliver(
    waiting: list[tuple[asyncio.Future[R], int]],
    results: Sequence[R] | None,
    failure: BaseException | None,
) -> None:
    for future, position in waiting:
        if future.cancelled():
            continue
        if failure is not None or results is None:
            future.set_exception(failure or RuntimeError("batch produced no result"))
        else:
            future.set_result(results[position])
