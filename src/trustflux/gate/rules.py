"""The decision rules, as pure functions of the register, the latest choice and the contract.

Kept apart from any database so that the per-request path, the in-memory snapshot used by
jobs and the tests all run exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from trustflux.ledger.model import Event, Method, SubjectKind
from trustflux.register import (
    ConsentMechanism,
    DpiaStatus,
    LawfulBasis,
    Purpose,
    Register,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether ``purpose`` may process ``subject``'s data at ``at``, and why."""

    allow: bool
    code: str
    reason: str
    subject: str
    purpose: str
    at: datetime
    lawful_basis: LawfulBasis
    consent_mechanism: ConsentMechanism
    dpia_status: DpiaStatus
    record_id: str | None = None
    """The ledger record the decision rests on, if any."""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "allow": self.allow,
            "code": self.code,
            "reason": self.reason,
            "subject": self.subject,
            "purpose": self.purpose,
            "at": self.at.isoformat(),
            "lawful_basis": self.lawful_basis.value,
            "consent_mechanism": self.consent_mechanism.value,
            "dpia_status": self.dpia_status.value,
            "record_id": self.record_id,
        }


@dataclass(frozen=True, slots=True)
class Choice:
    """The part of a ledger record the rules need."""

    record_id: str
    event: Event
    occurred_at: datetime
    expires_at: datetime | None
    method: Method


@dataclass(frozen=True, slots=True)
class Contract:
    """A subscriber's contract period (calendar days, end inclusive; None while it runs)."""

    start: date
    end: date | None

    def runs_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class PurposeRule:
    """What the register says about one purpose, read once."""

    purpose: str
    lawful_basis: LawfulBasis
    mechanism: ConsentMechanism
    dpia_status: DpiaStatus
    dpia_cleared: bool
    on_website: bool

    @property
    def needs_ledger(self) -> bool:
        return self.dpia_cleared and self.mechanism is not ConsentMechanism.NOTICE_ONLY

    @property
    def needs_contract(self) -> bool:
        return (
            self.dpia_cleared
            and self.mechanism is ConsentMechanism.NOTICE_ONLY
            and self.lawful_basis is LawfulBasis.CONTRACT
        )


def purpose_rules(register: Register) -> dict[str, PurposeRule]:
    """One rule per declared purpose."""
    return {p.id: _rule(register, p) for p in register.purposes}


def with_dpia(rule: PurposeRule, status: DpiaStatus) -> PurposeRule:
    """The same rule under another DPIA status (a decision of the DPO)."""
    if status is rule.dpia_status:
        return rule
    cleared = status in (DpiaStatus.APPROVED, DpiaStatus.NOT_REQUIRED)
    return replace(rule, dpia_status=status, dpia_cleared=cleared)


def _rule(register: Register, purpose: Purpose) -> PurposeRule:
    return PurposeRule(
        purpose=purpose.id,
        lawful_basis=purpose.lawful_basis,
        mechanism=purpose.consent_mechanism,
        dpia_status=purpose.dpia.status,
        dpia_cleared=register.dpia_cleared(purpose.id),
        on_website=any(c.startswith("website:") for c in purpose.applies_to),
    )


def decide_rule(
    rule: PurposeRule,
    subject: str,
    kind: SubjectKind,
    at: datetime,
    latest: Choice | None,
    contract: Contract | None,
    restricted_since: datetime | None = None,
) -> Decision:
    """Apply the register's rule for the purpose to the latest choice and the contract.

    ``restricted_since``: start of a restriction of processing in force for the subject at
    ``at`` (the caller leaves it None for purposes a restriction does not stop).
    """
    if rule.dpia_cleared and restricted_since is not None:
        verdict: _Verdict = (
            False,
            "restricted",
            f"processing is restricted since {restricted_since.date().isoformat()} "
            f"(GDPR Art. 18): the data is kept but not used for {rule.purpose}",
            None,
        )
    else:
        verdict = _verdict(rule, kind, at, latest, contract)
    allow, code, reason, record_id = verdict
    return Decision(
        allow=allow,
        code=code,
        reason=reason,
        subject=subject,
        purpose=rule.purpose,
        at=at,
        lawful_basis=rule.lawful_basis,
        consent_mechanism=rule.mechanism,
        dpia_status=rule.dpia_status,
        record_id=record_id,
    )


_Verdict = tuple[bool, str, str, str | None]


def _verdict(
    rule: PurposeRule,
    kind: SubjectKind,
    at: datetime,
    latest: Choice | None,
    contract: Contract | None,
) -> _Verdict:
    if not rule.dpia_cleared:
        return (
            False,
            "dpia_not_cleared",
            f"the DPIA of {rule.purpose} is {rule.dpia_status.value}: nobody's data may be "
            "processed for it until the DPIA is approved",
            None,
        )
    if rule.mechanism is ConsentMechanism.OPT_IN:
        return _consent(rule, at, latest)
    if rule.mechanism is ConsentMechanism.OPT_OUT:
        return _objection(rule, at, latest)
    return _notice_only(rule, kind, at, contract)


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _consent(rule: PurposeRule, at: datetime, latest: Choice | None) -> _Verdict:
    if latest is None:
        return False, "no_consent", f"no consent to {rule.purpose} is recorded", None
    if latest.event is Event.GIVEN:
        if latest.expires_at is not None and latest.expires_at <= at:
            return (
                False,
                "consent_expired",
                f"consent to {rule.purpose} expired at {_when(latest.expires_at)}",
                latest.record_id,
            )
        return (
            True,
            "consent_given",
            f"consent to {rule.purpose} given at {_when(latest.occurred_at)} "
            f"({latest.method.value})",
            latest.record_id,
        )
    return (
        False,
        f"consent_{latest.event.value}",
        f"consent to {rule.purpose} {latest.event.value} at {_when(latest.occurred_at)} "
        f"({latest.method.value})",
        latest.record_id,
    )


def _objection(rule: PurposeRule, at: datetime, latest: Choice | None) -> _Verdict:
    basis = rule.lawful_basis.value.replace("_", " ")
    if latest is not None and latest.event is Event.OBJECTED:
        if latest.expires_at is None or at < latest.expires_at:
            return (
                False,
                "objected",
                f"objection to {rule.purpose} recorded at {_when(latest.occurred_at)} "
                f"({latest.method.value})",
                latest.record_id,
            )
        return (
            True,
            "objection_lapsed",
            f"{basis}; the objection to {rule.purpose} lapsed at {_when(latest.expires_at)}",
            latest.record_id,
        )
    if latest is None:
        return True, "no_objection", f"{basis}; no objection to {rule.purpose} recorded", None
    return (
        True,
        "no_objection",
        f"{basis}; latest choice for {rule.purpose} is '{latest.event.value}' at "
        f"{_when(latest.occurred_at)}",
        latest.record_id,
    )


def _notice_only(
    rule: PurposeRule, kind: SubjectKind, at: datetime, contract: Contract | None
) -> _Verdict:
    if rule.lawful_basis is not LawfulBasis.CONTRACT:
        basis = rule.lawful_basis.value.replace("_", " ")
        return True, rule.lawful_basis.value, f"{rule.purpose} rests on {basis}", None
    if kind is SubjectKind.VISITOR:
        if rule.on_website:
            return (
                True,
                "service_requested",
                f"{rule.purpose} is strictly necessary for the website the visitor uses",
                None,
            )
        return False, "no_contract", f"a website visitor has no contract for {rule.purpose}", None
    day = at.date()
    if contract is None:
        return False, "no_contract", f"no contract on record for {rule.purpose}", None
    if contract.runs_on(day):
        return (
            True,
            "contract_running",
            f"contract running since {contract.start.isoformat()}",
            None,
        )
    if day < contract.start:
        return (
            False,
            "contract_not_started",
            f"contract starts on {contract.start.isoformat()}",
            None,
        )
    end = contract.end.isoformat() if contract.end else "?"
    return False, "contract_ended", f"contract ended on {end}", None
