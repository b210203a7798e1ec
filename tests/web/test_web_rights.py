"""Subscribers' rights requests: filed from the account area (verified by the session), carried
out by the DPO, the export downloaded by its subscriber only; the public form verified by a
one-time code sent to the number on file."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import PASSWORD, Person, WorldApp
from trustflux.accounts import Role
from trustflux.operations.common import read_store_table
from trustflux.rights.otp import outbox_path

_used: set[str] = set()


def world_subscriber(world: WorldApp, *, with_gateway: bool | None = None) -> dict[str, Any]:
    """A subscriber of the world no other test of the session has used."""
    rows = read_store_table(
        world.services.settings, "subscribers", ["subscriber_id", "msisdn", "gateway_id"]
    ).to_pylist()
    for row in rows:
        if row["subscriber_id"] in _used:
            continue
        if with_gateway is not None and (row["gateway_id"] is not None) != with_gateway:
            continue
        _used.add(row["subscriber_id"])
        found: dict[str, Any] = row
        return found
    raise AssertionError("the small world ran out of subscribers")


def account_for(world: WorldApp, subscriber_id: str) -> Person:
    username = f"{subscriber_id.lower()}-{uuid.uuid4().hex[:4]}@example.com"
    world.services.accounts.create(username, PASSWORD, Role.SUBSCRIBER, subscriber_id)
    return Person(subscriber_id, username)


def staff(world: WorldApp, role: Role) -> Person:
    username = f"{role.value}-{uuid.uuid4().hex[:8]}@fluxtel.example"
    world.services.accounts.create(username, PASSWORD, role)
    return Person("", username)


def browser(world: WorldApp, login: Any, person: Person) -> TestClient:
    client = TestClient(world.app, follow_redirects=False)
    login(client, person)
    return client


def last_code(world: WorldApp) -> str:
    lines = outbox_path(world.services.settings).read_text(encoding="utf-8").splitlines()
    match = re.search(r"\b(\d{6})\b", json.loads(lines[-1])["text"])
    assert match is not None
    return match.group(1)


def test_my_rights_page_in_both_languages(signed_in: tuple[TestClient, Person]) -> None:
    client, _ = signed_in
    for lang, words in [("en", "What an erasure does"), ("fr", "Ce que fait un effacement")]:
        page = client.get(f"/account/rights?lang={lang}")
        assert page.status_code == 200 and words in page.text
        # what an erasure keeps comes from the register's retention exceptions
        assert "GDPR Art. 7(1)" in page.text and "GDPR Art. 17(1) and 19" in page.text
    assert "/account/rights" in client.get("/account?lang=en").text


def test_filing_checks_each_kind(
    signed_in: tuple[TestClient, Person], csrf_of: Callable[[str], str]
) -> None:
    client, _ = signed_in
    token = csrf_of(client.get("/account/rights?lang=en").text)

    def post(**data: Any) -> Any:
        return client.post("/account/rights?lang=en", data={"csrf_token": token, **data})

    refused = post(kind="erasure")
    assert refused.status_code == 422 and "tick the box" in refused.text
    assert post(kind="objection").status_code == 422
    assert post(kind="rectification").status_code == 422
    assert post(kind="restriction", reason="").status_code == 422
    ok = post(kind="objection", purposes=["targeted_offers"])
    assert ok.status_code == 303
    page = client.get(ok.headers["location"]).text
    assert "Your request (Objection (Art. 21)) is recorded" in page
    assert post(kind="rectification", age_bracket="25-34").status_code == 303
    assert post(kind="restriction", reason="my billing zone is wrong").status_code == 303
    assert post(kind="erasure", confirm="yes").status_code == 303
    html = client.get("/account/rights?lang=en").text
    assert html.count("<tr data-request=") == 4
    assert 'data-status="verified"' in html  # filed signed in: verified by the session


def test_access_request_from_the_account_to_the_dpo_and_back_as_a_zip(
    world_app: WorldApp, login: Any, csrf_of: Callable[[str], str]
) -> None:
    me = account_for(world_app, world_subscriber(world_app)["subscriber_id"])
    mine = browser(world_app, login, me)
    token = csrf_of(mine.get("/account/rights?lang=en").text)
    filed = mine.post("/account/rights?lang=en", data={"kind": "access", "csrf_token": token})
    assert filed.status_code == 303
    request_id = re.search(r"filed=([0-9a-f-]{36})", filed.headers["location"]).group(1)  # type: ignore[union-attr]

    dpo = browser(world_app, login, staff(world_app, Role.DPO))
    queue = dpo.get("/dpo?lang=en").text
    assert f'data-request="{request_id}"' in queue
    page = dpo.get(f"/dpo/requests/{request_id}?lang=en").text
    assert 'data-step="filed"' in page and 'data-step="verified"' in page
    done = dpo.post(
        f"/dpo/requests/{request_id}/execute?lang=en", data={"csrf_token": csrf_of(page)}
    )
    assert done.status_code == 303, done.text[:500]
    page = dpo.get(done.headers["location"]).text
    assert "Request carried out." in page and 'data-step="completed"' in page
    assert f'data-request="{request_id}"' not in dpo.get("/dpo?lang=en").text  # answered
    assert dpo.get(f"/dpo/requests/{request_id}/export").status_code == 200

    html = mine.get("/account/rights?lang=en").text
    row = html[html.index(f'data-request="{request_id}"') :]
    assert 'data-status="completed"' in row[: row.index("</tr>")]
    download = mine.get(f"/account/rights/requests/{request_id}/export")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.content[:2] == b"PK"

    other = account_for(world_app, world_subscriber(world_app)["subscriber_id"])
    assert (
        browser(world_app, login, other)
        .get(f"/account/rights/requests/{request_id}/export")
        .status_code
        == 404
    )
    assert mine.get(f"/dpo/requests/{request_id}/export").status_code == 403


def test_the_public_form_verifies_with_a_code_sent_to_the_number_on_file(
    world_app: WorldApp, csrf_of: Callable[[str], str]
) -> None:
    person = world_subscriber(world_app)
    visitor = TestClient(world_app.app, follow_redirects=False)
    form = visitor.get("/rights/request?lang=en")
    assert form.status_code == 200
    sent = visitor.post(
        "/rights/request?lang=en",
        data={"msisdn": "+" + person["msisdn"], "kind": "access", "csrf_token": csrf_of(form.text)},
    )
    assert sent.status_code == 200 and "Enter your code" in sent.text
    outbox = json.loads(outbox_path(world_app.services.settings).read_text().splitlines()[-1])
    assert outbox["to"] == person["msisdn"]
    sealed = re.search(r'name="sealed" value="([^"]+)"', sent.text).group(1)  # type: ignore[union-attr]
    code = last_code(world_app)
    wrong = "000000" if code != "000000" else "111111"
    token = csrf_of(sent.text)
    bad = visitor.post(
        "/rights/request/verify?lang=en",
        data={"sealed": sealed, "code": wrong, "csrf_token": token},
    )
    assert bad.status_code == 422 and "This code is not right" in bad.text
    good = visitor.post(
        "/rights/request/verify?lang=en",
        data={"sealed": sealed, "code": code, "csrf_token": token},
    )
    assert good.status_code == 200 and 'id="verified"' in good.text
    [filed] = world_app.services.book.for_subject(person["subscriber_id"])
    assert filed.status.value == "verified" and filed.verification == "otp_sms"
    assert filed.channel.value == "web"
    again = visitor.post(
        "/rights/request/verify?lang=en",
        data={"sealed": sealed, "code": code, "csrf_token": token},
    )
    assert again.status_code == 422  # a code works once


def test_the_public_form_tells_nobody_who_is_a_customer(
    world_app: WorldApp, csrf_of: Callable[[str], str]
) -> None:
    visitor = TestClient(world_app.app, follow_redirects=False)
    form = visitor.get("/rights/request?lang=fr")
    sent = visitor.post(
        "/rights/request?lang=fr",
        data={"msisdn": "+33 7 00 00 00 00", "kind": "access", "csrf_token": csrf_of(form.text)},
    )
    assert sent.status_code == 200 and "Saisissez votre code" in sent.text
    sealed = re.search(r'name="sealed" value="([^"]+)"', sent.text).group(1)  # type: ignore[union-attr]
    tried = visitor.post(
        "/rights/request/verify?lang=fr",
        data={"sealed": sealed, "code": "123456", "csrf_token": csrf_of(sent.text)},
    )
    assert tried.status_code == 422 and "Ce code n&#39;est pas le bon" in tried.text
    forged = visitor.post(
        "/rights/request/verify?lang=fr",
        data={"sealed": "forged", "code": "123456", "csrf_token": csrf_of(sent.text)},
    )
    assert forged.status_code == 422


def _code_error(page: str) -> str:
    found = re.search(r'id="code-error">([^<]*)<', page)
    assert found is not None, page[:400]
    return found.group(1)


def test_a_customer_s_number_and_another_get_the_same_answers(
    world_app: WorldApp, csrf_of: Callable[[str], str]
) -> None:
    """Neither a wrong code nor the hourly limit on codes tells a customer's number apart."""
    person = world_subscriber(world_app)
    answers: dict[str, list[tuple[int, str]]] = {}
    for number in ("+" + person["msisdn"], "+33 7 00 00 00 01"):
        visitor = TestClient(world_app.app, follow_redirects=False)
        seen = answers.setdefault(number, [])
        for _ in range(6):  # over the codes a number may receive in an hour
            form = visitor.get("/rights/request?lang=en")
            sent = visitor.post(
                "/rights/request?lang=en",
                data={"msisdn": number, "kind": "access", "csrf_token": csrf_of(form.text)},
            )
            assert sent.status_code == 200, sent.text[:400]
            seen.append(
                (sent.status_code, "Enter your code" in sent.text and "sealed" in sent.text)
            )
        sealed = re.search(r'name="sealed" value="([^"]+)"', sent.text).group(1)  # type: ignore[union-attr]
        for code in ("000000", "999999"):
            tried = visitor.post(
                "/rights/request/verify?lang=en",
                data={"sealed": sealed, "code": code, "csrf_token": csrf_of(sent.text)},
            )
            seen.append((tried.status_code, _code_error(tried.text)))
    customer, other = answers.values()
    assert customer == other


@pytest.mark.parametrize("path", ["/account/rights", "/rights/request"])
def test_forms_need_their_token(world_app: WorldApp, path: str) -> None:
    visitor = TestClient(world_app.app, follow_redirects=False)
    visitor.get("/rights/request")
    response = visitor.post(path, data={"kind": "access", "msisdn": "33600000000"})
    assert response.status_code in (303, 403)


def test_the_dpo_extends_then_refuses_and_the_person_is_told_each_time(
    world_app: WorldApp, login: Any, csrf_of: Callable[[str], str]
) -> None:
    person = world_subscriber(world_app)
    filed = world_app.services.book.file(
        person["subscriber_id"], "access", channel="account", filed_by=person["subscriber_id"]
    )
    dpo = browser(world_app, login, staff(world_app, Role.DPO))
    page = dpo.get(f"/dpo/requests/{filed.request_id}?lang=en").text
    extended = dpo.post(
        f"/dpo/requests/{filed.request_id}/extend?lang=en",
        data={"months": "2", "reason": "records in the archive", "csrf_token": csrf_of(page)},
    )
    assert extended.status_code == 303, extended.text[-800:]
    assert "told=1" in extended.headers["location"]
    page = dpo.get(extended.headers["location"]).text
    assert "Deadline extended." in page and "sent the reason by text message" in page
    notice = json.loads(outbox_path(world_app.services.settings).read_text().splitlines()[-1])
    assert notice["to"] == person["msisdn"] and "records in the archive" in notice["text"]

    refused = dpo.post(
        f"/dpo/requests/{filed.request_id}/refuse?lang=en",
        data={"reason": "manifestly excessive", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 303 and "told=1" in refused.headers["location"]
    notice = json.loads(outbox_path(world_app.services.settings).read_text().splitlines()[-1])
    assert "manifestly excessive" in notice["text"] and "CNIL" in notice["text"]
    steps = [
        e.details.get("about")
        for e in world_app.services.trail.entries(subject=person["subscriber_id"])
        if e.action == "rights_request.informed"
    ]
    assert steps == ["extension", "refusal"]


def test_sending_the_public_form_again_reuses_the_request_waiting_for_its_code(
    world_app: WorldApp, csrf_of: Callable[[str], str]
) -> None:
    person = world_subscriber(world_app)
    visitor = TestClient(world_app.app, follow_redirects=False)
    for _ in range(3):
        form = visitor.get("/rights/request?lang=en")
        sent = visitor.post(
            "/rights/request?lang=en",
            data={"msisdn": person["msisdn"], "kind": "access", "csrf_token": csrf_of(form.text)},
        )
        assert sent.status_code == 200
    filed = world_app.services.book.for_subject(person["subscriber_id"])
    assert len(filed) == 1 and filed[0].status.value == "received"
    form = visitor.get("/rights/request?lang=en")
    visitor.post(
        "/rights/request?lang=en",
        data={
            "msisdn": person["msisdn"],
            "kind": "erasure",
            "confirm": "yes",
            "csrf_token": csrf_of(form.text),
        },
    )
    kinds = sorted(
        r.kind.value for r in world_app.services.book.for_subject(person["subscriber_id"])
    )
    assert kinds == ["access", "erasure"]
