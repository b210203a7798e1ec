"""Rendering pages: templates with the translator, the anti-forgery token and the footer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from trustflux.web.deps import Principal
from trustflux.web.i18n import Translator
from trustflux.web.security import CSRF_COOKIE, SESSION_SECONDS
from trustflux.web.services import Services


def make_templates() -> Jinja2Templates:
    """Templates shipped in the package, always HTML-escaped (names end in .j2)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("trustflux.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return Jinja2Templates(env=environment)


def render(
    request: Request,
    services: Services,
    t: Translator,
    principal: Principal | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template``; sets the anti-forgery cookie if the browser has none yet."""
    csrf_cookie = request.cookies.get(CSRF_COOKIE)
    fresh = csrf_cookie is None
    if csrf_cookie is None:
        csrf_cookie = services.signer.new_csrf_cookie()
    session = principal.session if principal else None
    lang = t.lang

    def link(path: str, **params: object) -> str:
        query = {"lang": lang, **{k: v for k, v in params.items() if v is not None}}
        return f"{path}?{urlencode(query)}"

    switch_query = dict(request.query_params)
    switch_query["lang"] = t.other
    values: dict[str, Any] = {
        "request": request,
        "t": t,
        "lang": lang,
        "link": link,
        "principal": principal,
        "csrf_token": services.signer.csrf_token(csrf_cookie, session),
        "register": services.register,
        "base_url": services.base_url,
        "switch_url": f"{request.url.path}?{urlencode(switch_query)}",
        "current_path": request.url.path,
    }
    values.update(context or {})
    response = services.templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=headers
    )
    if fresh:
        response.set_cookie(
            CSRF_COOKIE,
            csrf_cookie,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=services.secure_cookies,
            path="/",
        )
    return response
