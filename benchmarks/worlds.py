"""Worlds for the benchmarks: a one-day synthetic world of about N events, ingested once.

Shared by the benchmark scripts (they run from this folder, so ``from worlds import ...``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

EVENTS_PER_SUBSCRIBER_DAY = 103
"""Measured on the default world (events / own subscribers for one day); sizes the world."""


def subscribers_for(events: int) -> int:
    """Own subscribers of a one-day world of about ``events`` events."""
    return max(1_000, events // EVENTS_PER_SUBSCRIBER_DAY)


def prepare_world(work: Path, events: int, seed: int, keep_truth: bool = False) -> Path:
    """``work/home``: a one-day world of about ``events`` events, ingested; reused when ready.

    The world's input is deleted once ingested (the store holds it); its ground truth is kept
    in ``work/truth`` when asked for.
    """
    from trustflux.config import Settings
    from trustflux.events.ingest import ingest_directory
    from trustflux.events.world import generate_world

    home = work / "home"
    if (work / "ready").exists():
        return home
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subscribers = subscribers_for(events)
    t0 = time.perf_counter()
    world = generate_world(work / "world", subscribers=subscribers, days=1, seed=seed)
    print(
        f"  world: {subscribers:,} subscribers, {world.counts['events']:,} events "
        f"({time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    t0 = time.perf_counter()
    ingest_directory(Settings(home=home), world.input_dir)
    print(f"  ingested in {time.perf_counter() - t0:.0f} s", flush=True)
    if keep_truth:
        shutil.copytree(work / "world" / "truth", work / "truth")
    shutil.rmtree(work / "world")
    (work / "ready").touch()
    return home
