"""The GDPR Art. 30 record of processing activities, rendered from the register.

The record is never written by hand: it is the register seen from the supervisory
authority's side, as CSV (spreadsheets), JSON (tools) or one self-contained HTML page (people).
Output is deterministic (no timestamps), so two exports of one register are identical and
their diff is the change.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2

from trustflux.errors import RegisterError
from trustflux.register import taxonomy
from trustflux.register.models import (
    Address,
    ConsentMechanism,
    DpiaStatus,
    Organisation,
    Purpose,
    Register,
)
from trustflux.register.taxonomy import TaxonomyKind
from trustflux.templating import package_template


class RecordFormat(StrEnum):
    """Formats of the record."""

    CSV = "csv"
    JSON = "json"
    HTML = "html"


# One CSV row per purpose; the columns cover GDPR Art. 30(1)(a)-(g) and what the gate checks.
ART30_COLUMNS: Final[tuple[str, ...]] = (
    "purpose_id",
    "purpose_name_en",
    "purpose_name_fr",
    "description_en",
    "description_fr",
    "controller",
    "controller_contact",
    "representative",
    "joint_controllers",
    "dpo",
    "owner",
    "lawful_basis",
    "lawful_basis_article",
    "legitimate_interest_assessment",
    "consent_mechanism",
    "data_subjects",
    "data_categories",
    "data_use",
    "sources",
    "recipients",
    "processors",
    "third_country_transfers",
    "retention_period",
    "retention_note_en",
    "retention_exceptions",
    "security_measures",
    "automated_decision_making",
    "dpia_status",
    "dpia_reference",
    "dpia_date",
    "dpia_approver",
    "notice_version",
    "applies_to",
)

MECHANISM_LABELS: Final[dict[ConsentMechanism, str]] = {
    ConsentMechanism.OPT_IN: "Opt-in: asked before any processing",
    ConsentMechanism.OPT_OUT: "Opt-out: right to object at any time",
    ConsentMechanism.NOTICE_ONLY: "Notice only: informed, no choice under this basis",
}

DPIA_LABELS: Final[dict[DpiaStatus, str]] = {
    DpiaStatus.NOT_REQUIRED: "Not required",
    DpiaStatus.DRAFT: "Draft",
    DpiaStatus.IN_REVIEW: "In review",
    DpiaStatus.APPROVED: "Approved",
    DpiaStatus.REJECTED: "Rejected",
}

_TEMPLATE = "record.html.j2"
_SEP = "; "
# Cells starting with these are run as formulas by spreadsheets (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_record(register: Register, fmt: RecordFormat | str) -> str:
    """The Art. 30 record of ``register`` as text in ``fmt`` (csv, json or html)."""
    chosen = _format(fmt)
    if chosen is RecordFormat.CSV:
        return _render_csv(register)
    if chosen is RecordFormat.JSON:
        return _render_json(register)
    return _render_html(register)


def write_record(register: Register, fmt: RecordFormat | str, out: Path) -> Path:
    """Write the record to ``out`` (parents created, replaced atomically); return the path."""
    text = render_record(register, fmt)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.replace(temporary, out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise RegisterError([f"{out}: cannot write the record ({error.strerror})"]) from error
    return out


def art30_rows(register: Register) -> list[dict[str, str]]:
    """One flat row per purpose with every ``ART30_COLUMNS`` cell as text."""
    controller = register.controller
    common = {
        "controller": _organisation(controller),
        "controller_contact": " ".join(
            part
            for part in (controller.email, f"({controller.phone})" if controller.phone else "")
            if part
        ),
        "representative": _organisation(register.representative) if register.representative else "",
        "joint_controllers": _SEP.join(_organisation(o) for o in register.joint_controllers),
        "dpo": f"{register.dpo.name}, {register.dpo.email}, {_address(register.dpo.address)}",
    }
    return [{**common, **_purpose_cells(purpose)} for purpose in register.purposes]


def _purpose_cells(purpose: Purpose) -> dict[str, str]:
    lia = purpose.legitimate_interest_assessment
    decisions = purpose.automated_decision_making
    return {
        "purpose_id": purpose.id,
        "purpose_name_en": purpose.name.en,
        "purpose_name_fr": purpose.name.fr,
        "description_en": purpose.description.en,
        "description_fr": purpose.description.fr,
        "owner": purpose.owner,
        "lawful_basis": purpose.lawful_basis.value,
        "lawful_basis_article": purpose.lawful_basis.article,
        "legitimate_interest_assessment": f"{lia.reference} ({lia.date.isoformat()})"
        if lia
        else "",
        "consent_mechanism": purpose.consent_mechanism.value,
        "data_subjects": _SEP.join(purpose.data_subjects),
        "data_categories": _SEP.join(purpose.data_categories),
        "data_use": purpose.data_use,
        "sources": _SEP.join(f"{s.name} ({s.kind.value})" for s in purpose.sources),
        "recipients": _SEP.join(f"{r.name} ({r.kind.value})" for r in purpose.recipients),
        "processors": _SEP.join(f"{p.name}: {p.role} ({p.country})" for p in purpose.processors),
        "third_country_transfers": _SEP.join(
            f"{t.country}: {t.recipient}, "
            f"{t.safeguard.value if t.safeguard else 'no safeguard'}"
            + (f" ({t.reference})" if t.reference else "")
            for t in purpose.third_country_transfers
        ),
        "retention_period": str(purpose.retention.period),
        "retention_note_en": purpose.retention.note.en,
        "retention_exceptions": _SEP.join(
            f"{e.what.en}: {e.period} ({e.legal_ground})" for e in purpose.retention.exceptions
        ),
        "security_measures": _SEP.join(purpose.security_measures),
        "automated_decision_making": (
            f"profiling: {_yes_no(decisions.profiling)}, "
            f"solely automated: {_yes_no(decisions.solely_automated)}"
            + (f". {decisions.description}" if decisions.description else "")
        ),
        "dpia_status": purpose.dpia.status.value,
        "dpia_reference": purpose.dpia.reference or "",
        "dpia_date": purpose.dpia.date.isoformat() if purpose.dpia.date else "",
        "dpia_approver": purpose.dpia.approver or "",
        "notice_version": purpose.notice_version,
        "applies_to": _SEP.join(purpose.applies_to),
    }


def _render_csv(register: Register) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ART30_COLUMNS)
    writer.writeheader()
    for row in art30_rows(register):
        writer.writerow({key: _safe_cell(value) for key, value in row.items()})
    return buffer.getvalue()


def _render_json(register: Register) -> str:
    activities = []
    for purpose in register.purposes:
        activity: dict[str, Any] = purpose.model_dump(mode="json")
        activity["lawful_basis_article"] = purpose.lawful_basis.article
        activities.append(activity)
    document = {
        "record_of_processing_activities": {
            "standard": "GDPR Art. 30(1)",
            "controller": register.controller.model_dump(mode="json"),
            "representative": register.representative.model_dump(mode="json")
            if register.representative
            else None,
            "joint_controllers": [o.model_dump(mode="json") for o in register.joint_controllers],
            "dpo": register.dpo.model_dump(mode="json"),
            "supervisory_authority": register.supervisory_authority.model_dump(mode="json"),
            "activities": activities,
        }
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _render_html(register: Register) -> str:
    return _template().render(
        register=register,
        mechanism_labels=MECHANISM_LABELS,
        dpia_labels=DPIA_LABELS,
    )


@cache
def _template() -> jinja2.Template:
    """The HTML template shipped in the package (autoescaped, strict about missing names)."""
    return package_template(
        "trustflux.register",
        _TEMPLATE,
        {
            "category": lambda key: taxonomy.label(TaxonomyKind.DATA_CATEGORY, key),
            "subject": lambda key: taxonomy.label(TaxonomyKind.DATA_SUBJECT, key),
            "use": lambda key: taxonomy.label(TaxonomyKind.DATA_USE, key),
            "country": taxonomy.country_name,
            "address": _address,
        },
    )


def _format(fmt: RecordFormat | str) -> RecordFormat:
    try:
        return RecordFormat(str(fmt).lower())
    except ValueError:
        choices = ", ".join(f.value for f in RecordFormat)
        raise RegisterError([f"unknown record format {fmt!r}: use one of {choices}"]) from None


def _organisation(organisation: Organisation) -> str:
    return f"{organisation.name}, {_address(organisation.address)}"


def _address(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}, {address.country}"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value
