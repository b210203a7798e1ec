"""Statistics releases into the audit trail (called by the main job after a release)."""

from __future__ import annotations

from typing import Any

from trustflux.audit.entry import Entry
from trustflux.audit.trail import AuditTrail
from trustflux.config import Settings

STATISTICS_RELEASE = "statistics_release"
MOBILITY_PURPOSE = "mobility_statistics"


def release_details(metadata: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """Release id, period, the privacy budget spent (in total and per indicator) and counts.

    The trail keeps the budget itself, not a pointer to ``release.json``: a DPO or an auditor
    can check what each release spent even after its folder is gone.
    """
    privacy = metadata.get("privacy")
    privacy = privacy if isinstance(privacy, dict) else {}
    indicators = metadata.get("indicators")
    indicators = indicators if isinstance(indicators, dict) else {}
    return {
        "release_id": metadata.get("release_id"),
        "period": metadata.get("period"),
        "epsilon": privacy.get("epsilon"),
        "rho": privacy.get("rho"),
        "delta": privacy.get("delta"),
        "k": privacy.get("k"),
        "indicators": {
            str(name): {
                "rho": item.get("rho"),
                "epsilon": item.get("epsilon"),
                "threshold": item.get("threshold"),
            }
            for name, item in sorted(indicators.items())
            if isinstance(item, dict)
        },
        "counts": {str(k): int(v) for k, v in counts.items()},
    }


def record_release(
    trail: AuditTrail,
    metadata: dict[str, Any],
    counts: dict[str, int],
    *,
    actor: str,
    purpose: str = MOBILITY_PURPOSE,
) -> Entry:
    """One ``statistics_release`` entry."""
    details = release_details(metadata, counts)
    return trail.append(actor, STATISTICS_RELEASE, purpose=purpose, details=details)


def audit_release(
    settings: Settings, metadata: dict[str, Any], counts: dict[str, int], *, actor: str
) -> Entry:
    """Open the relational store of ``settings`` (migrating it) and record a release."""
    from trustflux.db import migrated_engine

    with migrated_engine(settings.sqlalchemy_url) as engine:
        return record_release(AuditTrail(engine), metadata, counts, actor=actor)
