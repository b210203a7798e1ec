"""Data-subject requests from the people concerned: "My rights" in the account area (verified
by the session) and the public form (verified by a one-time code sent to the number on file)."""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Role
from trustflux.errors import (
    ErasedSubjectError,
    RequestNotFoundError,
    RightsError,
    VerificationError,
)
from trustflux.rights.otp import check_code, issue_code, sender_for
from trustflux.rights.requests import Channel, Kind, Status
from trustflux.rights.requests import Request as RightsRequest
from trustflux.rights.subjects import find_by_msisdn
from trustflux.web.deps import (
    CsrfChecked,
    OptionalPrincipal,
    Principal,
    Public,
    ServicesDep,
    TranslatorDep,
    require,
)
from trustflux.web.errors import status_of
from trustflux.web.i18n import Translator
from trustflux.web.render import render
from trustflux.web.rights_views import KINDS, erasure_keeps, export_file, request_view
from trustflux.web.routes.account import account_purposes
from trustflux.web.services import Services

router = APIRouter(tags=["pages"], include_in_schema=False)

SubscriberDep = Annotated[Principal, Depends(require(Role.SUBSCRIBER))]
KindField = Literal["access", "portability", "rectification", "erasure", "objection", "restriction"]
PublicKind = Literal["access", "portability", "erasure"]
PUBLIC_KINDS = ("access", "portability", "erasure")
CODE_SEAL = "rights-code"
CODE_SEAL_SECONDS = 3600
NO_REQUEST = "-"
PENDING_REUSE = timedelta(hours=1)
"""A public-form request still waiting for its code is reused for this long."""


# -- shared: the details of each kind from a form ----------------------------------------------
def request_details(
    kind: str,
    *,
    billing_zone_id: str | None = None,
    age_bracket: str | None = None,
    purposes: list[str] | None = None,
    reason: str | None = None,
    confirm: str | None = None,
) -> dict[str, Any]:
    """The ``details`` of a request from form fields; ``RightsError`` names what is missing."""
    if kind == Kind.RECTIFICATION:
        changes = {
            field: value.strip()
            for field, value in (("billing_zone_id", billing_zone_id), ("age_bracket", age_bracket))
            if value and value.strip()
        }
        return {"changes": changes}
    if kind == Kind.OBJECTION:
        return {"purposes": list(purposes or [])}
    if kind == Kind.RESTRICTION:
        return {"reason": reason or ""}
    if kind == Kind.ERASURE and confirm != "yes":
        raise RightsError("erasure: tick the box to confirm you understand what it does")
    return {}


def objectable(services: Services, t: Translator) -> list[dict[str, str]]:
    """Purposes a subscriber can object to (or withdraw consent from) in a request."""
    return [
        {"id": p.id, "name": p.name.get(t.lang), "mechanism": p.consent_mechanism.value}
        for p in account_purposes(services)
        if p.consent_mechanism.value in ("opt_in", "opt_out")
    ]


# -- "My rights" in the account area -------------------------------------------------------------
def _my_rights_context(
    services: Services, principal: Principal, t: Translator, error: str | None = None
) -> dict[str, Any]:
    subscriber_id = principal.subscriber_id or ""
    now = services.clock()
    requests = [request_view(r, t, now) for r in services.book.for_subject(subscriber_id)]
    return {
        "requests": requests,
        "kinds": KINDS,
        "purposes": objectable(services, t),
        "keeps": erasure_keeps(services.register, t),
        "subscriber_id": subscriber_id,
        "error": error,
        "export_base": "/account/rights/requests/",
        "filed": None,
    }


@router.get("/account/rights")
def my_rights(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: SubscriberDep,
    filed: str | None = None,
) -> Response:
    context = _my_rights_context(services, principal, t)
    context["filed"] = next((r for r in context["requests"] if r["id"] == filed), None)
    return render(request, services, t, principal, "my_rights.html.j2", context)


@router.post("/account/rights", dependencies=[CsrfChecked])
async def file_my_request(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: SubscriberDep,
    kind: Annotated[KindField, Form()],
    billing_zone_id: Annotated[str | None, Form(max_length=64)] = None,
    age_bracket: Annotated[str | None, Form(max_length=16)] = None,
    purposes: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
    confirm: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    try:
        details = request_details(
            kind,
            billing_zone_id=billing_zone_id,
            age_bracket=age_bracket,
            purposes=purposes,
            reason=reason,
            confirm=confirm,
        )
        filed = await run_in_threadpool(
            services.book.file,
            principal.subscriber_id or "",  # always the signed-in subscriber, never a field
            kind,
            channel=Channel.ACCOUNT,
            filed_by=principal.actor,
            details=details,
        )
    except RightsError as error:
        context = await run_in_threadpool(_my_rights_context, services, principal, t, str(error))
        return render(
            request,
            services,
            t,
            principal,
            "my_rights.html.j2",
            context,
            status_code=status_of(error),
        )
    return RedirectResponse(
        f"/account/rights?lang={t.lang}&filed={filed.request_id}#my-requests", status_code=303
    )


@router.get("/account/rights/requests/{request_id}/export")
def my_export(request_id: str, services: ServicesDep, principal: SubscriberDep) -> Response:
    found = services.book.get(request_id)
    if found.subject_id != principal.subscriber_id:  # another person's request: not found
        raise RequestNotFoundError(f"no data-subject request {request_id!r}")
    path = export_file(found, services.settings)
    return FileResponse(path, media_type="application/zip", filename=path.name)


# -- the public form: phone number, one-time code ----------------------------------------------
@router.get("/rights/request", dependencies=[Public])
def public_form(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: OptionalPrincipal
) -> Response:
    context = {"kinds": PUBLIC_KINDS, "keeps": erasure_keeps(services.register, t), "error": None}
    return render(request, services, t, principal, "rights_request.html.j2", context)


@router.post("/rights/request", dependencies=[Public, CsrfChecked])
async def public_file(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: OptionalPrincipal,
    msisdn: Annotated[str, Form(min_length=6, max_length=20, pattern=r"^\+?[0-9 ]+$")],
    kind: Annotated[PublicKind, Form()],
    confirm: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    if kind == "erasure" and confirm != "yes":
        context: dict[str, Any] = {
            "kinds": PUBLIC_KINDS,
            "keeps": erasure_keeps(services.register, t),
            "error": t("rights.public.confirm_needed"),
        }
        return render(
            request,
            services,
            t,
            principal,
            "rights_request.html.j2",
            context,
            status_code=422,
        )
    request_id = await run_in_threadpool(_file_and_send, services, msisdn.replace(" ", ""), kind)
    # The same answer whether or not the number is a subscriber's: the form tells nobody who
    # is a customer. Without a request, the code page accepts no code.
    sealed = services.signer.seal(request_id or f"{NO_REQUEST}{secrets.token_hex(8)}", CODE_SEAL)
    page: dict[str, Any] = {"sealed": sealed, "error": None, "verified": None}
    return render(request, services, t, principal, "rights_code.html.j2", page)


def _file_and_send(services: Services, msisdn: str, kind: str) -> str | None:
    try:
        subject = find_by_msisdn(services.settings, msisdn)
    except (RequestNotFoundError, ErasedSubjectError):
        return None
    filed = _pending_web_request(services, subject.subscriber_id, kind) or services.book.file(
        subject.subscriber_id, kind, channel=Channel.WEB, filed_by="web:public-form"
    )
    # Too many codes to this number this hour: the same page, so nobody learns it is ours.
    with suppress(VerificationError):
        issue_code(
            services.engine,
            services.book,
            services.settings,
            filed.request_id,
            sender_for(services.settings),
        )
    return filed.request_id


def _pending_web_request(services: Services, subject_id: str, kind: str) -> RightsRequest | None:
    """The same kind of request from the public form, filed within the hour and still waiting
    for its code: sending the form again reuses it (a new code), so repeating it cannot fill
    the DPO's queue with requests nobody confirmed."""
    since = services.clock() - PENDING_REUSE
    for pending in services.book.for_subject(subject_id):
        if (
            pending.channel is Channel.WEB
            and pending.kind.value == kind
            and pending.status is Status.RECEIVED
            and pending.received_at >= since
        ):
            return pending
    return None


@router.post("/rights/request/verify", dependencies=[Public, CsrfChecked])
async def public_verify(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: OptionalPrincipal,
    sealed: Annotated[str, Form(max_length=400)],
    code: Annotated[str, Form(max_length=12)],
) -> Response:
    request_id = services.signer.unseal(sealed, CODE_SEAL, CODE_SEAL_SECONDS)
    try:
        if request_id is None:
            raise VerificationError("this form has expired: start again")
        if request_id.startswith(NO_REQUEST):
            raise VerificationError("wrong code")
        verified = await run_in_threadpool(
            check_code,
            services.engine,
            services.book,
            services.settings,
            request_id,
            code,
        )
    except VerificationError:
        # One answer for every refusal (wrong, spent, expired or no code, or no request
        # behind the form): the attempts left would tell a customer's number from another.
        why = t("rights.code.expired" if request_id is None else "rights.code.wrong")
        failed: dict[str, Any] = {"sealed": sealed, "error": why, "verified": None}
        return render(
            request, services, t, principal, "rights_code.html.j2", failed, status_code=422
        )
    context: dict[str, Any] = {
        "sealed": sealed,
        "error": None,
        "verified": request_view(verified, t, services.clock()),
    }
    return render(request, services, t, principal, "rights_code.html.j2", context)
