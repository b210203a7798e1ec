"""French and English for every page: the language of a request, and the translator.

The language is ``?lang=fr|en`` when given (links carry it), else the browser's
``Accept-Language``, else French, the language of the operator's market.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from trustflux.ledger.model import LANGUAGES, Language
from trustflux.register import Duration
from trustflux.register.taxonomy import TaxonomyKind, label
from trustflux.web.messages import DATA_CATEGORIES_FR, MESSAGES

DEFAULT_LANGUAGE: Language = "fr"
DISPLAY_ZONE = ZoneInfo("Europe/Paris")


def negotiate(query_lang: str | None, accept_language: str | None) -> Language:
    """The page language from ``?lang=`` or ``Accept-Language`` (quality-ordered)."""
    if query_lang in LANGUAGES:
        return "en" if query_lang == "en" else "fr"
    if accept_language:
        ranked = []
        for position, part in enumerate(accept_language.split(",")):
            pieces = part.strip().split(";")
            tag = pieces[0].strip().lower()
            quality = 1.0
            for parameter in pieces[1:]:
                name, _, value = parameter.strip().partition("=")
                if name == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            ranked.append((-quality, position, tag))
        for _, _, tag in sorted(ranked):
            primary = tag.split("-")[0]
            if primary == "en":
                return "en"
            if primary == "fr":
                return "fr"
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """Messages, dates and durations in one language."""

    lang: Language

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        text = entry[self.lang]
        return text.format(**values) if values else text

    @property
    def other(self) -> Language:
        return "en" if self.lang == "fr" else "fr"

    def date(self, moment: datetime | None) -> str:
        """A date and time for people, in the operator's time zone."""
        if moment is None:
            return ""
        local = moment.astimezone(DISPLAY_ZONE)
        if self.lang == "fr":
            return local.strftime("%d/%m/%Y %H:%M")
        return local.strftime("%Y-%m-%d %H:%M")

    def duration(self, value: Duration) -> str:
        """``P1Y6M`` as '1 year and 6 months' / '1 an et 6 mois'."""
        parts = []
        for unit in ("years", "months", "weeks", "days", "hours", "minutes", "seconds"):
            n = getattr(value, unit)
            if n:
                key = f"unit.{unit[:-1]}" if n == 1 else f"unit.{unit}"
                parts.append(self(key, n=n))
        if not parts:
            return self("unit.seconds", n=0)
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + f" {self('unit.and')} " + parts[-1]

    def category(self, key: str) -> tuple[str, Language]:
        """A data category's name and the language it is in (fideslang names are English)."""
        if self.lang == "fr" and key in DATA_CATEGORIES_FR:
            return DATA_CATEGORIES_FR[key], "fr"
        return label(TaxonomyKind.DATA_CATEGORY, key), "en"
