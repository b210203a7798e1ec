"""The processing register as typed models: what each purpose declares (GDPR Art. 30).

Models are strict (no silent coercion of ``2.1`` into ``"2.1"``) and refuse unknown fields, so
that a typo in the YAML is an error instead of a field quietly ignored. Rules that span
several fields or files live in ``rules.py``; these models check shape only.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from trustflux.errors import RegisterError
from trustflux.register.duration import Duration

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
FidesKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Url = Annotated[str, StringConstraints(pattern=r"^https://\S+$")]
Channel = Annotated[
    str, StringConstraints(pattern=r"^(website|app|service|device):[a-z0-9][a-z0-9_.-]*$")
]


_T = TypeVar("_T")


def _iso_date_text(value: object) -> object:
    """Accept ``"2024-03-05"`` (a quoted YAML date) as well as a YAML date; nothing looser."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # the strict date check reports it
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]

# YAML gives lists: let the container be a list or tuple (stored as a tuple), items stay strict.
Seq = Annotated[tuple[_T, ...], Field(strict=False)]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class LawfulBasis(StrEnum):
    """GDPR Art. 6(1) lawful bases."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def article(self) -> str:
        """The point of Art. 6(1) this basis comes from, for records and notices."""
        letter = "abcdef"[list(LawfulBasis).index(self)]
        return f"GDPR Art. 6(1)({letter})"


class ConsentMechanism(StrEnum):
    """What choice the person has: asked first, may object, or is informed only."""

    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    NOTICE_ONLY = "notice_only"


class DpiaStatus(StrEnum):
    """Where the data protection impact assessment (GDPR Art. 35) stands."""

    NOT_REQUIRED = "not_required"
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class RecipientKind(StrEnum):
    """Who receives the data (GDPR Art. 30(1)(d) asks for categories of recipients)."""

    INTERNAL = "internal"
    PROCESSOR = "processor"
    THIRD_PARTY = "third_party"
    PUBLIC_AUTHORITY = "public_authority"


class Safeguard(StrEnum):
    """Transfer tools of GDPR Chapter V."""

    ADEQUACY_DECISION = "adequacy_decision"
    STANDARD_CONTRACTUAL_CLAUSES = "standard_contractual_clauses"
    BINDING_CORPORATE_RULES = "binding_corporate_rules"
    CODE_OF_CONDUCT = "code_of_conduct"
    CERTIFICATION = "certification"
    DEROGATION = "derogation"


class SourceKind(StrEnum):
    """Where data comes from (GDPR Art. 14(2)(f) when not from the person)."""

    DATA_SUBJECT = "data_subject"
    OBSERVED = "observed"
    DERIVED = "derived"
    THIRD_PARTY = "third_party"


class CookieParty(StrEnum):
    """Whether the cookie is set by our domain or by a partner's."""

    FIRST = "first"
    THIRD = "third"


# Enums come from YAML as text: let these fields take the value, the rest stays strict.
LawfulBasisField = Annotated[LawfulBasis, Field(strict=False)]
ConsentMechanismField = Annotated[ConsentMechanism, Field(strict=False)]
DpiaStatusField = Annotated[DpiaStatus, Field(strict=False)]
RecipientKindField = Annotated[RecipientKind, Field(strict=False)]
SafeguardField = Annotated[Safeguard, Field(strict=False)]
SourceKindField = Annotated[SourceKind, Field(strict=False)]
CookiePartyField = Annotated[CookieParty, Field(strict=False)]


class LocalizedText(_Model):
    """Plain-language text in English and French; both are required."""

    en: Text
    fr: Text

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``en`` or ``fr``), English for any other language."""
        return self.fr if lang == "fr" else self.en


class Address(_Model):
    """A postal address; ``country`` is ISO 3166-1 alpha-3 (fideslang's country codes)."""

    street: Text
    postal_code: Text
    city: Text
    country: CountryCode


class Organisation(_Model):
    """A controller, joint controller or representative (GDPR Art. 30(1)(a))."""

    name: Text
    legal_form: Text | None = None
    registration: Text | None = None
    address: Address
    email: Email
    phone: Text | None = None
    website: Url | None = None


class DataProtectionOfficer(_Model):
    """The DPO people write to (GDPR Art. 37-39)."""

    name: Text
    email: Email
    address: Address


class SupervisoryAuthority(_Model):
    """The lead supervisory authority complaints go to (GDPR Art. 77)."""

    name: Text
    country: CountryCode
    website: Url
    address: Address


class ControllerFile(_Model):
    """The content of ``controller.yaml``."""

    controller: Organisation
    dpo: DataProtectionOfficer
    representative: Organisation | None = None
    joint_controllers: Seq[Organisation] = ()
    supervisory_authority: SupervisoryAuthority


class Assessment(_Model):
    """A legitimate-interest assessment (balancing test) backing Art. 6(1)(f)."""

    reference: Text
    date: IsoDate
    conclusion: Text | None = None


class KeptStore(StrEnum):
    """Stores of the identified zone a retention exception can keep after an erasure.

    The rights module erases every store not named by some exception and lists the named ones,
    with their legal ground, in its answer.
    """

    CONTRACT = "contract"
    EVENTS = "events"
    TELEMETRY = "telemetry"
    BILLING_INVOICES = "billing_invoices"
    FRAUD_ALERTS = "fraud_alerts"
    OFFERS = "offers"
    DIAGNOSTICS = "diagnostics"
    TICKETS = "tickets"
    CONSENT_LEDGER = "consent_ledger"
    AUDIT_TRAIL = "audit_trail"
    RIGHTS_REQUESTS = "rights_requests"
    ERASURE_MARKERS = "erasure_markers"


class RetentionException(_Model):
    """Something kept longer than the purpose's period, and the legal ground for it."""

    what: LocalizedText
    period: Duration
    legal_ground: Text
    keeps: Seq[Annotated[KeptStore, Field(strict=False)]] = ()
    """Stores this exception keeps when the data subject asks for erasure."""


class Retention(_Model):
    """How long data is kept for the purpose (GDPR Art. 30(1)(f), Art. 5(1)(e))."""

    period: Duration
    note: LocalizedText
    exceptions: Seq[RetentionException] = ()


class Recipient(_Model):
    """A recipient or category of recipients."""

    name: Text
    kind: RecipientKindField


class Processor(_Model):
    """A processor acting on the controller's behalf (GDPR Art. 28)."""

    name: Text
    role: Text
    country: CountryCode
    agreement: Text | None = None


class Transfer(_Model):
    """A transfer outside the EEA and the tool that makes it lawful (GDPR Art. 44-49)."""

    country: CountryCode
    recipient: Text
    safeguard: SafeguardField | None = None
    reference: Text | None = None


class Dpia(_Model):
    """The data protection impact assessment of the purpose (GDPR Art. 35)."""

    status: DpiaStatusField
    reference: Text | None = None
    date: IsoDate | None = None
    approver: Text | None = None
    note: Text | None = None


class AutomatedDecisions(_Model):
    """Profiling and solely automated decisions (GDPR Art. 22, Art. 13(2)(f))."""

    profiling: bool
    solely_automated: bool
    description: Text | None = None


class Source(_Model):
    """Where the purpose's data comes from."""

    name: Text
    kind: SourceKindField


class Cookie(_Model):
    """A cookie or tracker the purpose sets, for the banner and the cookie list."""

    name: Text
    provider: Text
    party: CookiePartyField
    lifetime: Duration


class Purpose(_Model):
    """One declared reason to process personal data: one file under ``purposes/``."""

    id: Identifier
    name: LocalizedText
    description: LocalizedText
    owner: Text
    data_categories: Seq[FidesKey] = Field(min_length=1)
    data_subjects: Seq[FidesKey] = Field(min_length=1)
    data_use: FidesKey
    lawful_basis: LawfulBasisField
    legitimate_interest_assessment: Assessment | None = None
    consent_mechanism: ConsentMechanismField
    retention: Retention
    recipients: Seq[Recipient] = Field(min_length=1)
    processors: Seq[Processor]
    third_country_transfers: Seq[Transfer]
    dpia: Dpia
    automated_decision_making: AutomatedDecisions
    security_measures: Seq[Text] = Field(min_length=1)
    sources: Seq[Source] = Field(min_length=1)
    notice_version: Text
    applies_to: Seq[Channel] = ()
    cookies: Seq[Cookie] = ()


class Register(_Model):
    """The whole register: the controller and every purpose, ordered by id.

    Build it with ``load_register``, which checks every rule; the accessors below are what
    the gate, the notices and the trust badges ask.
    """

    controller: Organisation
    dpo: DataProtectionOfficer
    representative: Organisation | None = None
    joint_controllers: Seq[Organisation] = ()
    supervisory_authority: SupervisoryAuthority
    purposes: Seq[Purpose]

    @property
    def purpose_ids(self) -> tuple[str, ...]:
        """Every declared purpose id, in register order."""
        return tuple(purpose.id for purpose in self.purposes)

    def purpose(self, purpose_id: str) -> Purpose:
        """The purpose with this id; an undeclared purpose is an error, never a default."""
        for purpose in self.purposes:
            if purpose.id == purpose_id:
                return purpose
        known = ", ".join(self.purpose_ids) or "none"
        raise RegisterError([f"unknown purpose {purpose_id!r} (declared: {known})"])

    def dpia_approved(self, purpose_id: str) -> bool:
        """Whether the purpose's DPIA has been approved (status ``approved`` only)."""
        return self.purpose(purpose_id).dpia.status is DpiaStatus.APPROVED

    def dpia_cleared(self, purpose_id: str) -> bool:
        """Whether the DPIA lets processing go ahead: approved, or not required at all."""
        status = self.purpose(purpose_id).dpia.status
        return status in (DpiaStatus.APPROVED, DpiaStatus.NOT_REQUIRED)

    def lawful_basis(self, purpose_id: str) -> LawfulBasis:
        """The Art. 6(1) basis the purpose relies on."""
        return self.purpose(purpose_id).lawful_basis

    def consent_mechanism(self, purpose_id: str) -> ConsentMechanism:
        """The choice people have for this purpose."""
        return self.purpose(purpose_id).consent_mechanism

    def requires_consent(self, purpose_id: str) -> bool:
        """Whether processing needs a recorded consent first (opt-in)."""
        return self.consent_mechanism(purpose_id) is ConsentMechanism.OPT_IN

    def honours_objection(self, purpose_id: str) -> bool:
        """Whether a recorded objection (opt-out) stops processing for that person."""
        return self.consent_mechanism(purpose_id) is ConsentMechanism.OPT_OUT

    def retention(self, purpose_id: str) -> Duration:
        """How long the purpose keeps its data, before any exception."""
        return self.purpose(purpose_id).retention.period

    def purposes_for(self, channel: str) -> tuple[Purpose, ...]:
        """Purposes shown on one app, site, service or device (for its trust badge)."""
        return tuple(purpose for purpose in self.purposes if channel in purpose.applies_to)
