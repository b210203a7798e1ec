"""The banner's API: visitor ids and tokens, choices to events, GPC, refusals with reasons."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from trustflux.ledger import Event, Method
from trustflux.web.services import Services

SITE = "website:fluxtel.example"


def _config(client: TestClient, lang: str = "en") -> dict[str, Any]:
    response = client.get(f"/banner/v1/config?site={SITE}&lang={lang}")
    assert response.status_code == 200
    config: dict[str, Any] = response.json()
    return config


def _choices(config: dict[str, Any], accepted: dict[str, bool]) -> list[dict[str, Any]]:
    return [
        {
            "purpose": p["id"],
            "accepted": accepted[p["id"]],
            "notice_version": p["notice_version"],
            "notice_hash": p["notice_hash"],
        }
        for p in config["purposes"]
        if not p["required"]
    ]


def test_config_lists_the_sites_cookie_purposes(client: TestClient) -> None:
    config = _config(client, "fr")
    ids = [p["id"] for p in config["purposes"]]
    assert ids == ["advertising_cookies", "strictly_necessary_cookies", "web_audience_measurement"]
    necessary = config["purposes"][1]
    assert necessary["required"] is True and "fx_consent" in necessary["cookies"]
    assert config["purposes"][0]["advertising"] is True
    assert config["ask_again_months"] == 6
    assert config["texts"]["accept_all"] == "Tout accepter"
    assert client.get("/banner/v1/config?site=website:elsewhere.example").status_code == 422


def test_accept_then_reject_writes_given_then_withdrawn_and_objected(
    client: TestClient, services: Services
) -> None:
    config = _config(client)
    first = client.post(
        "/banner/v1/choices",
        json={
            "site": SITE,
            "language": "en",
            "choices": _choices(
                config, {"advertising_cookies": True, "web_audience_measurement": True}
            ),
        },
    )
    assert first.status_code == 200, first.text
    saved = first.json()
    visitor = saved["visitor_id"]
    assert visitor.startswith("visitor:") and len(visitor) == 40
    assert [(r["purpose"], r["event"]) for r in saved["recorded"]] == [
        ("advertising_cookies", "given"),
        ("web_audience_measurement", "given"),
    ]
    second = client.post(
        "/banner/v1/choices",
        json={
            "site": SITE,
            "visitor_id": visitor,
            "visitor_token": saved["visitor_token"],
            "choices": _choices(
                config, {"advertising_cookies": False, "web_audience_measurement": False}
            ),
        },
    )
    assert second.status_code == 200, second.text
    assert [r["event"] for r in second.json()["recorded"]] == ["withdrawn", "objected"]
    history = services.ledger.history(visitor)
    assert [(r.purpose, r.event) for r in history] == [
        ("advertising_cookies", Event.GIVEN),
        ("web_audience_measurement", Event.GIVEN),
        ("advertising_cookies", Event.WITHDRAWN),
        ("web_audience_measurement", Event.OBJECTED),
    ]
    assert all(r.method is Method.COOKIE_BANNER and r.expires_at for r in history)
    assert all(
        (r.expires_at - r.occurred_at).days in range(181, 185) for r in history if r.expires_at
    )
    assert not services.gate.decide(visitor, "advertising_cookies").allow


@pytest.mark.parametrize("signal", ["header", "body"])
def test_gpc_is_recorded_and_honoured_as_a_refusal_of_advertising(
    client: TestClient, services: Services, signal: str
) -> None:
    config = _config(client)
    response = client.post(
        "/banner/v1/choices",
        json={
            "site": SITE,
            "gpc": signal == "body",
            "choices": _choices(
                config, {"advertising_cookies": True, "web_audience_measurement": True}
            ),
        },
        headers={"Sec-GPC": "1"} if signal == "header" else {},
    ).json()
    assert response["gpc"] is True
    recorded = {r["purpose"]: r for r in response["recorded"]}
    assert recorded["advertising_cookies"] == {
        **recorded["advertising_cookies"],
        "accepted": False,
        "event": "refused",
        "method": "gpc_signal",
    }
    assert recorded["web_audience_measurement"]["event"] == "given"
    record = services.ledger.record(recorded["advertising_cookies"]["record_id"])
    assert record.method is Method.GPC_SIGNAL and record.event is Event.REFUSED


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"visitor_id": "visitor:" + "a" * 32, "visitor_token": "forged"}, 403, "does not match"),
        ({"visitor_id": "S000000001", "visitor_token": "x"}, 422, "malformed"),
        ({"site": "website:elsewhere.example"}, 422, "no choice is offered"),
        ({"choices": [{"purpose": "fraud_detection", "accepted": False}]}, 422, "not a choice"),
        ({"choices": [{"purpose": "advertising_cookies", "accepted": True}] * 2}, 422, "twice"),
        (
            {
                "choices": [
                    {"purpose": "advertising_cookies", "accepted": True, "notice_hash": "0" * 64}
                ]
            },
            422,
            "does not match",
        ),
        ({"choices": []}, 422, None),
    ],
)
def test_bad_banner_posts_are_refused_with_the_reason(
    client: TestClient, change: dict[str, Any], status: int, words: str | None
) -> None:
    body: dict[str, Any] = {
        "site": SITE,
        "choices": [{"purpose": "advertising_cookies", "accepted": True}],
    }
    body.update(change)
    response = client.post("/banner/v1/choices", json=body)
    assert response.status_code == status, response.text
    if words:
        assert words in response.json()["detail"]


def test_a_visitor_downloads_a_receipt_only_with_their_token(client: TestClient) -> None:
    saved = client.post(
        "/banner/v1/choices",
        json={"site": SITE, "choices": [{"purpose": "advertising_cookies", "accepted": True}]},
    ).json()
    record_id = saved["recorded"][0]["record_id"]
    ok = client.get(
        f"/banner/v1/receipts/{record_id}",
        params={"visitor_id": saved["visitor_id"], "visitor_token": saved["visitor_token"]},
    )
    assert ok.status_code == 200 and ok.json()["event"]["collection_method"] == "cookie_banner"
    other = client.post(
        "/banner/v1/choices",
        json={"site": SITE, "choices": [{"purpose": "advertising_cookies", "accepted": False}]},
    ).json()
    stolen = client.get(
        f"/banner/v1/receipts/{record_id}",
        params={"visitor_id": other["visitor_id"], "visitor_token": other["visitor_token"]},
    )
    assert stolen.status_code == 403


def test_the_script_is_served_with_cors(client: TestClient) -> None:
    script = client.get("/banner.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["access-control-allow-origin"] == "*"
    assert "globalPrivacyControl" in script.text and "data-fx-purpose" in script.text
