"""Consent receipts: what a person can download for each choice they made.

The structure follows ISO/IEC TS 27560 (record header, parties, PII processing, event) so
that another system can read it, and carries the notice text the choice was made on and the
record's place in its hash chain so that the person can later prove what they agreed to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from trustflux.ledger.model import Record
from trustflux.ledger.notices import Notice
from trustflux.register import Register

RECEIPT_SCHEMA = "trustflux consent receipt v1 (ISO/IEC TS 27560:2023 structure)"


def build_receipt(
    record: Record,
    register: Register,
    notice: Notice | None,
    *,
    issued_at: datetime,
    links: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The receipt of ``record`` as a JSON-ready mapping."""
    purpose = register.purpose(record.purpose) if record.purpose in register.purpose_ids else None
    controller = register.controller
    fields = record.as_dict()
    return {
        "schema": RECEIPT_SCHEMA,
        "header": {
            "schema_version": "1",
            "record_id": record.record_id,
            "pii_principal_id": record.subject,
            "pii_principal_kind": record.subject_kind.value,
            "receipt_issued_at": issued_at.astimezone(UTC).isoformat(timespec="seconds"),
            "chain": {
                "position": record.seq,
                "record_hash": record.record_hash,
                "previous_record_hash": record.prev_hash,
                "algorithm": "SHA-256 over the record fields and the previous hash",
            },
        },
        "parties": {
            "pii_controller": {
                "name": controller.name,
                "email": controller.email,
                "website": controller.website,
                "address": controller.address.model_dump(mode="json"),
            },
            "dpo": {"name": register.dpo.name, "email": register.dpo.email},
            "supervisory_authority": {
                "name": register.supervisory_authority.name,
                "website": register.supervisory_authority.website,
            },
        },
        "processing": {
            "purpose_id": record.purpose,
            "purpose": purpose.name.model_dump() if purpose else None,
            "lawful_basis": purpose.lawful_basis.value if purpose else None,
            "lawful_basis_article": purpose.lawful_basis.article if purpose else None,
            "consent_mechanism": purpose.consent_mechanism.value if purpose else None,
            "data_categories": list(purpose.data_categories) if purpose else [],
            "retention": str(purpose.retention.period) if purpose else None,
            "privacy_notice": {
                "version": record.notice_version,
                "language": record.language,
                "sha256": record.notice_hash,
                "text": notice.text if notice else None,
            },
        },
        "event": {
            "type": record.event.value,
            "time": fields["occurred_at"],
            "recorded_at": fields["recorded_at"],
            "collection_method": record.method.value,
            "jurisdiction": record.jurisdiction,
            "expiry": fields["expires_at"],
            "recorded_by": record.actor,
        },
        "links": links or {},
    }
