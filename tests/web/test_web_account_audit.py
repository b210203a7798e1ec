"""The account area shows the subscriber who accessed their data and why (the audit trail)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from trustflux.accounts import Role
from trustflux.web.services import Services


def test_the_account_area_lists_accesses_to_my_data_only(
    signed_in: tuple[TestClient, Any], services: Services, csrf_of: Callable[[str], str]
) -> None:
    client, me = signed_in
    trail = services.ledger.audit
    assert trail is not None
    assert "Nobody has accessed your data yet." in client.get("/account?lang=en").text
    trail.append("agent:alice", "agent_view", purpose="billing", subject=me.subscriber_id)
    trail.append("agent:mallory", "agent_view", purpose="billing", subject="S999999999")
    token = csrf_of(client.get("/account?lang=en").text)
    client.post(
        "/account/choices?lang=en",
        data={"purpose": "targeted_offers", "action": "give", "csrf_token": token},
    )
    html = client.get("/account?lang=en").text
    block = html[html.index('id="access-title"') :]
    assert block.count("<tr data-audit=") == 2
    assert "agent:alice" in block and "agent:mallory" not in block
    assert f"subscriber:{me.username}" in block and "Choice recorded: given" in block


def test_staff_reading_my_consents_is_shown_to_me_and_my_own_reads_are_not(
    client: TestClient,
    signed_in: tuple[TestClient, Any],
    services: Services,
    bearer: Callable[[Role], dict[str, str]],
) -> None:
    mine, me = signed_in
    assert mine.get(f"/api/v1/subjects/{me.subscriber_id}/records").status_code == 200
    assert "Nobody has accessed your data yet." in mine.get("/account?lang=en").text
    agent = bearer(Role.AGENT)
    assert (
        client.get(f"/api/v1/subjects/{me.subscriber_id}/records", headers=agent).status_code == 200
    )
    assert (
        client.get(f"/api/v1/subjects/{me.subscriber_id}/state", headers=agent).status_code == 200
    )
    html = mine.get("/account?lang=en").text
    block = html[html.index('id="access-title"') :]
    assert "Staff viewed your consent history" in block
    assert "Staff viewed your current choices" in block
    assert block.count("<tr data-audit=") == 2
    trail = services.ledger.audit
    assert trail is not None
    actions = [e.action for e in trail.entries(subject=me.subscriber_id)]
    assert actions == ["staff.viewed_consents", "staff.viewed_choices"]
    assert trail.verify().ok
