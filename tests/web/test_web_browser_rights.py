"""A real browser (Debian's Chromium via Playwright): a subscriber files an access request from
"My rights", the DPO finds it in the queue; the register and the agent console render.

Set ``TRUSTFLUX_SCREENSHOTS=/some/dir`` to keep a screenshot of each page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from test_web_browser import _shot

from conftest import add_subscriber
from trustflux.accounts import Role

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    made = chromium.new_context(viewport={"width": 1100, "height": 850})
    made.set_default_timeout(10_000)
    yield made
    made.close()


def _sign_in(page: Any, url: str, username: str, target: str) -> None:
    page.goto(f"{url}/login?lang=en&next={target}")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{target}?lang=en")


def test_an_access_request_from_my_rights_reaches_the_dpo_queue(
    context: Any, chromium: Any, live_server: Any
) -> None:
    services = live_server.services
    person = add_subscriber(services, f"R{uuid.uuid4().hex[:10]}")
    page = context.new_page()
    _sign_in(page, live_server.url, person.username, "/account/rights")
    page.get_by_role("button", name=re.compile(r"^Send this request\W+Access to my data")).click()
    page.wait_for_url("**filed=**")
    assert page.get_by_role("status").inner_text().startswith("Your request (Access to my data")
    assert page.locator("table.my-requests tbody tr").count() == 1
    erasure = page.get_by_role("button", name="Ask for erasure")
    erasure.click()  # the box is required: the browser keeps the form from being sent
    assert page.locator("table.my-requests tbody tr").count() == 1
    _shot(page, "my-rights")

    [request] = services.book.for_subject(person.subscriber_id)
    dpo = f"dpo-{uuid.uuid4().hex[:6]}@fluxtel.example"
    services.accounts.create(dpo, PASSWORD, Role.DPO)
    officer = chromium.new_context(viewport={"width": 1100, "height": 850})
    try:
        desk = officer.new_page()
        _sign_in(desk, live_server.url, dpo, "/dpo")
        row = desk.locator(f'tr[data-request="{request.request_id}"]')
        assert "30 days left" in row.inner_text() or "31 days left" in row.inner_text()
        _shot(desk, "dpo-queue")
        row.get_by_role("link").click()
        desk.wait_for_url(f"**/dpo/requests/{request.request_id}**")
        assert desk.get_by_role("button", name="Carry out the request").is_visible()
        _shot(desk, "dpo-request")
        desk.goto(f"{live_server.url}/dpo/register?lang=en")
        assert desk.locator("#dpia-targeted_offers form").is_visible()
        _shot(desk, "dpo-register")
        desk.goto(f"{live_server.url}/dpo/consents?lang=en")
        _shot(desk, "dpo-consents")
    finally:
        officer.close()


def test_the_agent_console(context: Any, live_server: Any) -> None:
    agent = f"agent-{uuid.uuid4().hex[:6]}@fluxtel.example"
    live_server.services.accounts.create(agent, PASSWORD, Role.AGENT)
    page = context.new_page()
    _sign_in(page, live_server.url, agent, "/agent")
    page.get_by_label("Subscriber id").fill("S000000001")
    page.get_by_label("Why the subscriber called").fill("no")
    page.get_by_role("button", name="Open the ticket").click()
    page.locator("#agent-error").wait_for()  # a reason of one word is refused, in words
    assert "stated reason" in page.locator("#agent-error").inner_text()
    _shot(page, "agent-console")
