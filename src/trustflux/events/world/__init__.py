"""Synthetic operator world: input tables for ingestion and ground truth to check results.

``generate_world`` is what the CLI calls; ``build_world`` takes a full ``WorldParams``.
The model is described in ``docs/world.md``.
"""

from trustflux.events.world.generate import (
    GENERATOR,
    INPUT_TABLES,
    TRUTH_TABLES,
    WorldSummary,
    build_world,
    generate_world,
    plan_world,
)
from trustflux.events.world.params import WorldParams
from trustflux.events.world.tables import TRUTH_SCHEMAS

__all__ = [
    "GENERATOR",
    "INPUT_TABLES",
    "TRUTH_SCHEMAS",
    "TRUTH_TABLES",
    "WorldParams",
    "WorldSummary",
    "build_world",
    "generate_world",
    "plan_world",
]
