"""Rules across fields: what the schema alone cannot say about a lawful record.

Each rule returns findings instead of raising, so the loader can report every problem of
every file at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from trustflux.register.duration import Duration
from trustflux.register.models import (
    ConsentMechanism,
    ControllerFile,
    DpiaStatus,
    LawfulBasis,
    Purpose,
)
from trustflux.register.problems import Finding, Loc
from trustflux.register.taxonomy import (
    TaxonomyKind,
    check,
    check_country,
    countries,
    is_eea,
)

# The choice a lawful basis gives people: consent is asked first (Art. 7); legitimate
# interests and public task carry a right to object (Art. 21); the other bases offer no choice.
EXPECTED_MECHANISM: Final[dict[LawfulBasis, ConsentMechanism]] = {
    LawfulBasis.CONSENT: ConsentMechanism.OPT_IN,
    LawfulBasis.LEGITIMATE_INTERESTS: ConsentMechanism.OPT_OUT,
    LawfulBasis.PUBLIC_TASK: ConsentMechanism.OPT_OUT,
    LawfulBasis.CONTRACT: ConsentMechanism.NOTICE_ONLY,
    LawfulBasis.LEGAL_OBLIGATION: ConsentMechanism.NOTICE_ONLY,
    LawfulBasis.VITAL_INTERESTS: ConsentMechanism.NOTICE_ONLY,
}

_WHY: Final[dict[ConsentMechanism, str]] = {
    ConsentMechanism.OPT_IN: "consent must be asked before processing",
    ConsentMechanism.OPT_OUT: "people have a right to object (GDPR Art. 21)",
    ConsentMechanism.NOTICE_ONLY: "this basis offers no choice, people are informed",
}

# CNIL guidance: trackers live 13 months at most.
MAX_COOKIE_LIFETIME: Final = Duration(months=13)


def check_purpose(purpose: Purpose) -> list[Finding]:
    """Every cross-field problem of one purpose."""
    return [
        *_mechanism(purpose),
        *_assessment(purpose),
        *_vocabulary(purpose),
        *_duplicates(purpose),
        *_transfers(purpose),
        *_dpia(purpose),
        *_automation(purpose),
        *_retention(purpose),
        *_cookies(purpose),
    ]


def check_controller(document: ControllerFile) -> list[Finding]:
    """Country codes of every address, and an Art. 27 representative when one is needed."""
    findings: list[Finding] = []
    addresses: list[tuple[Loc, str]] = [
        (("controller", "address", "country"), document.controller.address.country),
        (("dpo", "address", "country"), document.dpo.address.country),
        (("supervisory_authority", "country"), document.supervisory_authority.country),
        (
            ("supervisory_authority", "address", "country"),
            document.supervisory_authority.address.country,
        ),
    ]
    if document.representative is not None:
        addresses.append(
            (("representative", "address", "country"), document.representative.address.country)
        )
    for index, joint in enumerate(document.joint_controllers):
        addresses.append(
            (("joint_controllers", index, "address", "country"), joint.address.country)
        )
    for loc, code in addresses:
        message = check_country(code)
        if message:
            findings.append(Finding(loc, message))
    country = document.controller.address.country
    if document.representative is None and country in countries() and not is_eea(country):
        findings.append(
            Finding(
                ("representative",),
                f"a controller established outside the EEA ({country}) needs a representative "
                "in the EU (GDPR Art. 27)",
            )
        )
    return findings


def _mechanism(purpose: Purpose) -> Iterable[Finding]:
    expected = EXPECTED_MECHANISM[purpose.lawful_basis]
    if purpose.consent_mechanism is not expected:
        yield Finding(
            ("consent_mechanism",),
            f"{purpose.consent_mechanism.value!r} does not fit lawful basis "
            f"{purpose.lawful_basis.value!r}: expected {expected.value} ({_WHY[expected]})",
        )


def _assessment(purpose: Purpose) -> Iterable[Finding]:
    needs = purpose.lawful_basis is LawfulBasis.LEGITIMATE_INTERESTS
    has = purpose.legitimate_interest_assessment is not None
    if needs and not has:
        yield Finding(
            ("legitimate_interest_assessment",),
            "required when lawful_basis is legitimate_interests: give the reference and date "
            "of the legitimate-interest assessment (balancing test)",
        )
    if has and not needs:
        yield Finding(
            ("legitimate_interest_assessment",),
            f"only meaningful for legitimate_interests, not {purpose.lawful_basis.value!r}",
        )


def _vocabulary(purpose: Purpose) -> Iterable[Finding]:
    for index, key in enumerate(purpose.data_categories):
        message = check(TaxonomyKind.DATA_CATEGORY, key)
        if message:
            yield Finding(("data_categories", index), message)
    for index, key in enumerate(purpose.data_subjects):
        message = check(TaxonomyKind.DATA_SUBJECT, key)
        if message:
            yield Finding(("data_subjects", index), message)
    message = check(TaxonomyKind.DATA_USE, purpose.data_use)
    if message:
        yield Finding(("data_use",), message)


def _duplicates(purpose: Purpose) -> Iterable[Finding]:
    lists: dict[str, tuple[str, ...]] = {
        "data_categories": purpose.data_categories,
        "data_subjects": purpose.data_subjects,
        "applies_to": purpose.applies_to,
        "security_measures": purpose.security_measures,
    }
    for field, values in lists.items():
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                yield Finding((field, index), f"{value!r} is listed twice")
            seen.add(value)


def _transfers(purpose: Purpose) -> Iterable[Finding]:
    covered: set[str] = set()
    for index, transfer in enumerate(purpose.third_country_transfers):
        loc: Loc = ("third_country_transfers", index)
        covered.add(transfer.country)
        message = check_country(transfer.country)
        if message:
            yield Finding((*loc, "country"), message)
        elif is_eea(transfer.country):
            yield Finding(
                (*loc, "country"),
                f"{transfer.country!r} is in the EEA: this is not a third-country transfer",
            )
        if transfer.safeguard is None:
            yield Finding(
                (*loc, "safeguard"),
                f"a transfer to {transfer.country} needs a safeguard (adequacy_decision, "
                "standard_contractual_clauses, binding_corporate_rules, code_of_conduct, "
                "certification or derogation)",
            )
    for index, processor in enumerate(purpose.processors):
        loc = ("processors", index, "country")
        message = check_country(processor.country)
        if message:
            yield Finding(loc, message)
        elif not is_eea(processor.country) and processor.country not in covered:
            yield Finding(
                loc,
                f"{processor.name} is in {processor.country}, outside the EEA, but no "
                "third_country_transfers entry covers that country",
            )


def _dpia(purpose: Purpose) -> Iterable[Finding]:
    dpia = purpose.dpia
    if dpia.status is not DpiaStatus.NOT_REQUIRED and dpia.reference is None:
        yield Finding(("dpia", "reference"), f"required when the DPIA is {dpia.status.value}")
    if dpia.status in (DpiaStatus.APPROVED, DpiaStatus.REJECTED):
        if dpia.date is None:
            yield Finding(("dpia", "date"), f"required when the DPIA is {dpia.status.value}")
        if dpia.approver is None:
            yield Finding(("dpia", "approver"), f"required when the DPIA is {dpia.status.value}")
    if purpose.automated_decision_making.solely_automated and (
        dpia.status is DpiaStatus.NOT_REQUIRED
    ):
        yield Finding(
            ("dpia", "status"),
            "solely automated decisions need a DPIA (GDPR Art. 35(3)(a)); not_required is wrong",
        )


def _automation(purpose: Purpose) -> Iterable[Finding]:
    decisions = purpose.automated_decision_making
    if (decisions.profiling or decisions.solely_automated) and decisions.description is None:
        yield Finding(
            ("automated_decision_making", "description"),
            "required when there is profiling or a solely automated decision: say what logic "
            "is involved and what it means for the person (GDPR Art. 13(2)(f))",
        )


def _retention(purpose: Purpose) -> Iterable[Finding]:
    base = purpose.retention.period
    for index, exception in enumerate(purpose.retention.exceptions):
        if exception.period.nominal_days <= base.nominal_days:
            yield Finding(
                ("retention", "exceptions", index, "period"),
                f"an exception keeps data longer than the purpose's period ({base}); "
                f"{exception.period} is not longer",
            )


def _cookies(purpose: Purpose) -> Iterable[Finding]:
    for index, cookie in enumerate(purpose.cookies):
        if cookie.lifetime.nominal_days > MAX_COOKIE_LIFETIME.nominal_days + 1:
            yield Finding(
                ("cookies", index, "lifetime"),
                f"{cookie.lifetime} exceeds {MAX_COOKIE_LIFETIME}, the longest a tracker may "
                "live (CNIL guidance)",
            )
