"""Public pages in French and English, generated from the register; the message catalogue."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient

from trustflux.web.i18n import Translator, negotiate
from trustflux.web.messages import MESSAGES
from trustflux.web.services import Services

PAGES = [
    "/",
    "/transparency",
    "/transparency/targeted_offers",
    "/badges",
    "/badges/app:fluxtel_et_moi",
    "/badges/website:fluxtel.example/embed",
    "/rights",
    "/demo",
    "/login",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pages_render_in_both_languages(client: TestClient, path: str, lang: str) -> None:
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert "<title>" in html and "<h1" in html
    other = "English version" if lang == "fr" else "Version française"
    if not path.endswith("/embed"):
        assert other in html and 'href="#main"' in html  # language switch, skip link


def test_language_comes_from_the_browser_when_not_asked(client: TestClient) -> None:
    page = client.get("/transparency", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in page.text
    assert '<html lang="fr">' in client.get("/transparency").text  # default: French


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("en", "fr", "en"),
        (None, "de-DE,en;q=0.8,fr;q=0.9", "fr"),
        (None, "en-US", "en"),
        (None, "de", "fr"),
        ("xx", None, "fr"),
        (None, "en;q=bad,fr", "fr"),
    ],
)
def test_negotiation(query: str | None, header: str | None, expected: str) -> None:
    assert negotiate(query, header) == expected


def test_purpose_page_says_what_why_basis_retention_recipients_and_how(
    client: TestClient, services: Services
) -> None:
    html = client.get("/transparency/gateway_diagnostics?lang=en").text
    purpose = services.register.purpose("gateway_diagnostics")
    for text in (
        purpose.name.en,
        "What data",
        "Why",
        "Your contract",
        "GDPR Art. 6(1)(b)",
        "30 days",
        "Customer service agents, with an open ticket",
        "Atlas Contact Services SARL",
        "Morocco",
        "standard contractual clauses",
        "How to change it",
        services.register.dpo.email,
    ):
        assert text in html, text
    fr = client.get("/transparency/gateway_diagnostics?lang=fr").text
    assert purpose.name.fr in fr and "30 jours" in fr and "Votre contrat" in fr
    assert '<span lang="en">Customer service agents, with an open ticket</span>' in fr


def test_unknown_pages_are_404_in_html(client: TestClient) -> None:
    response = client.get("/transparency/telepathy?lang=en")
    assert response.status_code == 404 and "Page not found" in response.text
    assert client.get("/badges/app:nope").status_code == 404


def test_badge_image_and_embed(client: TestClient) -> None:
    svg = client.get("/badges/app:fluxtel_et_moi/badge.svg?lang=en")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<title>Trust badge of App fluxtel_et_moi: 6 purposes</title>" in svg.text
    embed = client.get("/badges/app:fluxtel_et_moi/embed?lang=fr").text
    assert 'target="_blank" rel="noopener"' in embed
    page = client.get("/badges/app:fluxtel_et_moi?lang=en").text
    assert '&lt;iframe src="http://testserver/badges/app:fluxtel_et_moi/embed?lang=en"' in page


def test_catalogue_is_complete_and_every_key_used_exists() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"en", "fr"}, key
        assert entry["en"].strip() and entry["fr"].strip(), key
        assert set(re.findall(r"{(\w+)}", entry["en"])) == set(
            re.findall(r"{(\w+)}", entry["fr"])
        ), key
    used: set[str] = set()
    for template in (files("trustflux.web") / "templates").iterdir():
        used |= set(
            re.findall(
                r"""(?<![\w.])t\('([a-z_.]*[a-z_])'[,)]""", template.read_text(encoding="utf-8")
            )
        )
    assert used and used <= set(MESSAGES)


def test_durations_read_naturally() -> None:
    from trustflux.register import Duration

    assert Translator("en").duration(Duration.parse("P1Y6M")) == "1 year and 6 months"
    assert Translator("fr").duration(Duration.parse("PT24H")) == "24 heures"
    assert Translator("fr").duration(Duration.parse("P1Y2M3D")) == "1 an, 2 mois et 3 jours"
