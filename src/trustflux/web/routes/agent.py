"""The customer-service agent's console: tickets, the audited gateway diagnosis (open ticket
and stated reason), and rights requests filed on the subscriber's behalf (verified by a code
sent to the subscriber's phone, read out by the subscriber)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Role
from trustflux.errors import (
    NotEligibleError,
    PermissionDeniedError,
    RequestNotFoundError,
    RightsError,
    TicketError,
    TrustfluxError,
)
from trustflux.operations.tickets import Ticket, view_diagnosis
from trustflux.rights.otp import check_code, issue_code, latest_challenge, sender_for
from trustflux.rights.requests import Channel, Status
from trustflux.web.access_log import record_staff_view
from trustflux.web.deps import CsrfChecked, Principal, ServicesDep, TranslatorDep, require
from trustflux.web.errors import status_of
from trustflux.web.i18n import Translator
from trustflux.web.render import render
from trustflux.web.rights_views import request_view
from trustflux.web.routes.rights import KindField, objectable, request_details
from trustflux.web.services import Services

router = APIRouter(tags=["pages"], include_in_schema=False)

AgentDep = Annotated[Principal, Depends(require(Role.AGENT))]


def _mine(
    services: Services, principal: Principal, ticket_id: str, *, open_only: bool = False
) -> Ticket:
    """The ticket, if this agent opened it (another agent's ticket is theirs to use); with
    ``open_only``, only while it is open (a closed ticket acts for nobody any more)."""
    ticket = services.desk.get(ticket_id)
    if ticket.opened_by != principal.actor:
        raise PermissionDeniedError(f"ticket {ticket_id} was opened by another agent")
    if open_only and not ticket.is_open:
        raise TicketError(f"ticket {ticket_id} is closed: open a new one with the subscriber")
    return ticket


def _ticket_context(
    services: Services, ticket: Ticket, t: Translator, **extra: Any
) -> dict[str, Any]:
    now = services.clock()
    requests = []
    # A closed ticket no longer shows the subscriber's requests.
    found_requests = services.book.for_subject(ticket.subscriber_id) if ticket.is_open else []
    for found in found_requests:
        view = request_view(found, t, now)
        challenge = (
            latest_challenge(services.engine, found.request_id)
            if found.status is Status.RECEIVED
            else None
        )
        view["code_sent_to"] = challenge.contact_hint if challenge else None
        requests.append(view)
    context: dict[str, Any] = {
        "ticket": ticket,
        "requests": requests,
        "purposes": objectable(services, t),
        "diagnosis": None,
        "reason": "",
        "error": None,
        "notice": None,
    }
    context.update(extra)
    return context


def _refused(
    request: Request,
    services: Services,
    t: Translator,
    principal: Principal,
    ticket: Ticket,
    error: TrustfluxError,
    **extra: Any,
) -> Response:
    """The ticket page again, with the refusal's reason and its status code."""
    return _ticket_page(
        request,
        services,
        t,
        principal,
        ticket,
        status_code=status_of(error),
        error=str(error),
        **extra,
    )


def _ticket_page(
    request: Request,
    services: Services,
    t: Translator,
    principal: Principal,
    ticket: Ticket,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = _ticket_context(services, ticket, t, **extra)
    if context["requests"]:  # the subscriber's requests, read by staff: in their trail
        record_staff_view(
            services,
            principal,
            ticket.subscriber_id,
            "requests",
            details={"ticket_id": ticket.ticket_id, "requests": len(context["requests"])},
        )
    return render(
        request, services, t, principal, "agent_ticket.html.j2", context, status_code=status_code
    )


@router.get("/agent")
def console(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: AgentDep
) -> Response:
    mine = [x for x in services.desk.list(open_only=True) if x.opened_by == principal.actor]
    context = {"tickets": list(reversed(mine)), "error": None}
    return render(request, services, t, principal, "agent.html.j2", context)


@router.post("/agent/tickets", dependencies=[CsrfChecked])
async def open_ticket(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: AgentDep,
    subscriber_id: Annotated[str, Form(min_length=1, max_length=64)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        ticket = await run_in_threadpool(
            services.desk.open, subscriber_id, reason=reason, agent=principal.actor
        )
    except TicketError as error:
        mine = [x for x in services.desk.list(open_only=True) if x.opened_by == principal.actor]
        context = {"tickets": list(reversed(mine)), "error": str(error)}
        return render(
            request,
            services,
            t,
            principal,
            "agent.html.j2",
            context,
            status_code=status_of(error),
        )
    return RedirectResponse(f"/agent/tickets/{ticket.ticket_id}?lang={t.lang}", status_code=303)


@router.get("/agent/tickets/{ticket_id}")
def ticket_page(
    ticket_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: AgentDep,
    done: str | None = None,
) -> Response:
    ticket = _mine(services, principal, ticket_id)
    notice = t(f"agent.done.{done}") if done in AGENT_DONE else None
    return _ticket_page(request, services, t, principal, ticket, notice=notice)


AGENT_DONE = frozenset({"filed", "code_sent", "verified"})


@router.post("/agent/tickets/{ticket_id}/close", dependencies=[CsrfChecked])
def close_ticket(
    ticket_id: str, services: ServicesDep, t: TranslatorDep, principal: AgentDep
) -> Response:
    _mine(services, principal, ticket_id)
    services.desk.close(ticket_id, agent=principal.actor)
    return RedirectResponse(f"/agent?lang={t.lang}", status_code=303)


@router.post("/agent/tickets/{ticket_id}/diagnosis", dependencies=[CsrfChecked])
async def diagnosis(
    ticket_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: AgentDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ticket = _mine(services, principal, ticket_id)
    try:
        found = await run_in_threadpool(
            view_diagnosis,
            services.settings,
            services.desk,
            services.gate,
            ticket_id,
            agent=principal.actor,
            reason=reason,
        )
    except (TicketError, NotEligibleError) as error:
        return _refused(request, services, t, principal, ticket, error, reason=reason)
    return _ticket_page(
        request, services, t, principal, ticket, diagnosis=found.as_dict(), reason=reason
    )


# -- rights requests on the subscriber's behalf -------------------------------------------------
@router.post("/agent/tickets/{ticket_id}/requests", dependencies=[CsrfChecked])
async def file_for_subscriber(
    ticket_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: AgentDep,
    kind: Annotated[KindField, Form()],
    billing_zone_id: Annotated[str | None, Form(max_length=64)] = None,
    age_bracket: Annotated[str | None, Form(max_length=16)] = None,
    purposes: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
    confirm: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    ticket = _mine(services, principal, ticket_id, open_only=True)
    try:
        details = request_details(
            kind,
            billing_zone_id=billing_zone_id,
            age_bracket=age_bracket,
            purposes=purposes,
            reason=reason,
            confirm=confirm,
        )
        await run_in_threadpool(
            services.book.file,
            ticket.subscriber_id,  # the ticket's subscriber, never a form field
            kind,
            channel=Channel.AGENT,
            filed_by=principal.actor,
            details=details,
        )
    except RightsError as error:
        return _refused(request, services, t, principal, ticket, error)
    return _back(ticket_id, t, "filed")


def _back(ticket_id: str, t: Translator, done: str) -> Response:
    return RedirectResponse(
        f"/agent/tickets/{ticket_id}?lang={t.lang}&done={done}#requests", status_code=303
    )


def _ticket_request(services: Services, ticket: Ticket, request_id: str) -> None:
    found = services.book.get(request_id)
    if found.subject_id != ticket.subscriber_id:
        raise RequestNotFoundError(f"no request {request_id!r} for the ticket's subscriber")


@router.post("/agent/tickets/{ticket_id}/requests/{request_id}/code", dependencies=[CsrfChecked])
async def send_code(
    ticket_id: str,
    request_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: AgentDep,
) -> Response:
    ticket = _mine(services, principal, ticket_id, open_only=True)
    _ticket_request(services, ticket, request_id)
    try:
        await run_in_threadpool(
            issue_code,
            services.engine,
            services.book,
            services.settings,
            request_id,
            sender_for(services.settings),
        )
    except RightsError as error:
        return _refused(request, services, t, principal, ticket, error)
    return _back(ticket_id, t, "code_sent")


@router.post("/agent/tickets/{ticket_id}/requests/{request_id}/verify", dependencies=[CsrfChecked])
async def verify_code(
    ticket_id: str,
    request_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: AgentDep,
    code: Annotated[str, Form(max_length=12)],
) -> Response:
    ticket = _mine(services, principal, ticket_id, open_only=True)
    _ticket_request(services, ticket, request_id)
    try:
        await run_in_threadpool(
            check_code, services.engine, services.book, services.settings, request_id, code
        )
    except RightsError as error:
        return _refused(request, services, t, principal, ticket, error)
    return _back(ticket_id, t, "verified")
