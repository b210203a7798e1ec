"""What the rights pages show about a data-subject request, in the page's language.

Shared by the DPO queue, the DPO's request page, the agent console and the subscriber's
"My rights" page, so they cannot describe the same request differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from trustflux.audit.entry import Entry
from trustflux.config import Settings
from trustflux.errors import RequestNotFoundError
from trustflux.register import Register
from trustflux.rights.requests import Kind, Request, Status, allowed_steps
from trustflux.web.i18n import Translator

KINDS = tuple(k.value for k in Kind)
STATUSES = tuple(s.value for s in Status)
EXPORT_KINDS = frozenset({Kind.ACCESS, Kind.PORTABILITY})


def request_view(request: Request, t: Translator, now: datetime) -> dict[str, Any]:
    """One request: labels, dates, days left and whether it is late, what can happen next."""
    days = request.days_left(now)
    overdue = request.overdue(now)
    if not request.is_open:
        due_text = ""
    elif overdue:
        due_text = t("rights.overdue", n=abs(days))
    else:
        due_text = t("rights.days_left", n=days)
    return {
        "id": request.request_id,
        "short_id": request.request_id[:8],
        "subject_id": request.subject_id,
        "kind": request.kind.value,
        "kind_label": t(f"kind.{request.kind.value}"),
        "article": request.kind.article,
        "status": request.status.value,
        "status_label": t(f"request_status.{request.status.value}"),
        "channel": request.channel.value,
        "channel_label": t(f"request_channel.{request.channel.value}"),
        "filed_by": request.filed_by,
        "details": dict(request.details),
        "received_at": request.received_at,
        "due_at": request.due_at,
        "days_left": days,
        "overdue": overdue,
        "due_text": due_text,
        "is_open": request.is_open,
        "verification": request.verification,
        "extension_reason": request.extension_reason,
        "refusal_reason": request.refusal_reason,
        "completed_at": request.completed_at,
        "result": dict(request.result or {}),
        "steps": allowed_steps(request.status),
        "has_export": export_path(request) is not None,
    }


def export_path(request: Request) -> Path | None:
    """The archive answering a completed access or portability request, if one was made
    (``execute_request`` puts it at ``result["export"]["path"]``)."""
    if request.kind not in EXPORT_KINDS or request.status is not Status.COMPLETED:
        return None
    export = (request.result or {}).get("export")
    if isinstance(export, dict) and isinstance(export.get("path"), str):
        return Path(export["path"])
    return None


def export_file(request: Request, settings: Settings) -> Path:
    """The export's file, only from inside the rights folder; 404 when it is not there."""
    path = export_path(request)
    if path is None:
        raise RequestNotFoundError(f"request {request.request_id} has no export to download")
    root = settings.rights_dir.resolve()
    resolved = (path if path.is_absolute() else root / path).resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise RequestNotFoundError(f"the export of request {request.request_id} is not available")
    return resolved


def step_views(entries: Iterable[Entry], t: Translator) -> list[dict[str, Any]]:
    """A request's steps from its audit entries (``rights_request.<step>``), oldest first."""
    steps = []
    for entry in entries:
        if not entry.action.startswith("rights_request."):
            continue  # e.g. a staff member viewing the request: in the trail, not a step
        step = entry.action.removeprefix("rights_request.")
        extra = {
            k: v
            for k, v in entry.details.items()
            if k not in ("request_id", "kind", "status") and v not in (None, "", [], {})
        }
        steps.append(
            {
                "seq": entry.seq,
                "at": entry.at,
                "actor": entry.actor,
                "step": step,
                "label": t(f"step.{step}") if f"step.{step}" in _STEP_KEYS else step,
                "extra": extra,
            }
        )
    return steps


_STEP_KEYS = frozenset(
    f"step.{s}"
    for s in ("filed", "verified", "started", "extended", "refused", "completed", "failed")
)


def erasure_keeps(register: Register, t: Translator) -> list[dict[str, str]]:
    """What an erasure keeps: every retention exception that names a store, with its ground."""
    kept = []
    for purpose in register.purposes:
        for exception in purpose.retention.exceptions:
            if exception.keeps:
                kept.append(
                    {
                        "what": exception.what.get(t.lang),
                        "period": t.duration(exception.period),
                        "legal_ground": exception.legal_ground,
                        "purpose": purpose.name.get(t.lang),
                    }
                )
    return kept
