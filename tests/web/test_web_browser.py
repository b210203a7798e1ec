"""A real browser (Debian's Chromium via Playwright): the cookie banner and the account area,
each checked in the ledger afterwards.

Set ``TRUSTFLUX_SCREENSHOTS=/some/dir`` to keep a screenshot of each step.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from conftest import add_subscriber
from trustflux.ledger import Event, Method

pytestmark = pytest.mark.slow


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1100, "height": 850})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("TRUSTFLUX_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _wait(page: Any, selector: str) -> None:
    """Wait for an element to exist (selectors, not evaluated JavaScript: the CSP forbids eval)."""
    page.locator(selector).wait_for(state="attached")


def _stored(page: Any) -> dict[str, Any]:
    cookie = next(c for c in page.context.cookies() if c["name"] == "fx_consent")
    state: dict[str, Any] = json.loads(unquote(cookie["value"]))
    return state


def _open_demo(page: Any, live_server: Any, lang: str = "en") -> None:
    page.goto(f"{live_server.url}/demo?lang={lang}")
    page.locator("#fx-banner").wait_for()


def _events(live_server: Any, visitor: str) -> dict[str, tuple[Event, Method]]:
    return {p: (r.event, r.method) for p, r in live_server.services.ledger.current(visitor).items()}


def test_first_layer_is_fair_and_nothing_runs_before_a_choice(page: Any, live_server: Any) -> None:
    _open_demo(page, live_server)
    banner = page.get_by_role("dialog", name="Your cookie choices")
    buttons = [
        banner.get_by_role("button", name=n) for n in ("Accept all", "Reject all", "Customise")
    ]
    boxes = [b.bounding_box() for b in buttons]
    assert all(b is not None for b in boxes)
    assert (
        max(b["width"] for b in boxes) - min(b["width"] for b in boxes) < 1.5
    )  # equally prominent
    assert len({round(b["height"]) for b in boxes}) == 1
    styles = [
        b.evaluate("e => getComputedStyle(e).backgroundColor + getComputedStyle(e).color")
        for b in buttons
    ]
    assert len(set(styles)) == 1
    assert page.evaluate("document.activeElement.id") == "fx-banner"  # keyboard users land on it
    assert (
        page.get_attribute("html", "data-audience") is None
        and page.get_attribute("html", "data-ads") is None
    )
    assert not any(c["name"] in ("_fx_aud", "_fx_ads") for c in page.context.cookies())
    buttons[2].click()
    boxes_checked = [
        banner.get_by_role("checkbox", name=n)
        for n in ("Advertising cookies", "Website and app audience measurement")
    ]
    assert [b.is_checked() for b in boxes_checked] == [False, False]  # nothing pre-ticked
    _shot(page, "banner-customise")


def test_accept_all(page: Any, live_server: Any) -> None:
    _open_demo(page, live_server)
    page.get_by_role("button", name="Accept all").click()
    _wait(page, "html[data-ads='running']")
    assert page.get_attribute("html", "data-audience") == "running"
    assert page.locator("#fx-banner").count() == 0
    visitor = _stored(page)["v"]
    assert _events(live_server, visitor) == {
        "advertising_cookies": (Event.GIVEN, Method.COOKIE_BANNER),
        "web_audience_measurement": (Event.GIVEN, Method.COOKIE_BANNER),
    }
    page.reload()  # remembered: no banner, scripts run
    _wait(page, "html[data-ads='running']")
    assert page.locator("#fx-banner").count() == 0


def test_reject_all(page: Any, live_server: Any) -> None:
    _open_demo(page, live_server, "fr")
    page.get_by_role("button", name="Tout refuser").click()
    _wait(page, "html[data-fx-consent='chosen']")
    assert (
        page.get_attribute("html", "data-audience") is None
        and page.get_attribute("html", "data-ads") is None
    )
    visitor = _stored(page)["v"]
    assert _events(live_server, visitor) == {
        "advertising_cookies": (Event.REFUSED, Method.COOKIE_BANNER),
        "web_audience_measurement": (Event.OBJECTED, Method.COOKIE_BANNER),
    }


def test_customise_with_the_keyboard(page: Any, live_server: Any) -> None:
    _open_demo(page, live_server)
    page.get_by_role("button", name="Customise").focus()
    page.keyboard.press("Enter")
    audience = page.get_by_role("checkbox", name="Website and app audience measurement")
    audience.focus()
    page.keyboard.press("Space")
    assert audience.is_checked()
    page.get_by_role("button", name="Save my choices").focus()
    page.keyboard.press("Enter")
    _wait(page, "html[data-audience='running']")
    assert page.get_attribute("html", "data-ads") is None
    visitor = _stored(page)["v"]
    assert _events(live_server, visitor) == {
        "advertising_cookies": (Event.REFUSED, Method.COOKIE_BANNER),
        "web_audience_measurement": (Event.GIVEN, Method.COOKIE_BANNER),
    }
    # changing one's mind later: the cookie settings link reopens the banner, one click withdraws
    page.get_by_role("button", name="Cookie settings").click()
    page.get_by_role("checkbox", name="Website and app audience measurement").uncheck()
    page.get_by_role("button", name="Save my choices").click()
    page.locator("#fx-banner").wait_for(state="detached")
    assert _events(live_server, visitor)["web_audience_measurement"] == (
        Event.OBJECTED,
        Method.COOKIE_BANNER,
    )


def test_global_privacy_control_refuses_advertising(chromium: Any, live_server: Any) -> None:
    context = chromium.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    page = context.new_page()
    try:
        _open_demo(page, live_server)
        assert page.get_by_text("Global Privacy Control signal").is_visible()
        visitor = _stored(page)["v"]  # the signal alone was recorded before any click
        assert _events(live_server, visitor) == {
            "advertising_cookies": (Event.REFUSED, Method.GPC_SIGNAL)
        }
        page.get_by_role("button", name="Accept all").click()
        _wait(page, "html[data-audience='running']")
        assert page.get_attribute("html", "data-ads") is None
        events = _events(live_server, visitor)
        assert events["advertising_cookies"] == (Event.REFUSED, Method.GPC_SIGNAL)
        assert events["web_audience_measurement"] == (Event.GIVEN, Method.COOKIE_BANNER)
        _shot(page, "banner-gpc")
    finally:
        context.close()


def test_asked_again_when_the_notice_changes(page: Any, live_server: Any) -> None:
    _open_demo(page, live_server)
    page.get_by_role("button", name="Reject all").click()
    page.locator("#fx-banner").wait_for(state="detached")
    state = _stored(page)
    state["n"]["advertising_cookies"] = "2024.1"  # the notice shown then was an older version
    page.context.add_cookies(
        [{"name": "fx_consent", "value": json.dumps(state), "url": live_server.url}]
    )
    page.reload()
    page.locator("#fx-banner").wait_for()
    state["n"]["advertising_cookies"] = "2025.1"
    state["e"] = 1000  # and after six months (expired choice)
    page.context.add_cookies(
        [{"name": "fx_consent", "value": json.dumps(state), "url": live_server.url}]
    )
    page.reload()
    page.locator("#fx-banner").wait_for()


def test_account_area_switches(page: Any, live_server: Any) -> None:
    services = live_server.services
    subscriber = f"K{uuid.uuid4().hex[:10]}"
    username = add_subscriber(services, subscriber).username
    page.goto(f"{live_server.url}/account?lang=en")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url("**/account?lang=en")
    offers = page.get_by_role("switch", name="Targeted offers (Fluxtel Plus programme)")
    assert offers.get_attribute("aria-checked") == "false"
    offers.focus()
    page.keyboard.press("Enter")  # one key press to give
    page.wait_for_url("**saved=targeted_offers**")
    offers = page.get_by_role("switch", name="Targeted offers (Fluxtel Plus programme)")
    assert offers.get_attribute("aria-checked") == "true"
    assert services.ledger.current(subscriber)["targeted_offers"].event is Event.GIVEN
    offers.click()  # one click to withdraw
    page.wait_for_url("**saved=targeted_offers**")
    assert services.ledger.current(subscriber)["targeted_offers"].event is Event.WITHDRAWN
    page.get_by_role("switch", name="Anonymous mobility statistics for territories").click()
    page.wait_for_url("**saved=mobility_statistics**")
    latest = services.ledger.current(subscriber)["mobility_statistics"]
    assert (latest.event, latest.method) == (Event.OBJECTED, Method.ACCOUNT_AREA)
    assert not services.gate.decide(subscriber, "mobility_statistics").allow
    assert page.locator("table.history tbody tr").count() == 3
    _shot(page, "account-area")
