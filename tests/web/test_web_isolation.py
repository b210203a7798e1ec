"""A subscriber can never read or change another subscriber's data; roles are checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trustflux.accounts import Role
from trustflux.web.services import Services

Bearer = Callable[[Role], dict[str, str]]


@pytest.fixture
def victim(
    make_subscriber: Callable[[], Any], bearer: Bearer, client: TestClient
) -> tuple[Any, str]:
    """Another subscriber with one recorded choice (by an agent)."""
    person = make_subscriber()
    created = TestClient(client.app).post(
        "/api/v1/records",
        json={
            "subject": person.subscriber_id,
            "purpose": "targeted_offers",
            "event": "given",
            "method": "call_centre",
        },
        headers=bearer(Role.AGENT),
    )
    assert created.status_code == 201
    return person, created.json()["record_id"]


def test_a_subscriber_cannot_read_another_subscribers_data(
    signed_in: tuple[TestClient, Any], victim: tuple[Any, str]
) -> None:
    client, me = signed_in
    other, record_id = victim
    for path in (
        f"/api/v1/subjects/{other.subscriber_id}/records",
        f"/api/v1/subjects/{other.subscriber_id}/state",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert other.subscriber_id not in response.text.replace(path, "")
    for path in (
        f"/api/v1/records/{record_id}",
        f"/api/v1/records/{record_id}/receipt",
        f"/account/receipts/{record_id}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "targeted_offers" not in response.text
    # their own data is fine
    assert client.get(f"/api/v1/subjects/{me.subscriber_id}/records").status_code == 200


def test_a_subscriber_cannot_change_another_subscribers_choices(
    signed_in: tuple[TestClient, Any],
    victim: tuple[Any, str],
    services: Services,
    csrf_of: Callable[[str], str],
) -> None:
    client, me = signed_in
    other, _ = victim
    token = csrf_of(client.get("/account").text)
    before = services.ledger.history(other.subscriber_id)
    response = client.post(
        "/api/v1/records",
        json={
            "subject": other.subscriber_id,
            "purpose": "targeted_offers",
            "event": "withdrawn",
            "method": "app",
        },
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 403 and "their own" in response.json()["detail"]
    # the account form ignores any subject smuggled in: it always acts on the signed-in person
    response = client.post(
        "/account/choices",
        data={
            "purpose": "targeted_offers",
            "action": "withdraw",
            "csrf_token": token,
            "subject": other.subscriber_id,
        },
    )
    assert response.status_code in (409, 422)  # nothing to withdraw for *me*
    assert services.ledger.history(other.subscriber_id) == before
    assert services.ledger.history(me.subscriber_id) == []


def test_cookie_authenticated_api_writes_need_the_csrf_header(
    signed_in: tuple[TestClient, Any], services: Services
) -> None:
    client, me = signed_in
    response = client.post(
        "/api/v1/records",
        json={
            "subject": me.subscriber_id,
            "purpose": "targeted_offers",
            "event": "given",
            "method": "app",
        },
    )
    assert response.status_code == 403 and response.json()["error"] == "CsrfError"
    assert services.ledger.history(me.subscriber_id) == []


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        (Role.ANALYST, "GET", "/api/v1/subjects/S1/records", False),
        (Role.ANALYST, "GET", "/api/v1/decisions?subject=S1&purpose=billing", True),
        (Role.AGENT, "GET", "/api/v1/decisions?subject=S1&purpose=billing", False),
        (Role.AGENT, "GET", "/api/v1/subjects/S1/records", True),
        (Role.AGENT, "POST", "/api/v1/tokens", False),
        (Role.DPO, "GET", "/api/v1/subjects/S1/verify", True),
        (Role.AGENT, "GET", "/api/v1/subjects/S1/verify", False),
        (Role.ANALYST, "GET", "/api/v1/accounts", False),
        (Role.ADMIN, "GET", "/api/v1/accounts", True),
        (Role.ADMIN, "POST", "/api/v1/records", False),
        (Role.DPO, "POST", "/api/v1/records", False),
        (Role.ANALYST, "GET", "/api/v1/eligible/billing", True),
    ],
)
def test_roles_are_checked_on_every_route(
    client: TestClient, bearer: Bearer, role: Role, method: str, path: str, allowed: bool
) -> None:
    body = (
        {"name": "x", "role": "analyst"}
        if path.endswith("tokens")
        else {"subject": "S1", "purpose": "targeted_offers", "event": "given", "method": "api"}
    )
    response = client.request(
        method, path, headers=bearer(role), json=body if method == "POST" else None
    )
    if allowed:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403 and response.json()["error"] == "PermissionDeniedError"


def test_an_agent_cannot_claim_a_choice_was_made_in_the_account_area(
    client: TestClient, bearer: Bearer
) -> None:
    response = client.post(
        "/api/v1/records",
        json={
            "subject": "S1",
            "purpose": "targeted_offers",
            "event": "given",
            "method": "account_area",
        },
        headers=bearer(Role.AGENT),
    )
    assert response.status_code == 403 and "call_centre" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer tf_000000000000_" + "a" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_bad_credentials_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_anonymous_callers_are_401_on_api_and_redirected_on_pages(client: TestClient) -> None:
    assert client.get("/api/v1/subjects/S1/records").status_code == 401
    page = client.get("/account?lang=en")
    assert page.status_code == 303 and page.headers["location"] == "/login?lang=en&next=%2Faccount"


def test_staff_have_no_account_area(
    client: TestClient, services: Services, login: Callable[..., None]
) -> None:
    import uuid

    name = f"dpo-{uuid.uuid4().hex[:6]}@fluxtel.example"
    services.accounts.create(name, "correct horse battery staple", Role.DPO)

    class Staff:
        username = name
        password = "correct horse battery staple"

    login(client, Staff())
    assert client.get("/account").status_code == 403
    assert client.get("/api/v1/me").json()["role"] == "dpo"


def test_disabled_accounts_lose_their_session(
    signed_in: tuple[TestClient, Any], services: Services
) -> None:
    client, me = signed_in
    assert client.get("/account").status_code == 200
    services.accounts.set_disabled(me.username, True)
    assert client.get("/account").status_code == 303
