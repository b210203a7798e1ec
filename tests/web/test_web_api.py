"""The JSON API: record, read back, decide, bulk eligibility, admin; 4xx with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from trustflux.accounts import Role
from trustflux.web.services import Services

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Bearer = Callable[[Role], dict[str, str]]


def _record(subject: str, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "subject": subject,
        "purpose": "targeted_offers",
        "event": "given",
        "method": "call_centre",
        "occurred_at": T0.isoformat(),
    }
    body.update(fields)
    return body


def test_an_agent_records_a_choice_and_reads_it_back(
    client: TestClient, bearer: Bearer, make_subscriber: Callable[[], Any]
) -> None:
    person = make_subscriber()
    agent = bearer(Role.AGENT)
    created = client.post("/api/v1/records", json=_record(person.subscriber_id), headers=agent)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["event"] == "given" and record["method"] == "call_centre"
    assert record["actor"].startswith("agent:")
    assert created.headers["location"] == f"/api/v1/records/{record['record_id']}"
    fetched = client.get(created.headers["location"], headers=agent).json()
    assert fetched == record
    history = client.get(f"/api/v1/subjects/{person.subscriber_id}/records", headers=agent).json()
    assert [r["record_id"] for r in history] == [record["record_id"]]
    state = client.get(f"/api/v1/subjects/{person.subscriber_id}/state", headers=agent).json()
    offers = next(s for s in state if s["purpose"] == "targeted_offers")
    assert offers["allow"] and offers["latest"]["record_id"] == record["record_id"]
    billing = next(s for s in state if s["purpose"] == "billing")
    assert billing["allow"] and billing["code"] == "contract_running"
    receipt = client.get(f"/api/v1/records/{record['record_id']}/receipt", headers=agent)
    assert receipt.status_code == 200
    assert "attachment" in receipt.headers["content-disposition"]
    assert receipt.json()["header"]["record_id"] == record["record_id"]


@pytest.mark.parametrize(
    ("fields", "status", "error", "words"),
    [
        ({"purpose": "telepathy"}, 422, "UnknownPurposeError", "unknown purpose"),
        ({"subject": "S 1;--"}, 422, "InvalidRecordError", "malformed"),
        ({"record_id": "42"}, 422, "InvalidRecordError", "not a UUID"),
        ({"purpose": "billing"}, 422, "InvalidRecordError", "information only"),
        ({"event": "objected"}, 422, "InvalidRecordError", "does not apply"),
        ({"occurred_at": "2026-03-02T09:00:00"}, 422, "InvalidRecordError", "time zone"),
        ({"notice_hash": "0" * 64}, 422, "InvalidRecordError", "does not match"),
        ({"event": "sometimes"}, 422, None, None),  # schema validation (FastAPI)
        ({"unexpected": 1}, 422, None, None),
    ],
)
def test_bad_input_gets_a_4xx_with_the_reason_and_changes_nothing(
    client: TestClient,
    bearer: Bearer,
    make_subscriber: Callable[[], Any],
    fields: dict[str, object],
    status: int,
    error: str | None,
    words: str | None,
) -> None:
    person = make_subscriber()
    agent = bearer(Role.AGENT)
    first = client.post("/api/v1/records", json=_record(person.subscriber_id), headers=agent)
    assert first.status_code == 201
    before = client.get(f"/api/v1/subjects/{person.subscriber_id}/records", headers=agent).json()
    body = _record(person.subscriber_id, occurred_at=(T0 + timedelta(hours=1)).isoformat())
    body.update(fields)
    response = client.post("/api/v1/records", json=body, headers=agent)
    assert response.status_code == status, response.text
    if error:
        assert response.json()["error"] == error and words in response.json()["detail"]
    after = client.get(f"/api/v1/subjects/{person.subscriber_id}/records", headers=agent).json()
    assert after == before


def test_replayed_and_out_of_order_events_are_409_and_nothing_is_lost(
    client: TestClient, bearer: Bearer, make_subscriber: Callable[[], Any]
) -> None:
    person = make_subscriber()
    agent = bearer(Role.AGENT)
    record_id = str(uuid.uuid4())
    first = client.post(
        "/api/v1/records", json=_record(person.subscriber_id, record_id=record_id), headers=agent
    )
    assert first.status_code == 201
    replay = client.post(
        "/api/v1/records", json=_record(person.subscriber_id, record_id=record_id), headers=agent
    )
    assert replay.status_code == 409 and replay.json()["error"] == "ReplayError"
    same = client.post("/api/v1/records", json=_record(person.subscriber_id), headers=agent)
    assert same.status_code == 409 and "already has" in same.json()["detail"]
    late = client.post(
        "/api/v1/records",
        json=_record(
            person.subscriber_id,
            event="withdrawn",
            occurred_at=(T0 - timedelta(days=1)).isoformat(),
        ),
        headers=agent,
    )
    assert late.status_code == 409 and late.json()["error"] == "OutOfOrderError"
    history = client.get(f"/api/v1/subjects/{person.subscriber_id}/records", headers=agent).json()
    assert history == [first.json()]
    verify = client.get(
        f"/api/v1/subjects/{person.subscriber_id}/verify", headers=bearer(Role.DPO)
    ).json()
    assert verify["intact"] is True


def test_decisions_one_and_many(
    client: TestClient, bearer: Bearer, make_subscriber: Callable[[], Any]
) -> None:
    person = make_subscriber()
    client.post(
        "/api/v1/records",
        json=_record(person.subscriber_id, purpose="mobility_statistics", event="objected"),
        headers=bearer(Role.AGENT),
    )
    job = bearer(Role.ANALYST)
    one = client.get(
        "/api/v1/decisions",
        params={"subject": person.subscriber_id, "purpose": "mobility_statistics"},
        headers=job,
    )
    assert (
        one.status_code == 200 and one.json()["allow"] is False and one.json()["code"] == "objected"
    )
    before = client.get(
        "/api/v1/decisions",
        params={
            "subject": person.subscriber_id,
            "purpose": "mobility_statistics",
            "at": (T0 - timedelta(days=1)).isoformat(),
        },
        headers=job,
    ).json()
    assert before["allow"] is True
    bad = client.get(
        "/api/v1/decisions", params={"subject": "x y", "purpose": "billing"}, headers=job
    )
    assert bad.status_code == 422 and "malformed" in bad.json()["detail"]
    unknown = client.get(
        "/api/v1/decisions", params={"subject": "S1", "purpose": "nope"}, headers=job
    )
    assert unknown.status_code == 422 and "unknown purpose" in unknown.json()["detail"]
    many = client.post(
        "/api/v1/decisions",
        json={
            "queries": [
                {"subject": person.subscriber_id, "purpose": "billing"},
                {"subject": "bad id", "purpose": "billing"},
            ]
        },
        headers=job,
    ).json()["decisions"]
    assert many[0]["allow"] is True and many[1]["error"] == "GateError"


def test_bulk_eligibility_as_arrow(
    client: TestClient, bearer: Bearer, make_subscriber: Callable[[], Any]
) -> None:
    people = [make_subscriber() for _ in range(3)]
    client.post(
        "/api/v1/records",
        json=_record(people[0].subscriber_id, purpose="mobility_statistics", event="objected"),
        headers=bearer(Role.AGENT),
    )
    job = bearer(Role.ANALYST)
    synced = client.get("/api/v1/eligible/mobility_statistics", headers=job)
    assert synced.headers["content-type"] == "application/vnd.apache.arrow.stream"
    ids = set(pa.ipc.open_stream(synced.content).read_all().column("subscriber_id").to_pylist())
    assert people[1].subscriber_id in ids and people[0].subscriber_id not in ids
    table = pa.table({"subscriber_id": [p.subscriber_id for p in people], "zone": ["a", "b", "c"]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    posted = client.post(
        "/api/v1/eligible/mobility_statistics",
        content=sink.getvalue().to_pybytes(),
        headers={**job, "Content-Type": "application/vnd.apache.arrow.stream"},
    )
    result = pa.ipc.open_stream(posted.content).read_all()
    assert result.column_names == ["subscriber_id", "zone"]
    assert result.column("subscriber_id").to_pylist() == [p.subscriber_id for p in people[1:]]
    garbage = client.post("/api/v1/eligible/mobility_statistics", content=b"not arrow", headers=job)
    assert garbage.status_code == 422 and "Arrow" in garbage.json()["detail"]


def test_admin_manages_accounts_and_tokens(
    client: TestClient, bearer: Bearer, services: Services
) -> None:
    admin = bearer(Role.ADMIN)
    name = f"agent-{uuid.uuid4().hex[:6]}@fluxtel.example"
    created = client.post(
        "/api/v1/accounts",
        json={"username": name, "password": "a long enough password", "role": "agent"},
        headers=admin,
    )
    assert created.status_code == 201 and created.json()["role"] == "agent"
    assert "password" not in created.text and "hash" not in created.text
    duplicate = client.post(
        "/api/v1/accounts",
        json={"username": name, "password": "a long enough password", "role": "agent"},
        headers=admin,
    )
    assert duplicate.status_code == 422
    token = client.post(
        "/api/v1/tokens", json={"name": "mobility optout", "role": "analyst"}, headers=admin
    ).json()
    assert token["token"].startswith("tf_")
    job = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/me", headers=job).json()["role"] == "analyst"
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert all("token" not in t and "secret" not in str(t) for t in listed)
    assert client.delete(f"/api/v1/tokens/{token['token_id']}", headers=admin).status_code == 204
    services.tokens._cache.clear()  # revocation reaches every worker within the cache time
    revoked = client.get("/api/v1/me", headers=job)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_transparency_json_is_public(client: TestClient, services: Services) -> None:
    purposes = client.get("/api/v1/purposes?lang=fr").json()
    assert [p["id"] for p in purposes] == list(services.register.purpose_ids)
    offers = client.get("/api/v1/purposes/targeted_offers?lang=en").json()
    assert offers["lawful_basis"]["code"] == "consent"
    assert offers["retention"]["label"] == "12 months"
    assert {
        "what": "Proof of your consent and its withdrawal",
        "period": "P5Y",
        "label": "5 years",
    }.items() <= (offers["retention"]["exceptions"][0].items())
    badge = client.get("/api/v1/badges/app:fluxtel_et_moi?lang=fr").json()
    assert {p["id"] for p in badge["purposes"]} == {
        p.id for p in services.register.purposes_for("app:fluxtel_et_moi")
    }
    assert client.get("/api/v1/purposes/nope").status_code == 404
    assert client.get("/api/v1/badges/app:nope").status_code == 404
    assert client.get("/healthz").json()["status"] == "ok"
    schema = client.get("/openapi.json").json()
    assert "/api/v1/records" in schema["paths"] and "/api/v1/decisions" in schema["paths"]
    body = schema["paths"]["/api/v1/records"]["post"]["requestBody"]["content"]["application/json"]
    assert "subject" in body["schema"]["properties"] and "$ref" not in str(body)
    parameters = schema["paths"]["/api/v1/decisions"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["subject", "purpose", "at"]


def test_any_token_name_makes_a_valid_actor(
    client: TestClient, services: Services, make_subscriber: Callable[[], Any]
) -> None:
    person = make_subscriber()
    _, secret = services.accounts.create_token("CRM (call centre) / v2+", Role.AGENT)
    created = client.post(
        "/api/v1/records",
        json=_record(person.subscriber_id),
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["actor"] == "agent:CRM__call_centre____v2+"
