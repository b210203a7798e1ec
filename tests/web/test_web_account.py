"""The account area without JavaScript: statuses, one-click switches, history, receipts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from trustflux.ledger import Event, Method
from trustflux.web.services import Services


def _switch(html: str, purpose: str) -> tuple[str, str]:
    """(action, aria-checked) of a purpose's switch."""
    block = html[html.index(f'id="purpose-{purpose}"') :]
    match = re.search(
        r'name="action" value="(\w+)" class="switch" role="switch"\s+aria-checked="(\w+)"', block
    )
    assert match, purpose
    return match.group(1), match.group(2)


def test_every_purpose_with_its_status_and_a_switch_where_there_is_a_choice(
    signed_in: tuple[TestClient, Any], services: Services
) -> None:
    client, _ = signed_in
    html = client.get("/account?lang=en").text
    for purpose in (
        "billing",
        "fraud_detection",
        "gateway_diagnostics",
        "mobility_statistics",
        "network_optimisation",
        "targeted_offers",
    ):
        assert f'id="purpose-{purpose}"' in html
    assert "advertising_cookies" not in html  # cookies are chosen per browser, in the banner
    assert _switch(html, "targeted_offers") == ("give", "false")
    assert _switch(html, "mobility_statistics") == ("object", "true")
    billing = html[html.index('id="purpose-billing"') : html.index('id="purpose-fraud_detection"')]
    assert "Always on" in billing and 'role="switch"' not in billing
    assert 'href="/rights?lang=en"' in html and "You have not made any choice yet." in html


def test_one_click_on_one_click_off(
    signed_in: tuple[TestClient, Any], services: Services, csrf_of: Callable[[str], str]
) -> None:
    client, me = signed_in
    for action, expected_event, switch_after in (
        ("give", Event.GIVEN, ("withdraw", "true")),
        ("withdraw", Event.WITHDRAWN, ("give", "false")),
    ):
        token = csrf_of(client.get("/account?lang=en").text)
        response = client.post(
            "/account/choices?lang=en",
            data={"purpose": "targeted_offers", "action": action, "csrf_token": token},
        )
        assert response.status_code == 303
        assert (
            response.headers["location"]
            == "/account?lang=en&saved=targeted_offers#purpose-targeted_offers"
        )
        latest = services.ledger.current(me.subscriber_id)["targeted_offers"]
        assert latest.event is expected_event and latest.method is Method.ACCOUNT_AREA
        assert latest.actor == f"subscriber:{me.username}"
        page = client.get(response.headers["location"]).text
        assert _switch(page, "targeted_offers") == switch_after
        assert "Your choice is saved." in page
    for action, code in (("object", "objected"), ("unobject", "no_objection")):
        token = csrf_of(client.get("/account").text)
        client.post(
            "/account/choices",
            data={"purpose": "mobility_statistics", "action": action, "csrf_token": token},
        )
        assert services.gate.decide(me.subscriber_id, "mobility_statistics").code == code
    history = client.get("/account?lang=en").text
    assert history.count("<tr data-record=") == 4
    record = services.ledger.history(me.subscriber_id)[0]
    receipt = client.get(f"/account/receipts/{record.record_id}")
    assert (
        receipt.status_code == 200
        and receipt.json()["header"]["pii_principal_id"] == me.subscriber_id
    )


def test_refusals_are_shown_with_the_reason(
    signed_in: tuple[TestClient, Any], services: Services, csrf_of: Callable[[str], str]
) -> None:
    client, me = signed_in
    token = csrf_of(client.get("/account").text)
    for data, status in (
        ({"purpose": "targeted_offers", "action": "withdraw"}, 422),  # nothing to withdraw
        ({"purpose": "billing", "action": "give"}, 422),
        ({"purpose": "telepathy", "action": "give"}, 422),
    ):
        response = client.post("/account/choices", data={**data, "csrf_token": token})
        assert response.status_code == status
        assert 'role="alert"' in response.text
    assert (
        client.post(
            "/account/choices", data={"purpose": "billing", "action": "hack", "csrf_token": token}
        ).status_code
        == 422
    )
    assert services.ledger.history(me.subscriber_id) == []


def test_sign_out_ends_the_session(
    signed_in: tuple[TestClient, Any], csrf_of: Callable[[str], str]
) -> None:
    client, _ = signed_in
    token = csrf_of(client.get("/account").text)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/account").status_code == 303


def test_wrong_password_and_open_redirects(
    client: TestClient, make_subscriber: Callable[[], Any], csrf_of: Callable[[str], str]
) -> None:
    person = make_subscriber()
    token = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login",
        data={"username": person.username, "password": "nope nope nope", "csrf_token": token},
    )
    assert wrong.status_code == 303 and "failed=1" in wrong.headers["location"]
    page = client.get(wrong.headers["location"])
    assert page.status_code == 401 and 'role="alert"' in page.text
    token = csrf_of(page.text)
    evil = client.post(
        "/login",
        data={
            "username": person.username,
            "password": person.password,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert evil.headers["location"].startswith("/account")
