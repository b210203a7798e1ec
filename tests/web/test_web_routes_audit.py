"""Every route states who may call it, and every form checks its anti-forgery token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from trustflux.web.app import ROUTERS
from trustflux.web.deps import ACCESS_MARK, CSRF_MARK


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _routes() -> list[tuple[APIRoute, list[Any]]]:
    """Each route of the service with every dependency it runs (its router's included)."""
    found = []
    for router in ROUTERS:
        router_calls = [d.dependency for d in router.dependencies]
        for route in router.routes:
            assert isinstance(route, APIRoute)
            found.append((route, router_calls + list(_calls(route.dependant))))
    return found


def test_every_route_declares_its_access(app: FastAPI) -> None:
    routes = _routes()
    missing = [
        f"{sorted(route.methods)} {route.path}"
        for route, calls in routes
        if not any(hasattr(call, ACCESS_MARK) for call in calls)
    ]
    assert missing == []
    audited = {(route.path, method) for route, _ in routes for method in route.methods}
    served = {
        (path, method.upper()) for path, item in app.openapi()["paths"].items() for method in item
    }
    assert served <= audited  # nothing in the API escapes the audit
    assert len(routes) > 30
    mounts = {r.path for r in app.routes if isinstance(r, Mount)}
    assert mounts == {"/static"}  # public assets only


FORMS = {
    "/login",
    "/logout",
    "/account/choices",
    "/account/rights",
    "/rights/request",
    "/rights/request/verify",
    "/agent/tickets",
    "/agent/tickets/{ticket_id}/close",
    "/agent/tickets/{ticket_id}/diagnosis",
    "/agent/tickets/{ticket_id}/requests",
    "/agent/tickets/{ticket_id}/requests/{request_id}/code",
    "/agent/tickets/{ticket_id}/requests/{request_id}/verify",
    "/dpo/requests/{request_id}/verify",
    "/dpo/requests/{request_id}/start",
    "/dpo/requests/{request_id}/execute",
    "/dpo/requests/{request_id}/extend",
    "/dpo/requests/{request_id}/refuse",
    "/dpo/register/{purpose_id}/dpia",
}


def test_every_form_post_checks_csrf(app: FastAPI) -> None:
    forms = [
        (route, calls)
        for route, calls in _routes()
        if "POST" in route.methods and not route.path.startswith(("/api/", "/banner/"))
    ]
    assert {route.path for route, _ in forms} == FORMS
    for route, calls in forms:
        assert any(hasattr(call, CSRF_MARK) for call in calls), route.path


@pytest.mark.parametrize("path", ["/login", "/logout", "/account/choices"])
def test_forms_without_a_token_are_refused(client: TestClient, path: str) -> None:
    client.get("/login")  # a browser that has the anti-forgery cookie, but posts no token
    response = client.post(
        path, data={"username": "x", "password": "y", "purpose": "billing", "action": "give"}
    )
    assert response.status_code in (403, 303)
    if response.status_code == 303:  # signed out: sent to sign in, nothing done
        assert response.headers["location"].startswith("/login")


def test_a_token_from_another_browser_is_refused(
    client: TestClient, app: FastAPI, csrf_of: Any
) -> None:
    other = TestClient(app)
    token = csrf_of(other.get("/login").text)
    client.get("/login")
    response = client.post("/login", data={"username": "x", "password": "y", "csrf_token": token})
    assert response.status_code == 403


def test_security_headers(client: TestClient) -> None:
    page = client.get("/transparency")
    cookie = page.headers["set-cookie"]  # first visit: the anti-forgery cookie is set
    assert "fx_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    embed = client.get("/badges/app:fluxtel_et_moi/embed")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    banner = client.options("/banner/v1/choices", headers={"Origin": "https://www.fluxtel.example"})
    assert banner.status_code == 204 and banner.headers["access-control-allow-origin"] == "*"
    assert "sec-gpc" in banner.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in client.get("/api/v1/me").headers
