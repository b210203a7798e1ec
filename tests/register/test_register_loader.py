"""The shipped register loads, covers the operator's purposes, and answers the gate's questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustflux.errors import RegisterError
from trustflux.register import (
    ConsentMechanism,
    DpiaStatus,
    Duration,
    LawfulBasis,
    Purpose,
    Register,
    load_register,
)

SEED_PURPOSES = {
    "billing",
    "fraud_detection",
    "network_optimisation",
    "targeted_offers",
    "gateway_diagnostics",
    "mobility_statistics",
    "web_audience_measurement",
    "advertising_cookies",
    "strictly_necessary_cookies",
}
COMPLIANCE_PURPOSES = {"privacy_compliance"}
"""Not a use of data the seed names, but the records the GDPR asks to keep about the others."""


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(Path(__file__).resolve().parents[2] / "register")


def test_shipped_register_covers_every_seed_purpose(register: Register) -> None:
    assert set(register.purpose_ids) == SEED_PURPOSES | COMPLIANCE_PURPOSES
    assert list(register.purpose_ids) == sorted(register.purpose_ids)


def test_controller_dpo_and_authority(register: Register) -> None:
    assert register.controller.name == "Fluxtel SA"
    assert register.controller.address.country == "FRA"
    assert "@" in register.dpo.email
    assert "CNIL" in register.supervisory_authority.name
    assert register.representative is None


@pytest.mark.parametrize(
    ("purpose_id", "basis", "mechanism"),
    [
        ("billing", LawfulBasis.CONTRACT, ConsentMechanism.NOTICE_ONLY),
        ("targeted_offers", LawfulBasis.CONSENT, ConsentMechanism.OPT_IN),
        ("advertising_cookies", LawfulBasis.CONSENT, ConsentMechanism.OPT_IN),
        ("mobility_statistics", LawfulBasis.LEGITIMATE_INTERESTS, ConsentMechanism.OPT_OUT),
        ("strictly_necessary_cookies", LawfulBasis.CONTRACT, ConsentMechanism.NOTICE_ONLY),
    ],
)
def test_promised_bases_and_choices(
    register: Register, purpose_id: str, basis: LawfulBasis, mechanism: ConsentMechanism
) -> None:
    assert register.lawful_basis(purpose_id) is basis
    assert register.consent_mechanism(purpose_id) is mechanism


def test_every_purpose_speaks_both_languages(register: Register) -> None:
    for purpose in register.purposes:
        for text in (purpose.name, purpose.description, purpose.retention.note):
            assert text.en.strip() and text.fr.strip()
            assert text.get("fr") == text.fr and text.get("de") == text.en


def test_legitimate_interest_purposes_carry_an_assessment(register: Register) -> None:
    for purpose in register.purposes:
        has_lia = purpose.legitimate_interest_assessment is not None
        assert has_lia == (purpose.lawful_basis is LawfulBasis.LEGITIMATE_INTERESTS)


def test_lookup_returns_the_purpose(register: Register) -> None:
    billing = register.purpose("billing")
    assert isinstance(billing, Purpose)
    assert billing.id == "billing"
    assert billing.retention.period == Duration(years=1)
    assert register.retention("mobility_statistics") == Duration(hours=24)


def test_unknown_purpose_is_an_error_naming_it(register: Register) -> None:
    with pytest.raises(RegisterError) as caught:
        register.purpose("profiling_everyone")
    assert "'profiling_everyone'" in str(caught.value)
    assert "billing" in str(caught.value)
    with pytest.raises(RegisterError):
        register.dpia_approved("profiling_everyone")


def test_dpia_answers(register: Register) -> None:
    assert register.purpose("mobility_statistics").dpia.status is DpiaStatus.APPROVED
    assert register.dpia_approved("mobility_statistics")
    assert not register.dpia_approved("billing")  # not required is not approved...
    assert register.dpia_cleared("billing")  # ...but does not block processing


def test_choice_answers(register: Register) -> None:
    assert register.requires_consent("targeted_offers")
    assert not register.honours_objection("targeted_offers")
    assert register.honours_objection("mobility_statistics")
    assert not register.requires_consent("billing") and not register.honours_objection("billing")


def test_purposes_for_a_channel(register: Register) -> None:
    on_site = {purpose.id for purpose in register.purposes_for("website:fluxtel.example")}
    assert {"advertising_cookies", "strictly_necessary_cookies"} <= on_site
    assert "mobility_statistics" not in on_site
    assert register.purposes_for("app:unknown") == ()


def test_register_is_immutable(register: Register) -> None:
    with pytest.raises(ValueError, match="frozen"):
        register.purpose("billing").lawful_basis = LawfulBasis.CONSENT  # type: ignore[misc]


def test_loader_accepts_a_relative_path_and_names_files_as_given(
    register_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(register_copy.parent)
    (register_copy / "purposes" / "billing.yaml").write_text("id: [", encoding="utf-8")
    with pytest.raises(RegisterError) as caught:
        load_register(Path("register"))
    assert caught.value.problems[0].startswith("register/purposes/billing.yaml: ")
