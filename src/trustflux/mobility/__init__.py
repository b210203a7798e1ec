"""Anonymised mobility statistics: footfall, origin and movement.

The protect, extrapolate and publish stages are re-exported lazily (they import OpenDP,
Jinja2 and Parquet writers, which the engine stages do not need).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trustflux.mobility.budget import PrivacyBudget
    from trustflux.mobility.extrapolate import ExtrapolatedRelease, ExtrapolationConfig, extrapolate
    from trustflux.mobility.noise import NoiseSource, OpenDPNoise, SeededNoise
    from trustflux.mobility.protect import (
        ProtectedRelease,
        ProtectionConfig,
        protect,
        protect_subscribers,
    )
    from trustflux.mobility.public import ContributionBounds, PublicKeys
    from trustflux.mobility.release import publish_release
    from trustflux.mobility.report import render_report

_LAZY = {
    "PrivacyBudget": "budget",
    "ExtrapolatedRelease": "extrapolate",
    "ExtrapolationConfig": "extrapolate",
    "extrapolate": "extrapolate",
    "NoiseSource": "noise",
    "OpenDPNoise": "noise",
    "SeededNoise": "noise",
    "ProtectedRelease": "protect",
    "ProtectionConfig": "protect",
    "protect": "protect",
    "protect_subscribers": "protect",
    "ContributionBounds": "public",
    "PublicKeys": "public",
    "publish_release": "release",
    "render_report": "report",
}

__all__ = [
    "ContributionBounds",
    "ExtrapolatedRelease",
    "ExtrapolationConfig",
    "NoiseSource",
    "OpenDPNoise",
    "PrivacyBudget",
    "ProtectedRelease",
    "ProtectionConfig",
    "PublicKeys",
    "SeededNoise",
    "extrapolate",
    "protect",
    "protect_subscribers",
    "publish_release",
    "render_report",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"trustflux.mobility.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'trustflux.mobility' has no attribute {name!r}")
