"""Sign in and sign out of the account area (signed session cookie, 2 hours)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Role
from trustflux.errors import AuthenticationError
from trustflux.web.deps import (
    CsrfChecked,
    OptionalPrincipal,
    Principal,
    Public,
    ServicesDep,
    TranslatorDep,
    require,
)
from trustflux.web.render import render
from trustflux.web.security import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS

router = APIRouter(tags=["pages"], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/account"


@router.get("/login", dependencies=[Public])
def login_form(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: OptionalPrincipal,
    next: str | None = None,
    failed: bool = False,
) -> Response:
    return render(
        request,
        services,
        t,
        principal,
        "login.html.j2",
        {"next": _safe_next(next), "failed": failed},
        status_code=401 if failed else 200,
    )


@router.post("/login", dependencies=[Public, CsrfChecked])
async def login(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    username: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        account = await run_in_threadpool(services.accounts.authenticate, username, password)
    except AuthenticationError:
        query = urlencode({"lang": t.lang, "failed": "1", "next": _safe_next(next)})
        return RedirectResponse(f"/login?{query}", status_code=303)
    target = _safe_next(next)
    if account.role is not Role.SUBSCRIBER and target == "/account":
        target = "/"
    _, cookie = services.signer.new_session(account.account_id, account.role)
    separator = "&" if "?" in target else "?"
    response = RedirectResponse(f"{target}{separator}lang={t.lang}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=services.secure_cookies,
        path="/",
    )
    # A new anti-forgery cookie with the new session: tokens seen before sign-in stop working.
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(
    t: TranslatorDep,
    principal: Annotated[Principal, Depends(require(*Role))],
) -> Response:
    response = RedirectResponse(f"/?lang={t.lang}&signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
