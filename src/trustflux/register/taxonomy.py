"""Vocabulary checks against fideslang's default taxonomy and country list.

The register does not invent its own words for data categories, data subjects, data uses or
countries: it uses fideslang's, so that the vocabulary is shared with other tools and
maintained elsewhere. fideslang is imported lazily (it costs ~150 ms) and each key set is
read once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType


class TaxonomyKind(StrEnum):
    """The three fideslang taxonomies a purpose uses (attribute names of the taxonomy)."""

    DATA_CATEGORY = "data_category"
    DATA_SUBJECT = "data_subject"
    DATA_USE = "data_use"

    @property
    def label(self) -> str:
        """How a problem message names the taxonomy."""
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Term:
    """One fideslang taxonomy entry, reduced to what the register shows and checks."""

    key: str
    name: str
    description: str
    replaced_by: str | None
    deprecated: bool


# The European Economic Area (EU 27, Iceland, Liechtenstein, Norway) as ISO 3166-1 alpha-3:
# a transfer outside it is a third-country transfer (GDPR Chapter V). This is a legal fact
# fideslang does not carry, hence kept here.
EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA",
        "DEU", "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD",
        "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR",
    }
)  # fmt: skip


@cache
def terms(kind: TaxonomyKind) -> Mapping[str, Term]:
    """Every entry of one fideslang default taxonomy, by ``fides_key``."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    entries = {}
    for item in getattr(DEFAULT_TAXONOMY, kind.value):
        key = str(item.fides_key)
        entries[key] = Term(
            key=key,
            name=str(item.name or key),
            description=str(item.description or ""),
            replaced_by=str(item.replaced_by) if item.replaced_by else None,
            deprecated=bool(item.version_deprecated),
        )
    return MappingProxyType(entries)


@cache
def keys(kind: TaxonomyKind) -> frozenset[str]:
    """The valid keys of one taxonomy (deprecated ones included; ``check`` rejects them)."""
    return frozenset(terms(kind))


def check(kind: TaxonomyKind, key: str) -> str | None:
    """A problem message for ``key`` (unknown or deprecated), or ``None`` when it is valid."""
    entries = terms(kind)
    term = entries.get(key)
    if term is None:
        message = f"{key!r} is not a fideslang {kind.label}"
        close = difflib.get_close_matches(key, list(entries), n=1)
        return message + (f" (did you mean {close[0]!r}?)" if close else "")
    if term.deprecated:
        hint = f": use {term.replaced_by!r}" if term.replaced_by else ""
        return f"{key!r} is a deprecated fideslang {kind.label}{hint}"
    return None


def label(kind: TaxonomyKind, key: str) -> str:
    """The human name fideslang gives ``key``, or the key itself when it has none."""
    term = terms(kind).get(key)
    return term.name if term else key


@cache
def countries() -> Mapping[str, str]:
    """Country names by ISO 3166-1 alpha-3 code, from fideslang's fixtures."""
    from fideslang.default_fixtures import COUNTRY_CODES

    return MappingProxyType(
        {str(entry["alpha3Code"]): str(entry["name"]) for entry in COUNTRY_CODES}
    )


def check_country(code: str) -> str | None:
    """A problem message when ``code`` is not an ISO 3166-1 alpha-3 code, else ``None``."""
    if code in countries():
        return None
    return f"{code!r} is not an ISO 3166-1 alpha-3 country code (such as FRA, USA, MAR)"


def country_name(code: str) -> str:
    """The English name of a country code, or the code itself when unknown."""
    return countries().get(code, code)


def is_eea(code: str) -> bool:
    """Whether a country is in the EEA, where GDPR applies and no transfer tool is needed."""
    return code in EEA_COUNTRIES
