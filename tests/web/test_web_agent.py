"""The agent console: tickets, the gateway diagnosis under an open ticket and a stated reason
(and what the subscriber then sees), requests filed on the subscriber's behalf."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from test_web_rights import account_for, browser, last_code, staff, world_subscriber

from conftest import WorldApp
from trustflux.accounts import Role
from trustflux.operations.common import read_store_table

REASON = "the subscriber reports Wi-Fi drops every evening"


@pytest.fixture
def faulty(world_app: WorldApp) -> dict[str, Any]:
    """A gateway with an injected fault, its subscriber, and the clock inside the fault."""
    faults = pq.read_table(world_app.world / "truth" / "gateway_faults.parquet").to_pylist()
    subs = read_store_table(
        world_app.services.settings, "subscribers", ["subscriber_id", "gateway_id"]
    ).to_pylist()
    owners = {s["gateway_id"]: s["subscriber_id"] for s in subs if s["gateway_id"]}
    fault = next(f for f in faults if f["gateway_id"] in owners)
    world_app.clock.now = fault["end"]
    return {"gateway": fault["gateway_id"], "owner": owners[fault["gateway_id"]], **fault}


def open_ticket(agent: TestClient, csrf_of: Any, subscriber_id: str) -> tuple[str, str]:
    page = agent.get("/agent?lang=en")
    opened = agent.post(
        "/agent/tickets?lang=en",
        data={"subscriber_id": subscriber_id, "reason": REASON, "csrf_token": csrf_of(page.text)},
    )
    assert opened.status_code == 303, opened.text[:400]
    ticket_id = opened.headers["location"].split("/agent/tickets/")[1].split("?")[0]
    return ticket_id, agent.get(opened.headers["location"]).text


def test_subscribers_and_the_dpo_cannot_open_the_console(world_app: WorldApp, login: Any) -> None:
    me = account_for(world_app, world_subscriber(world_app)["subscriber_id"])
    for person in (me, staff(world_app, Role.DPO)):
        assert browser(world_app, login, person).get("/agent").status_code == 403


def test_a_ticket_needs_a_reason(
    world_app: WorldApp, login: Any, csrf_of: Callable[[str], str]
) -> None:
    agent = browser(world_app, login, staff(world_app, Role.AGENT))
    page = agent.get("/agent?lang=en")
    refused = agent.post(
        "/agent/tickets?lang=en",
        data={"subscriber_id": "S1", "reason": "wifi", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 409 and "stated reason" in refused.text


def test_the_diagnosis_needs_an_open_ticket_and_a_reason_and_the_subscriber_sees_it(
    world_app: WorldApp, faulty: dict[str, Any], login: Any, csrf_of: Callable[[str], str]
) -> None:
    agent = browser(world_app, login, staff(world_app, Role.AGENT))
    ticket_id, page = open_ticket(agent, csrf_of, faulty["owner"])
    assert faulty["gateway"] in page
    assert f'data-ticket="{ticket_id}"' in agent.get("/agent?lang=en").text
    token = csrf_of(page)
    url = f"/agent/tickets/{ticket_id}/diagnosis?lang=en"
    no_reason = agent.post(url, data={"reason": "", "csrf_token": token})
    assert no_reason.status_code == 409 and "Refused:" in no_reason.text
    assert 'id="diagnosis"' not in no_reason.text
    shown = agent.post(
        url, data={"reason": "checking the line before a technician visit", "csrf_token": token}
    )
    assert shown.status_code == 200 and 'id="diagnosis"' in shown.text
    assert f'data-fault="{faulty["fault"]}"' in shown.text and "<code>Device." in shown.text

    other = browser(world_app, login, staff(world_app, Role.AGENT))
    assert other.get(f"/agent/tickets/{ticket_id}").status_code == 403  # not their ticket

    closed = agent.post(f"/agent/tickets/{ticket_id}/close?lang=en", data={"csrf_token": token})
    assert closed.status_code == 303
    after = agent.post(url, data={"reason": "one more look at the line", "csrf_token": token})
    assert after.status_code == 409 and "closed" in after.text

    me = browser(world_app, login, account_for(world_app, faulty["owner"]))
    html = me.get("/account?lang=en").text
    block = html[html.index('id="access-title"') :]
    seen = "Customer service viewed your home gateway&#39;s diagnosis"
    assert seen in block
    assert "Reason given: checking the line before a technician visit" in block
    assert block.count(seen) == 1  # refused views show nothing


def test_a_request_by_phone_is_verified_with_the_code_the_subscriber_reads_out(
    world_app: WorldApp, login: Any, csrf_of: Callable[[str], str]
) -> None:
    subscriber = world_subscriber(world_app, with_gateway=False)
    agent = browser(world_app, login, staff(world_app, Role.AGENT))
    ticket_id, page = open_ticket(agent, csrf_of, subscriber["subscriber_id"])
    assert "no gateway on file" in page
    filed = agent.post(
        f"/agent/tickets/{ticket_id}/requests?lang=en",
        data={"kind": "portability", "csrf_token": csrf_of(page)},
    )
    assert filed.status_code == 303
    page = agent.get(filed.headers["location"]).text
    [request] = world_app.services.book.for_subject(subscriber["subscriber_id"])
    assert request.status.value == "received" and request.channel.value == "agent"
    base = f"/agent/tickets/{ticket_id}/requests/{request.request_id}"
    sent = agent.post(f"{base}/code?lang=en", data={"csrf_token": csrf_of(page)})
    assert sent.status_code == 303
    page = agent.get(sent.headers["location"]).text
    assert "Code sent to" in page
    wrong = agent.post(f"{base}/verify?lang=en", data={"code": "abc", "csrf_token": csrf_of(page)})
    assert wrong.status_code == 422 and "wrong code" in wrong.text
    ok = agent.post(
        f"{base}/verify?lang=en", data={"code": last_code(world_app), "csrf_token": csrf_of(page)}
    )
    assert ok.status_code == 303
    assert world_app.services.book.get(request.request_id).verification == "otp_sms"
    elsewhere = f"/agent/tickets/{ticket_id}/requests/{uuid.uuid4()}/code"
    assert agent.post(elsewhere, data={"csrf_token": csrf_of(page)}).status_code == 404


def test_the_console_in_french(world_app: WorldApp, login: Any) -> None:
    agent = browser(world_app, login, staff(world_app, Role.AGENT))
    page = agent.get("/agent?lang=fr")
    assert page.status_code == 200 and "Ouvrir un ticket" in page.text


def test_a_closed_ticket_files_nothing_and_shows_no_requests(
    world_app: WorldApp, login: Any, csrf_of: Callable[[str], str]
) -> None:
    subscriber = world_subscriber(world_app, with_gateway=False)
    sid = subscriber["subscriber_id"]
    agent = browser(world_app, login, staff(world_app, Role.AGENT))
    ticket_id, page = open_ticket(agent, csrf_of, sid)
    token = csrf_of(page)
    filed = agent.post(
        f"/agent/tickets/{ticket_id}/requests?lang=en",
        data={"kind": "access", "csrf_token": token},
    )
    assert filed.status_code == 303
    [request] = world_app.services.book.for_subject(sid)
    assert f'data-request="{request.request_id}"' in agent.get(filed.headers["location"]).text
    closed = agent.post(f"/agent/tickets/{ticket_id}/close?lang=en", data={"csrf_token": token})
    assert closed.status_code == 303

    page = agent.get(f"/agent/tickets/{ticket_id}?lang=en").text
    assert "data-request=" not in page and "This ticket is closed" in page
    again = agent.post(
        f"/agent/tickets/{ticket_id}/requests?lang=en",
        data={"kind": "erasure", "confirm": "yes", "csrf_token": token},
    )
    assert again.status_code == 409 and "closed" in again.text
    base = f"/agent/tickets/{ticket_id}/requests/{request.request_id}"
    assert agent.post(f"{base}/code", data={"csrf_token": token}).status_code == 409
    code = agent.post(f"{base}/verify", data={"code": "123456", "csrf_token": token})
    assert code.status_code == 409
    assert [r.kind.value for r in world_app.services.book.for_subject(sid)] == ["access"]
    assert world_app.services.book.get(request.request_id).status.value == "received"


def test_the_agent_s_reading_of_the_requests_is_in_the_subscriber_s_trail(
    world_app: WorldApp, login: Any, csrf_of: Callable[[str], str]
) -> None:
    subscriber = world_subscriber(world_app, with_gateway=False)
    sid = subscriber["subscriber_id"]
    person = staff(world_app, Role.AGENT)
    agent = browser(world_app, login, person)
    ticket_id, page = open_ticket(agent, csrf_of, sid)
    trail = world_app.services.trail
    assert "staff.viewed_requests" not in [e.action for e in trail.entries(subject=sid)]
    filed = agent.post(
        f"/agent/tickets/{ticket_id}/requests?lang=en",
        data={"kind": "access", "csrf_token": csrf_of(page)},
    )
    agent.get(filed.headers["location"])
    viewed = [e for e in trail.entries(subject=sid) if e.action == "staff.viewed_requests"]
    assert len(viewed) == 1
    assert viewed[0].details["ticket_id"] == ticket_id and viewed[0].details["role"] == "agent"

    me = browser(world_app, login, account_for(world_app, sid))
    html = me.get("/account?lang=en").text
    assert "Customer service viewed your rights requests" in html[html.index('id="access-title"') :]
