"""Request dependencies: services, language, who is calling, and the access rule of each route.

Every route declares its access with exactly one of ``Public`` or ``require(...)`` (a test
walks the routes to check it), and every form route adds ``CsrfChecked``. Roles are checked on
each request; a subscriber's access to a subject is checked by ``own_subject``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Account, Role
from trustflux.errors import AuthenticationError, CsrfError, PermissionDeniedError
from trustflux.ledger import Language
from trustflux.web.i18n import Translator, negotiate
from trustflux.web.security import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Session
from trustflux.web.services import Services

ACCESS_MARK = "__trustflux_access__"
CSRF_MARK = "__trustflux_csrf__"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET: Any = object()


# Dependencies are ``async`` even when they do not await: FastAPI runs plain ``def``
# dependencies in a worker thread, a hop that costs more than the dependency itself.
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_language(request: Request) -> Language:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


LanguageDep = Annotated[Language, Depends(get_language)]


async def get_translator(lang: LanguageDep) -> Translator:
    return Translator(lang)


TranslatorDep = Annotated[Translator, Depends(get_translator)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in account (cookie) or a job (bearer token)."""

    kind: Literal["account", "token"]
    name: str
    role: Role
    subscriber_id: str | None = None
    session: Session | None = None
    account: Account | None = None

    @property
    def actor(self) -> str:
        """How the ledger names who recorded a choice (``role:name``, safe characters only)."""
        return re.sub(r"[^\w.:@+-]", "_", f"{self.role.value}:{self.name}")[:120]


async def find_principal(request: Request, services: Services) -> Principal | None:
    """The caller from ``Authorization: Bearer`` or the session cookie, cached per request."""
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        known: Principal | None = cached
        return known
    principal = await _resolve(request, services)
    request.state.principal = principal
    return principal


async def _resolve(request: Request, services: Services) -> Principal | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationError("Authorization must be 'Bearer <token>'")
        token = await services.tokens.verify(value.strip())
        return Principal(kind="token", name=token.name, role=token.role)
    session = services.signer.read_session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    account = await run_in_threadpool(services.accounts.get, session.account_id)
    if account is None or account.disabled or account.role is not session.role:
        return None
    return Principal(
        kind="account",
        name=account.username,
        role=account.role,
        subscriber_id=account.subscriber_id,
        session=session,
        account=account,
    )


async def optional_principal(request: Request, services: ServicesDep) -> Principal | None:
    return await find_principal(request, services)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def public() -> None:
    """Access rule of routes anyone may call (transparency, badges, banner, login)."""


setattr(public, ACCESS_MARK, "public")
Public = Depends(public)


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Access rule: signed in (or bearer token) with one of ``roles``.

    A cookie-authenticated call that changes something must also carry the anti-forgery token
    (form field or ``X-CSRF-Token`` header): cookies are sent by browsers on their own.
    """
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        services: Services = request.app.state.services
        principal = await find_principal(request, services)
        if principal is None:
            raise AuthenticationError("sign in or send an API token")
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise PermissionDeniedError(f"this needs one of the roles: {names}")
        if principal.session is not None and request.method not in SAFE_METHODS:
            await _check_csrf(request, services, principal.session)
        return principal

    setattr(dependency, ACCESS_MARK, tuple(sorted(r.value for r in allowed)))
    dependency.__name__ = "require_" + "_".join(sorted(r.value for r in allowed))
    return dependency


async def _check_csrf(request: Request, services: Services, session: Session | None) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not services.signer.csrf_valid(request.cookies.get(CSRF_COOKIE), session, sent):
        raise CsrfError("missing or invalid anti-forgery token: reload the page and try again")


async def csrf_checked(request: Request, services: ServicesDep) -> None:
    """Every form post, signed in or not (the login form too), carries a valid token."""
    principal = await find_principal(request, services)
    await _check_csrf(request, services, principal.session if principal else None)


setattr(csrf_checked, CSRF_MARK, True)
CsrfChecked = Depends(csrf_checked)


def own_subject(principal: Principal, subject: str) -> None:
    """A subscriber may only touch their own subject; staff roles are checked by ``require``."""
    if principal.role is Role.SUBSCRIBER and principal.subscriber_id != subject:
        raise PermissionDeniedError("a subscriber can only see and change their own choices")


def access_of(call: Any) -> object:
    """The access mark of a dependency callable (for the route audit test)."""
    return getattr(call, ACCESS_MARK, None)
