"""The cookie banner's server side: its script, its configuration and the visitor's choices.

A visitor gets an anonymous id (``visitor:`` + 32 hex digits) and a token proving it, both kept
by the banner in a first-party cookie on the operator's site; choices are written to the ledger
under that id with a six-month expiry, after which the banner asks again. A Global Privacy
Control signal (``Sec-GPC: 1`` or ``navigator.globalPrivacyControl``) is recorded as a refusal
of every advertising purpose, whatever else is clicked.
"""

from __future__ import annotations

import uuid
from functools import cache
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from trustflux.errors import InvalidRecordError, LedgerError, PermissionDeniedError
from trustflux.ledger import (
    VISITOR_PREFIX,
    Choice,
    Event,
    Method,
    Record,
    SubjectKind,
    subject_kind,
)
from trustflux.ledger.notices import notice_text, text_hash
from trustflux.register import ConsentMechanism, Duration, Purpose
from trustflux.web.deps import LanguageDep, Public, ServicesDep, TranslatorDep
from trustflux.web.messages import MESSAGES
from trustflux.web.routes.api import receipt_response
from trustflux.web.schemas import BannerChoicesIn, BannerChoicesOut, ErrorPublic
from trustflux.web.services import Services
from trustflux.web.views import is_advertising, is_cookie_purpose

router = APIRouter(tags=["banner"], dependencies=[Public])

CHOICE_VALIDITY = Duration(months=6)
"""How long a banner choice holds before the banner asks again (CNIL: six months)."""


@cache
def _script() -> bytes:
    return (files("trustflux.web") / "static" / "banner.js").read_bytes()


@router.get("/banner.js", include_in_schema=False)
def banner_script() -> Response:
    return Response(
        _script(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "max-age=300"},
    )


def _site_purposes(services: Services, site: str) -> list[Purpose]:
    """The banner's purposes on a site: those that set cookies there (the register says which)."""
    return [p for p in services.register.purposes_for(site) if is_cookie_purpose(p)]


@router.get("/banner/v1/config", summary="Texts and purposes the banner shows on a site")
def banner_config(
    services: ServicesDep,
    t: TranslatorDep,
    site: Annotated[str, Query(max_length=120)] = "website:fluxtel.example",
) -> dict[str, Any]:
    purposes = _site_purposes(services, site)
    if not purposes:
        raise InvalidRecordError(f"no purpose applies to site {site!r}")
    lang = t.lang
    return {
        "site": site,
        "language": lang,
        "ask_again_months": CHOICE_VALIDITY.months,
        "policy_url": f"{services.base_url}/transparency?lang={lang}",
        "purposes": [
            {
                "id": p.id,
                "name": p.name.get(lang),
                "description": p.description.get(lang),
                "mechanism": p.consent_mechanism.value,
                "required": p.consent_mechanism is ConsentMechanism.NOTICE_ONLY,
                "advertising": is_advertising(p),
                "notice_version": p.notice_version,
                "notice_hash": text_hash(notice_text(p, lang)),
                "cookies": [c.name for c in p.cookies],
                "page": f"{services.base_url}/transparency/{p.id}?lang={lang}",
            }
            for p in purposes
        ],
        "texts": {
            key.removeprefix("banner."): value[lang]
            for key, value in MESSAGES.items()
            if key.startswith("banner.")
        },
    }


@router.post(
    "/banner/v1/choices",
    response_model=BannerChoicesOut,
    responses={code: {"model": ErrorPublic} for code in (403, 409, 422)},
    summary="Record a visitor's banner choices (one group: all or nothing)",
)
async def banner_choices(
    body: BannerChoicesIn, request: Request, services: ServicesDep
) -> dict[str, Any]:
    offered = {
        p.id: p
        for p in _site_purposes(services, body.site)
        if p.consent_mechanism is not ConsentMechanism.NOTICE_ONLY
    }
    if not offered:
        raise InvalidRecordError(f"no choice is offered on site {body.site!r}")
    visitor_id = _visitor(services, body.visitor_id, body.visitor_token)
    gpc = body.gpc or request.headers.get("sec-gpc", "").strip() == "1"
    now = services.ledger.clock()
    expires_at = CHOICE_VALIDITY.after(now)
    current: dict[str, Record] = (
        await run_in_threadpool(services.ledger.current, visitor_id) if body.visitor_id else {}
    )
    seen: set[str] = set()
    group: list[Choice] = []
    accepted_by_purpose: dict[str, bool] = {}
    for item in body.choices:
        purpose = offered.get(item.purpose)
        if purpose is None:
            raise InvalidRecordError(
                f"purpose {item.purpose!r} is not a choice on {body.site} "
                f"(choices: {', '.join(sorted(offered))})"
            )
        if purpose.id in seen:
            raise InvalidRecordError(f"purpose {purpose.id} is given twice")
        seen.add(purpose.id)
        forced = gpc and is_advertising(purpose)
        accepted = item.accepted and not forced
        accepted_by_purpose[purpose.id] = accepted
        group.append(
            Choice(
                subject=visitor_id,
                purpose=purpose.id,
                event=_event(purpose, accepted, current.get(purpose.id), now),
                method=Method.GPC_SIGNAL if forced else Method.COOKIE_BANNER,
                occurred_at=now,
                notice_version=item.notice_version,
                notice_hash=item.notice_hash,
                language=body.language,
                expires_at=expires_at,
                actor="visitor",
            )
        )
    outcome = await services.writes.submit(group)
    if isinstance(outcome, LedgerError):
        raise outcome
    return {
        "visitor_id": visitor_id,
        "visitor_token": services.signer.visitor_token(visitor_id),
        "expires_at": expires_at.isoformat(),
        "gpc": gpc,
        "recorded": [
            {
                "purpose": r.purpose,
                "accepted": accepted_by_purpose[r.purpose],
                "event": r.event.value,
                "method": r.method.value,
                "record_id": r.record_id,
            }
            for r in outcome
        ],
    }


def _visitor(services: Services, visitor_id: str | None, token: str | None) -> str:
    if visitor_id is None:
        return VISITOR_PREFIX + uuid.uuid4().hex
    if subject_kind(visitor_id) is not SubjectKind.VISITOR:
        raise InvalidRecordError(
            f"visitor_id {visitor_id!r} is malformed ('visitor:' and 32 hex digits)"
        )
    if not services.signer.visitor_valid(visitor_id, token):
        raise PermissionDeniedError("visitor_token does not match visitor_id")
    return visitor_id


def _event(purpose: Purpose, accepted: bool, latest: Record | None, now: Any) -> Event:
    if purpose.consent_mechanism is ConsentMechanism.OPT_OUT:
        return Event.GIVEN if accepted else Event.OBJECTED
    if accepted:
        return Event.GIVEN
    consent_in_force = latest is not None and latest.event is Event.GIVEN and not latest.lapsed(now)
    return Event.WITHDRAWN if consent_in_force else Event.REFUSED


@router.get(
    "/banner/v1/receipts/{record_id}",
    responses={code: {"model": ErrorPublic} for code in (403, 404)},
    summary="A visitor's receipt for one of their choices",
)
def banner_receipt(
    record_id: str,
    services: ServicesDep,
    lang: LanguageDep,
    visitor_id: Annotated[str, Query(max_length=80)],
    visitor_token: Annotated[str, Query(max_length=100)],
) -> Response:
    visitor = _visitor(services, visitor_id, visitor_token)
    record = services.ledger.record(record_id)
    if record.subject != visitor:
        raise PermissionDeniedError("this record belongs to another visitor")
    return receipt_response(services, record, lang)
