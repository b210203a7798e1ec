"""The DPO workspace: rights-request queue, Art. 30 register and DPIA approvals, consent rates,
processing runs and statistics releases. Every route needs the DPO role."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from trustflux.accounts import Role
from trustflux.errors import RecordNotFoundError, TrustfluxError
from trustflux.register import RecordFormat, render_record
from trustflux.rights.execute import execute_request
from trustflux.rights.otp import sender_for, tell_decision
from trustflux.rights.requests import Method
from trustflux.rights.requests import Request as RightsRequest
from trustflux.web import oversight
from trustflux.web.access_log import record_staff_view
from trustflux.web.deps import CsrfChecked, Principal, ServicesDep, TranslatorDep, require
from trustflux.web.render import render
from trustflux.web.rights_views import (
    KINDS,
    STATUSES,
    export_file,
    request_view,
    step_views,
)

router = APIRouter(tags=["pages"], include_in_schema=False)

DpoDep = Annotated[Principal, Depends(require(Role.DPO))]
Verification = Literal["id_document", "in_person", "otp_sms"]
RECORD_TYPES = {
    RecordFormat.CSV: "text/csv; charset=utf-8",
    RecordFormat.JSON: "application/json",
    RecordFormat.HTML: "text/html; charset=utf-8",
}


# -- the queue of rights requests -------------------------------------------------------------
@router.get("/dpo")
def queue_page(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    status: str | None = None,
    kind: str | None = None,
) -> Response:
    now = services.clock()
    items = services.book.queue(now)
    status = status if status in STATUSES else None
    kind = kind if kind in KINDS else None
    views = [
        request_view(item.request, t, now)
        for item in items
        if (status is None or item.request.status.value == status)
        and (kind is None or item.request.kind.value == kind)
    ]
    context = {
        "requests": views,
        "total": len(items),
        "overdue": sum(1 for item in items if item.overdue),
        "status": status,
        "kind": kind,
        "statuses": [s for s in STATUSES if s not in ("completed", "refused")],
        "kinds": KINDS,
    }
    return render(request, services, t, principal, "dpo_queue.html.j2", context)


@router.get("/dpo/requests/{request_id}")
def request_page(
    request_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    done: str | None = None,
    told: int | None = None,
) -> Response:
    found = services.book.get(request_id)
    record_staff_view(
        services, principal, found.subject_id, "request", details={"request_id": request_id}
    )
    entries = oversight.entries_for_subject(
        services.engine, found.subject_id, "request_id", request_id
    )
    context = {
        "r": request_view(found, t, services.clock()),
        "steps": step_views(entries, t),
        "done": done if done in oversight.STEP_NAMES else None,
        "told": None if told is None else bool(told),
        "export_base": "/dpo/requests/",
    }
    return render(request, services, t, principal, "dpo_request.html.j2", context)


def _back(request_id: str, t: TranslatorDep, done: str, told: bool | None = None) -> Response:
    told_part = "" if told is None else f"&told={int(told)}"
    return RedirectResponse(
        f"/dpo/requests/{request_id}?lang={t.lang}&done={done}{told_part}", status_code=303
    )


@router.post("/dpo/requests/{request_id}/verify", dependencies=[CsrfChecked])
def verify_request(
    request_id: str,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    method: Annotated[Verification, Form()],
) -> Response:
    services.book.verify(request_id, method=Method(method), actor=principal.actor)
    return _back(request_id, t, "verify")


@router.post("/dpo/requests/{request_id}/start", dependencies=[CsrfChecked])
def start_request(
    request_id: str, services: ServicesDep, t: TranslatorDep, principal: DpoDep
) -> Response:
    services.book.start(request_id, actor=principal.actor)
    return _back(request_id, t, "start")


@router.post("/dpo/requests/{request_id}/execute", dependencies=[CsrfChecked])
def execute(
    request_id: str, services: ServicesDep, t: TranslatorDep, principal: DpoDep
) -> Response:
    execute_request(
        services.settings,
        services.register,
        services.engine,
        services.book,
        services.ledger,
        request_id,
        actor=principal.actor,
    )
    return _back(request_id, t, "execute")


@router.post("/dpo/requests/{request_id}/extend", dependencies=[CsrfChecked])
def extend_request(
    request_id: str,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    months: Annotated[int, Form(ge=1, le=2)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    extended = services.book.extend(request_id, months=months, reason=reason, actor=principal.actor)
    return _back(request_id, t, "extend", told=_tell(services, extended, principal.actor))


@router.post("/dpo/requests/{request_id}/refuse", dependencies=[CsrfChecked])
def refuse_request(
    request_id: str,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    refused = services.book.refuse(request_id, reason=reason, actor=principal.actor)
    return _back(request_id, t, "refuse", told=_tell(services, refused, principal.actor))


def _tell(services: ServicesDep, request: RightsRequest, actor: str) -> bool:
    """Tell the person about the extension or refusal; the step stands even if that fails,
    and the page then asks the DPO to tell them another way."""
    try:
        tell_decision(
            services.settings,
            services.book,
            request,
            sender_for(services.settings),
            authority=services.register.supervisory_authority.name,
            actor=actor,
        )
    except TrustfluxError:
        return False
    return True


@router.get("/dpo/requests/{request_id}/export")
def request_export(request_id: str, services: ServicesDep, principal: DpoDep) -> Response:
    found = services.book.get(request_id)
    path = export_file(found, services.settings)
    record_staff_view(
        services, principal, found.subject_id, "export", details={"request_id": request_id}
    )
    return FileResponse(path, media_type="application/zip", filename=path.name)


# -- the register and the DPIA decisions -------------------------------------------------------
@router.get("/dpo/register")
def register_page(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    saved: str | None = None,
) -> Response:
    rows = oversight.register_rows(services, t)
    saved = saved if saved in services.register.purpose_ids else None
    return render(
        request, services, t, principal, "dpo_register.html.j2", {"rows": rows, "saved": saved}
    )


@router.post("/dpo/register/{purpose_id}/dpia", dependencies=[CsrfChecked])
def decide_dpia(
    purpose_id: str,
    services: ServicesDep,
    t: TranslatorDep,
    principal: DpoDep,
    decision: Annotated[Literal["approved", "rejected"], Form()],
    note: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    if purpose_id not in services.register.purpose_ids:
        raise RecordNotFoundError(f"no purpose {purpose_id!r}")
    oversight.decide_dpia(services, purpose_id, decision, actor=principal.actor, note=note)
    return RedirectResponse(
        f"/dpo/register?lang={t.lang}&saved={purpose_id}#dpia-{purpose_id}", status_code=303
    )


@router.get("/dpo/register/export.{fmt}")
def register_export(fmt: RecordFormat, services: ServicesDep, principal: DpoDep) -> Response:
    return Response(
        render_record(services.register, fmt),
        media_type=RECORD_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="art30-record.{fmt.value}"'},
    )


@router.get("/dpo/consents")
def consents_page(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: DpoDep
) -> Response:
    today = services.clock().date()
    purposes = tuple(
        p.id
        for p in services.register.purposes
        if p.consent_mechanism.value != "notice_only" and "customer" in p.data_subjects
    )
    rates = oversight.consent_rates(services.engine, purposes, today)
    names = {p.id: p.name.get(t.lang) for p in services.register.purposes}
    mechanisms = {p.id: p.consent_mechanism.value for p in services.register.purposes}
    context = {
        "rates": rates,
        "names": names,
        "mechanisms": mechanisms,
        "events": oversight.EVENTS,
        "today": today,
    }
    return render(request, services, t, principal, "dpo_consents.html.j2", context)


@router.get("/dpo/runs")
def runs_page(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: DpoDep, page: int = 1
) -> Response:
    found = oversight.job_runs(services.engine, page)
    names = {p.id: p.name.get(t.lang) for p in services.register.purposes}
    context = {"found": found, "names": names}
    return render(request, services, t, principal, "dpo_runs.html.j2", context)


@router.get("/dpo/releases")
def releases_page(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: DpoDep, page: int = 1
) -> Response:
    found = oversight.releases(services.engine, page)
    context = {"found": found, "budgets": [oversight.release_budget(e) for e in found.entries]}
    return render(request, services, t, principal, "dpo_releases.html.j2", context)
