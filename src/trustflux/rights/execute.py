"""Carrying out a verified request over every store, then answering it.

``execute_request`` moves the request to in_progress, runs its kind (an export, a correction,
an erasure, ledger records, a restriction) and completes it with a JSON-ready result that is
also the answer given to the person. A failure leaves it in progress with a
``rights_request.failed`` entry naming the error, so the DPO sees it and can run it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine

from trustflux.config import Settings
from trustflux.errors import RequestStateError, RightsError, TrustfluxError
from trustflux.ledger import Ledger
from trustflux.ledger.model import Choice, Event, Method
from trustflux.register import Register
from trustflux.rights.requests import (
    Channel,
    Kind,
    Request,
    RequestBook,
    Status,
    allowed_steps,
    objection_effect,
)

STORE_FAILURES = (duckdb.Error, pa.ArrowException, OSError)
"""What the engines raise on a damaged or unreadable store file: recorded, then a RightsError."""

RUNNABLE = frozenset({Status.VERIFIED, Status.EXTENDED, Status.IN_PROGRESS})
"""Verified (or extended) requests; in progress ones too, to run again after a failure."""

LEDGER_METHOD = {
    Channel.ACCOUNT: Method.ACCOUNT_AREA,
    Channel.AGENT: Method.CALL_CENTRE,
    Channel.WEB: Method.API,
    Channel.CLI: Method.CALL_CENTRE,
}
"""How an objection reached us, in the ledger's words (ISO/IEC TS 27560 collection method)."""

_LEDGER_ACTOR = re.compile(r"[^\w.:@+-]")


@dataclass(frozen=True)
class _Job:
    """What every kind's runner needs: the stores, the request, who runs it and when."""

    settings: Settings
    register: Register
    engine: Engine
    ledger: Ledger
    request: Request
    actor: str
    at: datetime


def execute_request(
    settings: Settings,
    register: Register,
    engine: Engine,
    book: RequestBook,
    ledger: Ledger,
    request_id: str,
    *,
    actor: str,
    at: datetime | None = None,
) -> Request:
    """Run the request and complete it with its result; re-raise (recorded) on failure."""
    request = book.get(request_id)
    if request.status not in RUNNABLE:
        nexts = ", ".join(allowed_steps(request.status)) or "none: the request is closed"
        hint = " (verify the requester first)" if request.status is Status.RECEIVED else ""
        raise RequestStateError(
            f"request {request_id} is {request.status.value}: cannot execute it{hint} "
            f"(allowed: {nexts})"
        )
    if request.status is not Status.IN_PROGRESS:
        request = book.start(request_id, actor=actor)
    moment = at or book.clock()
    try:
        job = _Job(settings, register, engine, ledger, request, actor, moment)
        result = _RUNNERS[request.kind](job)
    except TrustfluxError as exc:
        book.record_failure(request_id, error=f"{type(exc).__name__}: {exc}", actor=actor)
        raise
    except STORE_FAILURES as exc:  # a damaged or unreadable file in one of the stores
        error = f"a store could not be read or written: {exc}"
        book.record_failure(request_id, error=error, actor=actor)
        raise RightsError(
            f"request {request_id} failed and stays in progress (run it again once fixed): {error}"
        ) from exc
    answer = {"kind": request.kind.value, "article": request.kind.article, **result}
    return book.complete(request_id, result=answer, actor=actor)


def _over_stores(job: _Job, action: Callable[..., Any]) -> Any:
    """``action(settings, register, engine, subject, request_id=..., at=...)``: the exports
    and the erasure all take the stores, the person and the request the same way."""
    return action(
        job.settings,
        job.register,
        job.engine,
        job.request.subject_id,
        request_id=job.request.request_id,
        at=job.at,
    )


def _access(job: _Job) -> dict[str, Any]:
    from trustflux.rights.exports import export_access

    return {"export": _over_stores(job, export_access).as_dict()}


def _portability(job: _Job) -> dict[str, Any]:
    from trustflux.rights.exports import export_portability

    return {"export": _over_stores(job, export_portability).as_dict()}


def _rectification(job: _Job) -> dict[str, Any]:
    from trustflux.rights.rectify import rectify_contract

    changes = dict(job.request.details["changes"])
    result = rectify_contract(job.settings, job.request.subject_id, changes)
    return {"rectification": result.as_dict()}


def _erasure(job: _Job) -> dict[str, Any]:
    from trustflux.rights.erasure import erase_subject

    return {"erasure": _over_stores(job, erase_subject).as_dict()}


def _objection(job: _Job) -> dict[str, Any]:
    """Objections (opt-out purposes) and withdrawals (opt-in) through the ledger, so the gate
    applies them from now on. What is already in force is reported, not recorded twice."""
    request, at = job.request, job.at
    current = job.ledger.current(request.subject_id)
    method = LEDGER_METHOD[request.channel]
    who = _LEDGER_ACTOR.sub("_", job.actor)[:120]
    outcome: dict[str, str] = {}
    choices: list[Choice] = []
    for purpose in request.details["purposes"]:
        effect = objection_effect(job.register, purpose)
        latest = current.get(purpose)
        live = None if latest is None or latest.lapsed(at) else latest.event
        if effect == "objected" and live is Event.OBJECTED:
            outcome[purpose] = "already objected"
            continue
        if effect == "withdrawn" and live is not Event.GIVEN:
            outcome[purpose] = "no consent in force: nothing to withdraw"
            continue
        event = Event.OBJECTED if effect == "objected" else Event.WITHDRAWN
        choices.append(Choice(request.subject_id, purpose, event, method, actor=who))
        outcome[purpose] = event.value
    records = job.ledger.append_group(choices) if choices else []
    return {
        "purposes": outcome,
        "ledger_records": [record.record_id for record in records],
    }


def _restriction(job: _Job) -> dict[str, Any]:
    from trustflux.gate.governance import RESTRICTION_EXEMPT, restrict

    reason = str(job.request.details["reason"])
    restrict(
        job.engine,
        job.request.subject_id,
        reason=reason,
        request_id=job.request.request_id,
        at=job.at,
        actor=job.actor,
    )
    return {
        "restriction": {
            "restricted_at": job.at.isoformat(timespec="seconds"),
            "reason": reason,
            "still_allowed": sorted(RESTRICTION_EXEMPT),
            "note": "every purpose is stopped for this subscriber until the restriction is "
            "lifted; the data is stored, not processed (GDPR Art. 18(2))",
        }
    }


_RUNNERS: dict[Kind, Callable[[_Job], dict[str, Any]]] = {
    Kind.ACCESS: _access,
    Kind.PORTABILITY: _portability,
    Kind.RECTIFICATION: _rectification,
    Kind.ERASURE: _erasure,
    Kind.OBJECTION: _objection,
    Kind.RESTRICTION: _restriction,
}
