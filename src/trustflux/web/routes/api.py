"""The JSON API (``/api/v1``): transparency data, the ledger, the gate, accounts and tokens.

Thin handlers: check who may ask, call the core, shape the answer. The two hot paths (record a
choice, ask for a decision) are async and go through the batch runners, so that many
concurrent calls share one database round trip.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Role
from trustflux.errors import (
    GateError,
    LedgerError,
    PermissionDeniedError,
    RecordNotFoundError,
)
from trustflux.ledger import Choice, Method, Record, build_receipt, utc_now
from trustflux.web.access_log import record_staff_view
from trustflux.web.deps import (
    LanguageDep,
    Principal,
    Public,
    ServicesDep,
    TranslatorDep,
    own_subject,
    require,
)
from trustflux.web.schemas import (
    AccountCreate,
    AccountPublic,
    DecisionBatchIn,
    DecisionBatchOut,
    DecisionPublic,
    ErrorPublic,
    MePublic,
    PurposeStatePublic,
    RecordCreate,
    RecordPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    inline_schema,
)
from trustflux.web.services import Services
from trustflux.web.views import badge_view, channels, purpose_view

router = APIRouter(prefix="/api/v1", tags=["api"])

ARROW_STREAM = "application/vnd.apache.arrow.stream"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (401, 403, 404, 409, 422)
}

Writer = Annotated[Principal, Depends(require(Role.SUBSCRIBER, Role.AGENT))]
Reader = Annotated[Principal, Depends(require(Role.SUBSCRIBER, Role.AGENT, Role.DPO))]
Asker = Annotated[Principal, Depends(require(Role.ANALYST, Role.DPO))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Anyone = Annotated[Principal, Depends(require(*Role))]
Dpo = Annotated[Principal, Depends(require(Role.DPO))]

METHODS_BY_ROLE: dict[Role, frozenset[Method]] = {
    Role.SUBSCRIBER: frozenset({Method.APP, Method.API, Method.ACCOUNT_AREA}),
    Role.AGENT: frozenset({Method.CALL_CENTRE, Method.APP, Method.API}),
}


def _json(
    payload: object, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


# -- hot paths first: routes are matched in order ---------------------------------------------
@router.post(
    "/records",
    status_code=201,
    response_model=RecordPublic,
    responses=ERRORS,
    summary="Record a consent or objection event",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(RecordCreate)}},
        }
    },
)
async def create_record(principal: Writer, request: Request) -> Response:
    # The body is validated here (pydantic, from the raw bytes) rather than by FastAPI's
    # parameter machinery, which costs more than the rest of this hot path; same model, same
    # 422 answer, and the schema is still in the OpenAPI document.
    try:
        body = RecordCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    services: Services = request.app.state.services
    own_subject(principal, body.subject)
    allowed = METHODS_BY_ROLE.get(principal.role, frozenset())
    if body.method not in allowed:
        names = ", ".join(sorted(m.value for m in allowed))
        raise PermissionDeniedError(
            f"a {principal.role.value} records choices with method {names}, not {body.method.value}"
        )
    choice = Choice(
        subject=body.subject,
        purpose=body.purpose,
        event=body.event,
        method=body.method,
        occurred_at=body.occurred_at,
        record_id=body.record_id,
        notice_version=body.notice_version,
        notice_hash=body.notice_hash,
        language=body.language,
        jurisdiction=body.jurisdiction,
        expires_at=body.expires_at,
        actor=principal.actor,
    )
    outcome = await services.writes.submit([choice])
    if isinstance(outcome, LedgerError):
        raise outcome
    record = outcome[0]
    return _json(
        record.as_dict(),
        status_code=201,
        headers={"Location": f"/api/v1/records/{record.record_id}"},
    )


# The hot path reads its query itself: FastAPI's per-request parameter analysis costs more than
# the decision. The parameters are still declared in the OpenAPI document.
DECISION_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "subject",
        "in": "query",
        "required": True,
        "description": "Subscriber id, or visitor:<32 hex digits>.",
        "schema": {"type": "string", "maxLength": 80},
    },
    {
        "name": "purpose",
        "in": "query",
        "required": True,
        "description": "Register purpose id.",
        "schema": {"type": "string", "maxLength": 64},
    },
    {
        "name": "at",
        "in": "query",
        "required": False,
        "description": "ISO 8601 time with zone; default now.",
        "schema": {"type": "string", "format": "date-time"},
    },
]


@router.get(
    "/decisions",
    response_model=DecisionPublic,
    responses=ERRORS,
    summary="May this purpose process this subject's data at this time?",
    openapi_extra={"parameters": DECISION_PARAMETERS},
)
async def decide(principal: Asker, request: Request) -> Response:
    query = request.query_params
    subject, purpose = query.get("subject"), query.get("purpose")
    if not subject or not purpose:
        raise GateError("subject and purpose are required query parameters")
    at = _time(query.get("at"))
    services: Services = request.app.state.services
    outcome = await services.decisions.submit((subject, purpose, at))
    if isinstance(outcome, GateError):
        raise outcome
    return _json(outcome.as_dict())


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))  # '+' arrives as a space
    except ValueError:
        raise GateError(f"at {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise GateError(f"at {text!r} needs a time zone (Z or +01:00)")
    return moment


# -- transparency (public) --------------------------------------------------------------------
@router.get("/purposes", dependencies=[Public], summary="Every purpose of the register")
def list_purposes(services: ServicesDep, t: TranslatorDep) -> list[dict[str, Any]]:
    return [
        purpose_view(p, services.register, t, services.base_url) for p in services.register.purposes
    ]


@router.get(
    "/purposes/{purpose_id}", dependencies=[Public], summary="One purpose", responses=ERRORS
)
def get_purpose(purpose_id: str, services: ServicesDep, t: TranslatorDep) -> dict[str, Any]:
    if purpose_id not in services.register.purpose_ids:
        raise RecordNotFoundError(f"no purpose {purpose_id!r}")
    purpose = services.register.purpose(purpose_id)
    return purpose_view(purpose, services.register, t, services.base_url)


@router.get("/badges", dependencies=[Public], summary="Apps, sites, services with a badge")
def list_badges(services: ServicesDep, t: TranslatorDep) -> list[dict[str, Any]]:
    return [
        badge_view(c, services.register, t, services.base_url) for c in channels(services.register)
    ]


@router.get(
    "/badges/{channel}",
    dependencies=[Public],
    summary="Trust badge of one channel",
    responses=ERRORS,
)
def get_badge(channel: str, services: ServicesDep, t: TranslatorDep) -> dict[str, Any]:
    if channel not in channels(services.register):
        raise RecordNotFoundError(f"no trust badge for {channel!r}")
    return badge_view(channel, services.register, t, services.base_url)


# -- ledger -------------------------------------------------------------------------------------
def _visible_record(services: Any, principal: Principal, record_id: str) -> Record:
    record: Record = services.ledger.record(record_id)
    if principal.role is Role.SUBSCRIBER and record.subject != principal.subscriber_id:
        raise RecordNotFoundError(f"no record {record_id}")  # do not reveal others' records
    return record


@router.get("/records/{record_id}", response_model=RecordPublic, responses=ERRORS)
def get_record(record_id: str, principal: Reader, services: ServicesDep) -> dict[str, object]:
    record = _visible_record(services, principal, record_id)
    record_staff_view(services, principal, record.subject, "record", details={"record": record_id})
    return record.as_dict()


@router.get(
    "/records/{record_id}/receipt",
    responses=ERRORS,
    summary="Consent receipt (ISO/IEC TS 27560 structure), as a JSON download",
)
def get_receipt(
    record_id: str, principal: Reader, services: ServicesDep, lang: LanguageDep
) -> Response:
    record = _visible_record(services, principal, record_id)
    record_staff_view(services, principal, record.subject, "receipt", details={"record": record_id})
    return receipt_response(services, record, lang)


def receipt_response(services: Any, record: Record, lang: str) -> Response:
    """The receipt of ``record`` as a downloadable JSON file."""
    base = services.base_url
    receipt = build_receipt(
        record,
        services.register,
        services.ledger.notice_text(record.notice_hash),
        issued_at=utc_now(),
        links={
            "purpose": f"{base}/transparency/{record.purpose}?lang={lang}",
            "change_your_choice": f"{base}/account?lang={lang}",
        },
    )
    return Response(
        json.dumps(receipt, ensure_ascii=False, indent=2).encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="receipt-{record.record_id}.json"'},
    )


@router.get("/subjects/{subject}/records", response_model=list[RecordPublic], responses=ERRORS)
def subject_history(
    subject: str,
    principal: Reader,
    services: ServicesDep,
    purpose: str | None = None,
) -> list[dict[str, object]]:
    own_subject(principal, subject)
    history = [r.as_dict() for r in services.ledger.history(subject, purpose)]
    record_staff_view(services, principal, subject, "consents", details={"records": len(history)})
    return history


@router.get("/subjects/{subject}/state", response_model=list[PurposeStatePublic], responses=ERRORS)
def subject_state(
    subject: str, principal: Reader, services: ServicesDep
) -> list[dict[str, object]]:
    own_subject(principal, subject)
    current = services.ledger.current(subject)
    record_staff_view(services, principal, subject, "choices")
    decisions = services.gate.decide_many(
        [(subject, p, None) for p in services.register.purpose_ids]
    )
    out = []
    for purpose_id, decision in zip(services.register.purpose_ids, decisions, strict=True):
        if isinstance(decision, GateError):
            raise decision
        latest = current.get(purpose_id)
        out.append(
            {
                "purpose": purpose_id,
                "allow": decision.allow,
                "code": decision.code,
                "reason": decision.reason,
                "latest": latest.as_dict() if latest else None,
            }
        )
    return out


@router.get("/subjects/{subject}/verify", responses=ERRORS, summary="Check hash chains (DPO)")
def verify_subject(subject: str, principal: Dpo, services: ServicesDep) -> dict[str, object]:
    problems = services.ledger.verify(subject)
    return {"subject": subject, "intact": not problems, "problems": problems}


# -- gate (batch and bulk) -------------------------------------------------------------------------
@router.post("/decisions", response_model=DecisionBatchOut, responses=ERRORS)
def decide_batch(body: DecisionBatchIn, principal: Asker, services: ServicesDep) -> Response:
    outcomes = services.gate.decide_many([(q.subject, q.purpose, q.at) for q in body.queries])
    return _json(
        {
            "decisions": [
                {"error": type(o).__name__, "detail": str(o)}
                if isinstance(o, GateError)
                else o.as_dict()
                for o in outcomes
            ]
        }
    )


@router.get(
    "/eligible/{purpose}",
    responses={**ERRORS, 200: {"content": {ARROW_STREAM: {}}}},
    response_class=Response,
    summary="Synced subscribers the purpose may process at a time (Arrow IPC stream)",
)
def eligible_synced(
    purpose: str, principal: Asker, services: ServicesDep, at: datetime | None = None
) -> Response:
    table = services.gate.eligible(purpose, at)
    return Response(_ipc(table), media_type=ARROW_STREAM)


@router.post(
    "/eligible/{purpose}",
    responses={**ERRORS, 200: {"content": {ARROW_STREAM: {}}}},
    response_class=Response,
    summary="Filter a subscribers table sent as an Arrow IPC stream",
)
async def eligible_posted(
    purpose: str,
    request: Request,
    principal: Asker,
    services: ServicesDep,
    at: datetime | None = None,
) -> Response:
    body = await request.body()
    try:
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise GateError(f"the body is not an Arrow IPC stream: {exc}") from None
    result = await run_in_threadpool(services.gate.eligible, purpose, at, table)
    return Response(_ipc(result), media_type=ARROW_STREAM)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


# -- who am I, accounts, tokens -----------------------------------------------------------------
@router.get("/me", response_model=MePublic, responses=ERRORS)
def me(principal: Anyone) -> dict[str, object]:
    return {
        "kind": principal.kind,
        "name": principal.name,
        "role": principal.role.value,
        "subscriber_id": principal.subscriber_id,
    }


@router.post("/accounts", status_code=201, response_model=AccountPublic, responses=ERRORS)
def create_account(
    body: AccountCreate, principal: Admin, services: ServicesDep
) -> dict[str, object]:
    account = services.accounts.create(body.username, body.password, body.role, body.subscriber_id)
    return _account(account)


@router.get("/accounts", response_model=list[AccountPublic], responses=ERRORS)
def list_accounts(principal: Admin, services: ServicesDep) -> list[dict[str, object]]:
    return [_account(a) for a in services.accounts.all()]


def _account(account: Any) -> dict[str, object]:
    return {
        "account_id": account.account_id,
        "username": account.username,
        "role": account.role.value,
        "subscriber_id": account.subscriber_id,
        "disabled": account.disabled,
    }


@router.post("/tokens", status_code=201, response_model=TokenCreated, responses=ERRORS)
def create_token(body: TokenCreate, principal: Admin, services: ServicesDep) -> dict[str, object]:
    token, secret = services.accounts.create_token(body.name, body.role, expires_at=body.expires_at)
    return {**_token(token), "token": secret}


@router.get("/tokens", response_model=list[TokenPublic], responses=ERRORS)
def list_tokens(principal: Admin, services: ServicesDep) -> list[dict[str, object]]:
    return [_token(t) for t in services.accounts.tokens()]


@router.delete("/tokens/{token_id}", status_code=204, responses=ERRORS)
def revoke_token(token_id: str, principal: Admin, services: ServicesDep) -> Response:
    services.accounts.revoke_token(token_id)
    return Response(status_code=204)


def _token(token: Any) -> dict[str, object]:
    return {
        "token_id": token.token_id,
        "name": token.name,
        "role": token.role.value,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


health = APIRouter(tags=["health"])


@health.get("/healthz", dependencies=[Public], summary="Liveness and database reachability")
def healthz(services: ServicesDep) -> JSONResponse:
    from trustflux.db import current_revision

    return JSONResponse({"status": "ok", "database": current_revision(services.engine)})
