"""Problems found in the register, located by field path, and their wording.

Every check (schema, vocabulary, cross-field rule) yields a ``Finding``: where in the document
(a pydantic-style location) and what is wrong. The loader adds the file and line, so a person
fixing the YAML is pointed at the exact spot.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem inside one document: ``loc`` is the field path, ``()`` the whole file."""

    loc: Loc
    message: str


def format_loc(loc: Loc) -> str:
    """``("retention", "exceptions", 0, "period")`` as ``retention.exceptions[0].period``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def from_validation_error(error: ValidationError) -> list[Finding]:
    """Reword pydantic's errors for people editing YAML, keeping their field paths.

    A list whose items failed also reports itself as too short; only the items are kept.
    """
    details = error.errors()
    findings = []
    for detail in details:
        loc = tuple(detail["loc"])
        if detail["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc
            for other in details
        ):
            continue
        findings.append(Finding(loc, _message(detail)))
    return findings


def _message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    given = detail.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (not part of the register schema; see docs/register.md)"
    if kind == "enum":
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{given!r} is not one of {choices}"
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields, got {_shown(given)}"
    if kind == "string_too_short":
        return "must not be blank"
    if kind == "too_short":
        return f"must list at least {ctx.get('min_length', 1)} item(s)"
    if kind == "string_type" and isinstance(given, int | float | bool):
        return f'expected text, got {given!r} (quote it in YAML: "{given}")'
    if kind == "string_pattern_mismatch":
        return f"{given!r} does not match the expected form {ctx.get('pattern')}"
    return f"{detail['msg'][0].lower()}{detail['msg'][1:]} (got {_shown(given)})"


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
