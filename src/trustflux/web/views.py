"""What the transparency pages, trust badges and their JSON show, built from the register.

One function per view, returning plain data in the page's language, so that the HTML page,
its JSON twin and the embeddable badge cannot say different things.
"""

from __future__ import annotations

from typing import Any

from trustflux.ledger.notices import notice_text, text_hash
from trustflux.register import ConsentMechanism, Purpose, Register
from trustflux.register.taxonomy import TaxonomyKind, country_name, label
from trustflux.web.i18n import Translator

CHANNEL_KINDS = ("app", "website", "service", "device")
ADVERTISING_USE = "marketing.advertising"


def channels(register: Register) -> list[str]:
    """Every app, website, service and device some purpose applies to, sorted by kind."""
    found = {channel for purpose in register.purposes for channel in purpose.applies_to}
    return sorted(found, key=lambda c: (CHANNEL_KINDS.index(c.split(":")[0]), c))


def channel_label(channel: str, t: Translator) -> str:
    """'App fluxtel_et_moi' / 'Application fluxtel_et_moi'."""
    kind, _, name = channel.partition(":")
    return f"{t('channel.' + kind)} {name}"


def is_advertising(purpose: Purpose) -> bool:
    """Purposes a Global Privacy Control signal refuses (advertising and targeting)."""
    return purpose.data_use.startswith(ADVERTISING_USE)


def is_cookie_purpose(purpose: Purpose) -> bool:
    """Purposes chosen per browser in the cookie banner rather than in the account area."""
    return bool(purpose.cookies)


def purpose_view(purpose: Purpose, register: Register, t: Translator, base: str) -> dict[str, Any]:
    """Everything a person should know about one purpose, in ``t``'s language."""
    lang = t.lang
    on_website = any(c.startswith("website:") for c in purpose.applies_to)
    subscribers = "customer" in purpose.data_subjects and not is_cookie_purpose(purpose)
    how: list[str] = []
    if purpose.consent_mechanism is not ConsentMechanism.NOTICE_ONLY:
        if subscribers:
            how.append(t("purpose.change.account"))
        if on_website and is_cookie_purpose(purpose):
            how.append(t("purpose.change.cookies"))
    how.append(f"{t('purpose.change.contact')} {register.dpo.email}")
    text = notice_text(purpose, lang)
    return {
        "id": purpose.id,
        "name": purpose.name.get(lang),
        "description": purpose.description.get(lang),
        "language": lang,
        "lawful_basis": {
            "code": purpose.lawful_basis.value,
            "label": t(f"basis.{purpose.lawful_basis.value}"),
            "article": purpose.lawful_basis.article,
            "assessment": (
                purpose.legitimate_interest_assessment.conclusion
                if purpose.legitimate_interest_assessment
                else None
            ),
        },
        "choice": {
            "mechanism": purpose.consent_mechanism.value,
            "label": t(f"mechanism.short.{purpose.consent_mechanism.value}"),
            "explanation": t(f"mechanism.{purpose.consent_mechanism.value}"),
        },
        "data_categories": [
            {"key": key, "name": name, "name_language": name_lang}
            for key in purpose.data_categories
            for name, name_lang in [t.category(key)]
        ],
        "data_use": {
            "key": purpose.data_use,
            "name": label(TaxonomyKind.DATA_USE, purpose.data_use),
        },
        "retention": {
            "period": str(purpose.retention.period),
            "label": t.duration(purpose.retention.period),
            "note": purpose.retention.note.get(lang),
            "exceptions": [
                {
                    "what": exception.what.get(lang),
                    "period": str(exception.period),
                    "label": t.duration(exception.period),
                    "legal_ground": exception.legal_ground,
                }
                for exception in purpose.retention.exceptions
            ],
        },
        "recipients": [
            {"name": r.name, "kind": r.kind.value, "kind_label": t(f"recipient.{r.kind.value}")}
            for r in purpose.recipients
        ],
        "processors": [
            {
                "name": p.name,
                "role": p.role,
                "country": p.country,
                "country_name": country_name(p.country),
            }
            for p in purpose.processors
        ],
        "transfers": [
            {
                "country": x.country,
                "country_name": country_name(x.country),
                "recipient": x.recipient,
                "safeguard": x.safeguard.value if x.safeguard else None,
                "safeguard_label": t(f"safeguard.{x.safeguard.value}") if x.safeguard else None,
            }
            for x in purpose.third_country_transfers
        ],
        "sources": [
            {"name": s.name, "kind": s.kind.value, "kind_label": t(f"source.{s.kind.value}")}
            for s in purpose.sources
        ],
        "automated_decisions": {
            "profiling": purpose.automated_decision_making.profiling,
            "solely_automated": purpose.automated_decision_making.solely_automated,
            "description": purpose.automated_decision_making.description,
        },
        "security_measures": list(purpose.security_measures),
        "dpia": {
            "status": purpose.dpia.status.value,
            "label": t(f"dpia.{purpose.dpia.status.value}"),
            "cleared": register.dpia_cleared(purpose.id),
        },
        "notice": {"version": purpose.notice_version, "language": lang, "sha256": text_hash(text)},
        "applies_to": [{"channel": c, "label": channel_label(c, t)} for c in purpose.applies_to],
        "cookies": [
            {
                "name": c.name,
                "provider": c.provider,
                "party": c.party.value,
                "lifetime": str(c.lifetime),
                "lifetime_label": t.duration(c.lifetime),
            }
            for c in purpose.cookies
        ],
        "how_to_change": how,
        "links": {
            "page": f"{base}/transparency/{purpose.id}?lang={lang}",
            "json": f"{base}/api/v1/purposes/{purpose.id}?lang={lang}",
        },
    }


def badge_view(channel: str, register: Register, t: Translator, base: str) -> dict[str, Any]:
    """The trust badge of one app, site, service or device: short, with links to the rest."""
    purposes = register.purposes_for(channel)
    lang = t.lang
    return {
        "channel": channel,
        "label": channel_label(channel, t),
        "language": lang,
        "purposes": [
            {
                "id": p.id,
                "name": p.name.get(lang),
                "why": p.description.get(lang),
                "what": [t.category(key)[0] for key in p.data_categories],
                "lawful_basis": t(f"basis.{p.lawful_basis.value}"),
                "choice": p.consent_mechanism.value,
                "choice_label": t(f"mechanism.short.{p.consent_mechanism.value}"),
                "retention": t.duration(p.retention.period),
                "recipients": [r.name for r in p.recipients],
                "dpia_cleared": register.dpia_cleared(p.id),
                "page": f"{base}/transparency/{p.id}?lang={lang}",
            }
            for p in purposes
        ],
        "manage": {
            "account_area": f"{base}/account?lang={lang}",
            "cookie_settings": f"{base}/demo?lang={lang}#cookie-settings"
            if channel.startswith("website:")
            else None,
        },
        "links": {
            "page": f"{base}/badges/{channel}?lang={lang}",
            "embed": f"{base}/badges/{channel}/embed?lang={lang}",
            "image": f"{base}/badges/{channel}/badge.svg?lang={lang}",
            "json": f"{base}/api/v1/badges/{channel}?lang={lang}",
        },
    }
