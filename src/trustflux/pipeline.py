"""The main job: what ``trustflux run`` and ``make run`` do on the embedded default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trustflux.config import Settings
from trustflux.console import NullReporter, Reporter
from trustflux.events.ingest import IngestReport, ingest_directory


@dataclass(frozen=True)
class MainJobResult:
    """Where the main job put things and what it counted."""

    world_dir: Path
    ingest: IngestReport
    purposes: int
    record_path: Path


def run_main_job(
    settings: Settings,
    *,
    subscribers: int,
    days: int,
    seed: int,
    reporter: Reporter | None = None,
) -> MainJobResult:
    """Generate (or reuse) a world under the home, ingest it, check and export the register."""
    from trustflux.events.world import generate_world
    from trustflux.register import load_register, write_record

    reporter = reporter or NullReporter()
    register = load_register(settings.register_dir)
    world_dir = settings.home / "worlds" / f"s{subscribers}-d{days}-seed{seed}"
    if not (world_dir / "world.json").exists():
        generate_world(world_dir, subscribers=subscribers, days=days, seed=seed, reporter=reporter)
    report = ingest_directory(settings, world_dir, reporter=reporter)
    record = write_record(register, "html", settings.home / "record-of-processing.html")
    return MainJobResult(world_dir, report, len(register.purposes), record)
