"""Staff reads of one person's data go into the audit trail, so the person sees them.

The subscriber's own reads are not logged (they are the person); an agent's or the DPO's are,
with what was read. The account area lists these entries under "who accessed my data".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trustflux.accounts import Role
from trustflux.web.deps import Principal
from trustflux.web.services import Services

COMPLIANCE_PURPOSE = "privacy_compliance"


def record_staff_view(
    services: Services,
    principal: Principal,
    subject: str,
    what: str,
    *,
    purpose: str = COMPLIANCE_PURPOSE,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append ``staff.viewed_<what>`` about ``subject`` unless the reader is that subject."""
    if principal.role is Role.SUBSCRIBER and principal.subscriber_id == subject:
        return
    services.trail.append(
        principal.actor,
        f"staff.viewed_{what}",
        purpose=purpose,
        subject=subject,
        details={"role": principal.role.value, **(details or {})},
    )
