"""The DPO workspace: request queue and request page, register and DPIA decisions, consent
rates, processing runs and statistics releases; only the DPO gets in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import Person, _settings, fast_passwords
from trustflux.accounts import Role
from trustflux.audit import JOB_RUN, STATISTICS_RELEASE
from trustflux.ledger import Choice, Event, Method
from trustflux.web import create_app
from trustflux.web.services import Services

DPO_PAGES = ["/dpo", "/dpo/register", "/dpo/consents", "/dpo/runs", "/dpo/releases"]


@pytest.fixture
def dpo(client: TestClient, make_staff: Callable[[Role], Person], login: Any) -> TestClient:
    login(client, make_staff(Role.DPO))
    return client


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_dpo_page_renders_in_both_languages(dpo: TestClient, lang: str) -> None:
    for path in DPO_PAGES:
        response = dpo.get(f"{path}?lang={lang}")
        assert response.status_code == 200, (path, response.text[:500])
        assert f'<html lang="{lang}">' in response.text and "<h1>" in response.text


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.AGENT, Role.ANALYST])
def test_only_the_dpo_gets_in(
    client: TestClient,
    make_subscriber: Callable[[], Person],
    make_staff: Callable[[Role], Person],
    login: Any,
    role: Role,
) -> None:
    assert client.get("/dpo").status_code == 303  # signed out: to the sign-in form
    login(client, make_subscriber() if role is Role.SUBSCRIBER else make_staff(role))
    for path in DPO_PAGES:
        assert client.get(path).status_code == 403, path


def test_an_agent_cannot_approve_a_dpia(
    client: TestClient, make_staff: Callable[[Role], Person], login: Any, csrf_of: Any
) -> None:
    login(client, make_staff(Role.AGENT))
    token = csrf_of(client.get("/?lang=en").text)
    response = client.post(
        "/dpo/register/targeted_offers/dpia",
        data={"decision": "approved", "note": "looks fine", "csrf_token": token},
    )
    assert response.status_code == 403


def _decide(dpo: TestClient, csrf_of: Any, purpose: str, decision: str, note: str) -> None:
    token = csrf_of(dpo.get("/dpo/register?lang=en").text)
    response = dpo.post(
        f"/dpo/register/{purpose}/dpia?lang=en",
        data={"decision": decision, "note": note, "csrf_token": token},
    )
    assert response.status_code == 303, response.text[:400]
    assert response.headers["location"].startswith(f"/dpo/register?lang=en&saved={purpose}")


def test_dpia_decisions_are_recorded_and_the_gate_follows_them(
    dpo: TestClient,
    services: Services,
    make_subscriber: Callable[[], Person],
    csrf_of: Any,
) -> None:
    purpose = "targeted_offers"  # opt-in: a subscriber who agreed is allowed while cleared
    person = make_subscriber()
    choice = Choice(
        subject=person.subscriber_id,
        purpose=purpose,
        event=Event.GIVEN,
        method=Method.ACCOUNT_AREA,
        language="en",
        actor="subscriber:test",
    )
    services.ledger.append(choice)
    page = dpo.get("/dpo/register?lang=en").text
    assert "The gate denies every processing for a purpose whose impact assessment" in page
    assert "/dpo/register/export.csv" in page
    _decide(dpo, csrf_of, purpose, "rejected", "DPIA-2025-099: re-identification risk")
    page = dpo.get("/dpo/register?lang=en").text
    block = page[page.index(f'id="dpia-{purpose}"') :]
    block = block[: block.index("</li>")]
    assert 'data-status="rejected"' in block and "the gate denies it for everyone" in block
    assert "DPIA-2025-099: re-identification risk" in block
    assert services.gate.decide(person.subscriber_id, purpose).allow is False
    _decide(dpo, csrf_of, purpose, "approved", "mitigations accepted")
    page = dpo.get("/dpo/register?lang=en").text
    block = page[page.index(f'id="dpia-{purpose}"') :]
    assert 'data-status="approved"' in block[: block.index("</li>")]
    assert services.gate.decide(person.subscriber_id, purpose).allow is True
    entries = [e for e in services.trail.entries() if e.action == "dpia.decided"]
    assert entries[-1].purpose == purpose and entries[-1].details["status"] == "approved"


def test_a_decision_needs_a_note_and_a_known_purpose(dpo: TestClient, csrf_of: Any) -> None:
    token = csrf_of(dpo.get("/dpo/register?lang=en").text)
    empty = dpo.post(
        "/dpo/register/targeted_offers/dpia",
        data={"decision": "approved", "note": "", "csrf_token": token},
    )
    assert empty.status_code == 422
    unknown = dpo.post(
        "/dpo/register/no_such_purpose/dpia",
        data={"decision": "approved", "note": "x", "csrf_token": token},
    )
    assert unknown.status_code == 404


def test_the_art30_record_downloads(dpo: TestClient) -> None:
    csv = dpo.get("/dpo/register/export.csv")
    assert csv.status_code == 200 and csv.text.startswith("purpose_id,")
    assert "attachment" in csv.headers["content-disposition"]
    assert dpo.get("/dpo/register/export.json").json()
    assert dpo.get("/dpo/register/export.xml").status_code == 422


def test_consent_rates_count_the_latest_choices(
    dpo: TestClient, services: Services, make_subscriber: Callable[[], Person]
) -> None:
    people = [make_subscriber() for _ in range(3)]
    for person, event in zip(people, [Event.GIVEN, Event.GIVEN, Event.REFUSED], strict=True):
        services.ledger.append(
            Choice(
                subject=person.subscriber_id,
                purpose="targeted_offers",
                event=event,
                method=Method.ACCOUNT_AREA,
                language="en",
                actor="subscriber:test",
            )
        )
    page = dpo.get("/dpo/consents?lang=en").text
    row = re.search(r'<tr data-purpose="targeted_offers">(.*?)</tr>', page, re.S)
    assert row is not None
    given = re.search(r'data-event="given">(\d+)', row.group(1))
    assert given is not None and int(given.group(1)) >= 2
    assert 'data-event="objected"' in row.group(1)
    assert "%" in row.group(1)


def test_runs_and_releases_come_from_the_audit_trail_newest_first(
    dpo: TestClient, services: Services
) -> None:
    tag = datetime.now(UTC).strftime("%H%M%S%f")
    for n in range(2):
        services.trail.append(
            "job:fraud",
            JOB_RUN,
            purpose="fraud_detection",
            details={"run_id": f"fraud-{tag}-{n}", "job": "fraud", "counts": {"alerts": n}},
        )
    services.trail.append(
        "job:statistics",
        STATISTICS_RELEASE,
        purpose="mobility_statistics",
        details={
            "release_id": f"rel-{tag}",
            "period": {"first_day": "2025-01-01", "last_day": "2025-01-07"},
            "epsilon": 1.25,
            "counts": {"presence": 10},
        },
    )
    runs = dpo.get("/dpo/runs?lang=en").text
    assert runs.index(f"fraud-{tag}-1") < runs.index(f"fraud-{tag}-0")
    assert "alerts: 1" in runs
    releases = dpo.get("/dpo/releases?lang=en").text
    assert f"rel-{tag}" in releases and "ε = 1.25" in releases
    assert "2025-01-01 \N{EN DASH} 2025-01-07" in releases


# -- the queue ----------------------------------------------------------------------------------
class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(db_url: str, tmp_path: Path) -> Iterator[tuple[FastAPI, Clock]]:
    """An app of its own whose clock the test moves (requests filed and queued 'then')."""
    clock = Clock(datetime(2031, 3, 1, 9, 0, tzinfo=UTC))
    application = create_app(_settings(tmp_path, db_url), clock=clock, passwords=fast_passwords())
    with TestClient(application):
        yield application, clock


def test_the_queue_sorts_by_due_date_and_flags_overdue_requests_in_words(
    clocked: tuple[FastAPI, Clock], login: Any
) -> None:
    application, clock = clocked
    services: Services = application.state.services
    subject = f"Q{datetime.now(UTC).strftime('%H%M%S%f')}"
    book = services.book
    old = book.file(subject, "access", channel="account", filed_by="subscriber:q")
    clock.now += timedelta(days=10)
    newer = book.file(subject, "erasure", channel="web", filed_by="web")
    clock.now += timedelta(days=25)  # 35 days after the first: overdue by 4 days (March 31)
    officer = Person("", f"dpo-{subject}@fluxtel.example")
    services.accounts.create(officer.username, officer.password, Role.DPO)
    client = TestClient(application, follow_redirects=False)
    login(client, officer)
    page = client.get("/dpo?lang=en").text
    assert page.index(old.request_id) < page.index(newer.request_id)
    first = page[page.index(f'data-request="{old.request_id}"') :]
    first = first[: first.index("</tr>")]
    assert 'class="overdue"' in first and "Overdue by 4 days" in first
    second = page[page.index(f'data-request="{newer.request_id}"') :]
    second = second[: second.index("</tr>")]
    assert "overdue" not in second and "6 days left" in second
    assert "requests are overdue" in page
    only = client.get("/dpo?lang=en&kind=erasure").text
    assert newer.request_id in only and old.request_id not in only
    received = client.get("/dpo?lang=en&status=received").text
    assert newer.request_id in received and old.request_id not in received


def test_a_request_whose_execution_failed_can_be_run_again_from_its_page(
    dpo: TestClient,
) -> None:
    services: Services = dpo.app.state.services  # type: ignore[attr-defined]
    subject = f"R{datetime.now(UTC).strftime('%H%M%S%f')}"
    filed = services.book.file(subject, "access", channel="account", filed_by="subscriber:r")
    services.book.start(filed.request_id, actor="dpo")
    services.book.record_failure(filed.request_id, error="StoreError: disk full", actor="dpo")
    page = dpo.get(f"/dpo/requests/{filed.request_id}?lang=en").text
    assert 'data-step="failed"' in page
    assert f"/dpo/requests/{filed.request_id}/execute" in page  # failures are retryable
