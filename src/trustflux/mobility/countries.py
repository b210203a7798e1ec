"""Public knowledge: mobile country codes (ITU E.212) of the countries published as origins.

Only these codes can appear as a foreign origin; any other country is published as "other".
"""

from __future__ import annotations

HOME_MCC = "208"

MCC_COUNTRIES: dict[str, str] = {
    "202": "GR",
    "204": "NL",
    "206": "BE",
    "208": "FR",
    "212": "MC",
    "213": "AD",
    "214": "ES",
    "216": "HU",
    "222": "IT",
    "226": "RO",
    "228": "CH",
    "230": "CZ",
    "232": "AT",
    "234": "GB",
    "235": "GB",
    "238": "DK",
    "240": "SE",
    "242": "NO",
    "244": "FI",
    "260": "PL",
    "262": "DE",
    "268": "PT",
    "270": "LU",
    "272": "IE",
    "310": "US",
    "311": "US",
    "302": "CA",
    "404": "IN",
    "440": "JP",
    "460": "CN",
    "505": "AU",
    "602": "EG",
    "604": "MA",
    "605": "TN",
    "603": "DZ",
    "724": "BR",
}

FOREIGN_ORIGINS: tuple[str, ...] = tuple(sorted({c for c in MCC_COUNTRIES.values() if c != "FR"}))
OTHER_COUNTRY = "other"
UNKNOWN = "unknown"


def origin_of_mcc(mcc: str) -> str:
    """The published origin for a foreign device: its country if listed, else 'other'."""
    country = MCC_COUNTRIES.get(mcc)
    return country if country is not None and country != "FR" else OTHER_COUNTRY
