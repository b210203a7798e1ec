"""The subscriber's account area: every purpose, its status, one-click switches, history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Role
from trustflux.errors import GateError, LedgerError, RecordNotFoundError
from trustflux.gate import Decision
from trustflux.ledger import Choice, Event, Method, Record
from trustflux.register import ConsentMechanism, Purpose
from trustflux.web.deps import CsrfChecked, Principal, ServicesDep, TranslatorDep, require
from trustflux.web.errors import status_of
from trustflux.web.i18n import Translator
from trustflux.web.render import render
from trustflux.web.routes.api import receipt_response
from trustflux.web.services import Services
from trustflux.web.views import is_cookie_purpose

router = APIRouter(tags=["pages"], include_in_schema=False)

SubscriberDep = Annotated[Principal, Depends(require(Role.SUBSCRIBER))]
Action = Literal["give", "withdraw", "object", "unobject"]
ACTION_EVENTS: dict[str, Event] = {
    "give": Event.GIVEN,
    "withdraw": Event.WITHDRAWN,
    "object": Event.OBJECTED,
    "unobject": Event.WITHDRAWN,
}


def account_purposes(services: Services) -> list[Purpose]:
    """Purposes shown in the account area: those about subscribers, except cookies."""
    return [
        p
        for p in services.register.purposes
        if "customer" in p.data_subjects and not is_cookie_purpose(p)
    ]


def _row(
    purpose: Purpose, decision: Decision, latest: Record | None, t: Translator
) -> dict[str, Any]:
    name = purpose.name.get(t.lang)
    mechanism = purpose.consent_mechanism
    switch: dict[str, str] | None = None
    on = decision.allow
    when = t.date(latest.occurred_at) if latest else ""
    code = decision.code
    if code == "dpia_not_cleared":
        status = t("status.blocked")
    elif mechanism is ConsentMechanism.NOTICE_ONLY:
        status = t("status.always")
    elif code == "consent_given":
        status = t("status.consent_given", date=when)
    elif code == "no_consent":
        status = t("status.no_consent")
    elif code == "consent_expired":
        expiry = latest.expires_at if latest else None
        status = t("status.consent_expired", date=t.date(expiry))
    elif code.startswith("consent_"):
        status = t("status.consent_off", date=when)
    elif code == "objected":
        status = t("status.objected", date=when)
    elif latest is not None and latest.event is Event.WITHDRAWN:
        status = t("status.objection_withdrawn", date=when)
    else:
        status = t("status.no_objection")
    if mechanism is ConsentMechanism.OPT_IN:
        given = latest is not None and latest.event is Event.GIVEN and code != "consent_expired"
        on = given
        action = "withdraw" if given else "give"
        switch = {"action": action, "label": t(f"switch.{action}", purpose=name)}
    elif mechanism is ConsentMechanism.OPT_OUT:
        objected = code == "objected"
        on = not objected
        action = "unobject" if objected else "object"
        switch = {"action": action, "label": t(f"switch.{action}", purpose=name)}
    return {
        "purpose": purpose,
        "name": name,
        "description": purpose.description.get(t.lang),
        "status": status,
        "on": on,
        "switch": switch,
        "basis": t(f"basis.{purpose.lawful_basis.value}"),
    }


def _account_context(services: Services, subscriber_id: str, t: Translator) -> dict[str, Any]:
    purposes = account_purposes(services)
    decisions = services.gate.decide_many([(subscriber_id, p.id, None) for p in purposes])
    current = services.ledger.current(subscriber_id)
    rows = []
    for purpose, decision in zip(purposes, decisions, strict=True):
        if isinstance(decision, GateError):
            raise decision
        rows.append(_row(purpose, decision, current.get(purpose.id), t))
    history = list(reversed(services.ledger.history(subscriber_id)))
    names = {p.id: p.name.get(t.lang) for p in services.register.purposes}
    audit = services.ledger.audit
    accesses = list(reversed(audit.entries(subject=subscriber_id))) if audit else []
    return {
        "rows": rows,
        "history": history,
        "accesses": accesses,
        "purpose_names": names,
        "subscriber_id": subscriber_id,
    }


@router.get("/account")
def account(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: SubscriberDep,
    saved: str | None = None,
) -> Response:
    subscriber_id = principal.subscriber_id or ""
    context = _account_context(services, subscriber_id, t)
    context["saved"] = saved if saved in services.register.purpose_ids else None
    context["error"] = None
    return render(request, services, t, principal, "account.html.j2", context)


@router.post("/account/choices", dependencies=[CsrfChecked])
async def change_choice(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: SubscriberDep,
    purpose: Annotated[str, Form(max_length=64)],
    action: Annotated[Action, Form()],
) -> Response:
    subscriber_id = principal.subscriber_id or ""
    choice = Choice(
        subject=subscriber_id,  # always the signed-in subscriber, never a form field
        purpose=purpose,
        event=ACTION_EVENTS[action],
        method=Method.ACCOUNT_AREA,
        language=t.lang,
        actor=principal.actor,
    )
    outcome = await services.writes.submit([choice])
    if isinstance(outcome, LedgerError):
        context = await run_in_threadpool(_account_context, services, subscriber_id, t)
        context["saved"] = None
        context["error"] = str(outcome)
        return render(
            request,
            services,
            t,
            principal,
            "account.html.j2",
            context,
            status_code=status_of(outcome),
        )
    return RedirectResponse(
        f"/account?lang={t.lang}&saved={purpose}#purpose-{purpose}", status_code=303
    )


@router.get("/account/receipts/{record_id}")
def account_receipt(
    record_id: str, services: ServicesDep, t: TranslatorDep, principal: SubscriberDep
) -> Response:
    record = services.ledger.record(record_id)
    if record.subject != principal.subscriber_id:
        raise RecordNotFoundError(f"no record {record_id}")
    return receipt_response(services, record, t.lang)
