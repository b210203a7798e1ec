"""Errors at the HTTP edge: each typed trustflux error becomes a status code and its reason.

API and banner calls get JSON ``{"error": ..., "detail": ...}``; pages get an HTML page in the
visitor's language, and an unauthenticated page request is sent to the sign-in form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from trustflux.errors import (
    AccountError,
    AuthenticationError,
    ConfigError,
    CsrfError,
    DatabaseError,
    ErasedSubjectError,
    GateError,
    InvalidRecordError,
    LedgerError,
    NotEligibleError,
    OutOfOrderError,
    PermissionDeniedError,
    RecordNotFoundError,
    RegisterError,
    ReplayError,
    RequestNotFoundError,
    RequestStateError,
    RightsError,
    TicketError,
    TrustfluxError,
    UnknownPurposeError,
    VerificationError,
)
from trustflux.web.i18n import Translator, negotiate

STATUS: tuple[tuple[type[TrustfluxError], int], ...] = (
    (RequestNotFoundError, 404),
    (RequestStateError, 409),
    (VerificationError, 422),
    (ErasedSubjectError, 410),
    (RightsError, 422),
    (TicketError, 409),
    (NotEligibleError, 403),
    (ReplayError, 409),
    (OutOfOrderError, 409),
    (RecordNotFoundError, 404),
    (UnknownPurposeError, 422),
    (InvalidRecordError, 422),
    (LedgerError, 422),
    (GateError, 422),
    (AccountError, 422),
    (RegisterError, 422),
    (CsrfError, 403),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (DatabaseError, 503),
    (ConfigError, 500),
)
JSON_PREFIXES = ("/api/", "/banner/")


def status_of(error: TrustfluxError) -> int:
    """The HTTP status for a trustflux error (400 for any not listed)."""
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(JSON_PREFIXES) or "application/json" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(TrustfluxError)
    async def _trustflux(request: Request, error: TrustfluxError) -> Response:
        status = status_of(error)
        if wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(
                {"error": type(error).__name__, "detail": str(error)},
                status_code=status,
                headers=headers,
            )
        if status == 401:
            lang = negotiate(
                request.query_params.get("lang"), request.headers.get("accept-language")
            )
            query = urlencode({"lang": lang, "next": request.url.path})
            return RedirectResponse(f"/login?{query}", status_code=303)
        return _page(request, status, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"error": "HTTPError", "detail": str(error.detail)},
                status_code=error.status_code,
                headers=getattr(error, "headers", None),
            )
        return _page(request, error.status_code, str(error.detail))


def _page(request: Request, status: int, detail: str) -> Response:
    from trustflux.web.render import render
    from trustflux.web.services import Services

    t = Translator(
        negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    )
    services: Services = request.app.state.services
    return render(
        request,
        services,
        t,
        None,
        "error.html.j2",
        {"status": status, "detail": detail},
        status_code=status,
    )
