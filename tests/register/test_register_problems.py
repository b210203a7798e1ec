"""Every kind of mistake in the register is reported with its file, field and, where known, line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trustflux.errors import RegisterError
from trustflux.register import load_register

Change = Callable[[dict[str, Any]], None]
Editor = Callable[[str, Change], Path]


def problems_of(register_dir: Path) -> list[str]:
    with pytest.raises(RegisterError) as caught:
        load_register(register_dir)
    assert caught.value.problems, "a RegisterError must list its problems"
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def only_problem(register_dir: Path) -> str:
    problems = problems_of(register_dir)
    assert len(problems) == 1, problems
    return problems[0]


def set_field(edit_purpose: Editor, purpose_id: str, field: str, value: Any) -> Path:
    return edit_purpose(purpose_id, lambda data: data.__setitem__(field, value))


def test_invalid_lawful_basis(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "lawful_basis", "contrakt")
    problem = only_problem(register_copy)
    assert problem.startswith(
        f"{path}: lawful_basis: 'contrakt' is not one of consent, contract, legal_obligation, "
        "vital_interests, public_task, legitimate_interests"
    )


def test_unknown_data_category_names_its_index(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "targeted_offers", lambda data: data["data_categories"].__setitem__(2, "user.foo")
    )
    problem = only_problem(register_copy)
    assert problem.startswith(
        f"{path}: data_categories[2]: 'user.foo' is not a fideslang data category"
    )


def test_unknown_subject_and_use(register_copy: Path, edit_purpose: Editor) -> None:
    def change(data: dict[str, Any]) -> None:
        data["data_subjects"] = ["customer", "martian"]
        data["data_use"] = "essential.billing"

    path = edit_purpose("billing", change)
    problems = problems_of(register_copy)
    assert any(
        p.startswith(f"{path}: data_subjects[1]: 'martian' is not a fideslang data subject")
        for p in problems
    )
    assert any(
        p.startswith(f"{path}: data_use: 'essential.billing' is not a fideslang data use")
        for p in problems
    )


def test_deprecated_fideslang_key_is_refused_with_its_replacement(
    register_copy: Path, edit_purpose: Editor
) -> None:
    path = set_field(edit_purpose, "targeted_offers", "data_use", "personalize.profiling")
    problem = only_problem(register_copy)
    assert f"{path}: data_use: 'personalize.profiling' is a deprecated" in problem
    assert "personalize.content.profiling" in problem


def test_mechanism_must_fit_the_lawful_basis(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "advertising_cookies", "consent_mechanism", "opt_out")
    problem = only_problem(register_copy)
    assert problem.startswith(f"{path}: consent_mechanism: 'opt_out' does not fit lawful basis")
    assert "expected opt_in" in problem


def test_notice_only_for_legitimate_interests_is_refused(
    register_copy: Path, edit_purpose: Editor
) -> None:
    set_field(edit_purpose, "mobility_statistics", "consent_mechanism", "notice_only")
    assert "expected opt_out" in only_problem(register_copy)


def test_legitimate_interests_need_an_assessment(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("fraud_detection", lambda data: data.pop("legitimate_interest_assessment"))
    assert only_problem(register_copy).startswith(
        f"{path}: legitimate_interest_assessment: required when lawful_basis is "
        "legitimate_interests"
    )


def test_transfer_needs_a_safeguard(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "gateway_diagnostics", lambda data: data["third_country_transfers"][0].pop("safeguard")
    )
    assert only_problem(register_copy).startswith(
        f"{path}: third_country_transfers[0].safeguard: a transfer to MAR needs a safeguard"
    )


def test_transfer_safeguard_must_be_known(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "gateway_diagnostics",
        lambda data: data["third_country_transfers"][0].update(safeguard="trust_me"),
    )
    assert only_problem(register_copy).startswith(
        f"{path}: third_country_transfers[0].safeguard: 'trust_me' is not one of"
    )


def test_processor_outside_eea_needs_a_transfer(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "gateway_diagnostics", "third_country_transfers", [])
    assert only_problem(register_copy).startswith(
        f"{path}: processors[0].country: Atlas Contact Services SARL is in MAR, outside the EEA"
    )


def test_transfer_inside_eea_is_not_a_transfer(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "gateway_diagnostics", lambda data: data["third_country_transfers"][0].update(country="DEU")
    )
    problems = problems_of(register_copy)
    assert any(
        p.startswith(f"{path}: third_country_transfers[0].country: 'DEU' is in the EEA")
        for p in problems
    )


def test_country_codes_are_checked(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("billing", lambda data: data["processors"][0].update(country="XYZ"))
    assert only_problem(register_copy).startswith(
        f"{path}: processors[0].country: 'XYZ' is not an ISO 3166-1 alpha-3 country code"
    )


@pytest.mark.parametrize("bad", ["13 months", "P13X", "P", "PT", "-P1M", "P1.5Y"])
def test_retention_period_must_be_iso_8601(
    register_copy: Path, bad: str, edit_purpose: Editor
) -> None:
    path = edit_purpose("billing", lambda data: data["retention"].update(period=bad))
    assert only_problem(register_copy).startswith(
        f"{path}: retention.period: {bad!r} is not an ISO 8601 duration"
    )


def test_retention_exception_period_is_checked(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "billing", lambda data: data["retention"]["exceptions"][1].update(period="five years")
    )
    assert only_problem(register_copy).startswith(
        f"{path}: retention.exceptions[1].period: 'five years' is not an ISO 8601 duration"
    )


def test_retention_exception_must_be_longer(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "billing", lambda data: data["retention"]["exceptions"][0].update(period="P6M")
    )
    assert only_problem(register_copy).startswith(
        f"{path}: retention.exceptions[0].period: an exception keeps data longer"
    )


def test_cookie_lifetime_is_capped(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "advertising_cookies", lambda data: data["cookies"][1].update(lifetime="P2Y")
    )
    assert only_problem(register_copy).startswith(f"{path}: cookies[1].lifetime: P2Y exceeds P13M")


def test_id_must_equal_file_stem(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "id", "invoicing")
    assert only_problem(register_copy).startswith(
        f"{path}: id: 'invoicing' must equal the file name 'billing'"
    )


def test_purpose_ids_are_unique(register_copy: Path) -> None:
    original = register_copy / "purposes" / "billing.yaml"
    twin = original.with_suffix(".yml")
    shutil.copy(original, twin)
    problem = only_problem(register_copy)
    assert problem.startswith(f"{twin}: id: 'billing' is already declared in {original}")


def test_both_languages_are_required(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("billing", lambda data: data["name"].pop("fr"))
    assert only_problem(register_copy).startswith(f"{path}: name.fr: required field is missing")


def test_blank_translation_is_refused(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("billing", lambda data: data["description"].update(en="   "))
    assert only_problem(register_copy).startswith(f"{path}: description.en: must not be blank")


def test_missing_field(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("billing", lambda data: data.pop("retention"))
    assert only_problem(register_copy) == f"{path}: retention: required field is missing"


def test_unknown_field_is_refused(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "lawfull_basis", "contract")
    assert only_problem(register_copy).startswith(f"{path}: lawfull_basis: unknown field")


def test_no_silent_coercion(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "notice_version", 2.1)
    assert only_problem(register_copy).startswith(
        f"{path}: notice_version: expected text, got 2.1 (quote it in YAML"
    )


def test_empty_list_is_refused(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "data_categories", [])
    assert only_problem(register_copy).startswith(
        f"{path}: data_categories: must list at least 1 item"
    )


def test_duplicate_list_entry(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "data_subjects", ["customer", "customer"])
    assert only_problem(register_copy).startswith(
        f"{path}: data_subjects[1]: 'customer' is listed twice"
    )


def test_approved_dpia_needs_date_and_approver(register_copy: Path, edit_purpose: Editor) -> None:
    def change(data: dict[str, Any]) -> None:
        data["dpia"].pop("date")
        data["dpia"].pop("approver")

    path = edit_purpose("fraud_detection", change)
    problems = problems_of(register_copy)
    assert any(
        p.startswith(f"{path}: dpia.date: required when the DPIA is approved") for p in problems
    )
    assert any(p.startswith(f"{path}: dpia.approver: required") for p in problems)


def test_dpia_status_is_an_enum(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("fraud_detection", lambda data: data["dpia"].update(status="signed"))
    assert only_problem(register_copy).startswith(f"{path}: dpia.status: 'signed' is not one of")


def test_drafted_dpia_needs_reference(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose("billing", lambda data: data["dpia"].update(status="draft"))
    assert only_problem(register_copy).startswith(f"{path}: dpia.reference: required")


def test_profiling_needs_a_description(register_copy: Path, edit_purpose: Editor) -> None:
    path = edit_purpose(
        "fraud_detection", lambda data: data["automated_decision_making"].pop("description")
    )
    assert only_problem(register_copy).startswith(
        f"{path}: automated_decision_making.description: required"
    )


def test_problem_carries_the_line(register_copy: Path) -> None:
    path = register_copy / "purposes" / "billing.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "lawful_basis: contract", "lawful_basis: contrakt"
    )
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("lawful_basis: contrakt") + 1
    assert only_problem(register_copy).endswith(f"(line {line})")


def test_yaml_syntax_error_names_file_and_line(register_copy: Path) -> None:
    path = register_copy / "purposes" / "billing.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = "  fr: [unclosed"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_problem(register_copy)
    assert problem.startswith(f"{path}: line ")
    assert "invalid YAML" in problem


def test_duplicate_yaml_key_is_refused(register_copy: Path) -> None:
    path = register_copy / "purposes" / "billing.yaml"
    text = path.read_text(encoding="utf-8") + "lawful_basis: consent\n"
    path.write_text(text, encoding="utf-8")
    problem = only_problem(register_copy)
    line = len(text.splitlines())
    assert problem.startswith(f"{path}: line {line}, column 1: invalid YAML:")
    assert "'lawful_basis' is given twice" in problem


def test_empty_and_non_mapping_files(register_copy: Path) -> None:
    empty = register_copy / "purposes" / "billing.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    listing = register_copy / "purposes" / "fraud_detection.yaml"
    listing.write_text("- id: fraud_detection\n", encoding="utf-8")
    problems = problems_of(register_copy)
    assert f"{empty}: the file is empty" in problems
    assert f"{listing}: expected a mapping of fields at the top level" in problems


def test_missing_register_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    problem = only_problem(missing)
    assert problem.startswith(f"{missing}: register folder not found")


def test_missing_controller(register_copy: Path) -> None:
    (register_copy / "controller.yaml").unlink()
    assert only_problem(register_copy).startswith(
        f"{register_copy / 'controller.yaml'}: controller file not found"
    )


def test_missing_or_empty_purposes_folder(register_copy: Path) -> None:
    purposes = register_copy / "purposes"
    for path in purposes.iterdir():
        path.unlink()
    assert only_problem(register_copy).startswith(f"{purposes}: no purpose files")
    purposes.rmdir()
    assert only_problem(register_copy).startswith(f"{purposes}: purposes folder not found")


def test_controller_problems(
    register_copy: Path, edit_controller: Callable[[Change], Path]
) -> None:
    def change(data: dict[str, Any]) -> None:
        data["controller"]["address"]["country"] = "CHE"
        data["dpo"].pop("email")
        data["supervisory_authority"]["country"] = "FR"

    path = edit_controller(change)
    problems = problems_of(register_copy)
    assert any(p.startswith(f"{path}: dpo.email: required field is missing") for p in problems)
    assert any(p.startswith(f"{path}: supervisory_authority.country: 'FR'") for p in problems)


def test_controller_outside_eea_needs_representative(
    register_copy: Path, edit_controller: Callable[[Change], Path]
) -> None:
    path = edit_controller(lambda data: data["controller"]["address"].update(country="CHE"))
    assert only_problem(register_copy).startswith(
        f"{path}: representative: a controller established outside the EEA (CHE)"
    )


def test_all_problems_of_all_files_are_reported_at_once(
    register_copy: Path, edit_purpose: Editor, edit_controller: Callable[[Change], Path]
) -> None:
    set_field(edit_purpose, "billing", "lawful_basis", "contrakt")
    set_field(edit_purpose, "fraud_detection", "data_use", "nope")
    edit_controller(lambda data: data.pop("dpo"))
    (register_copy / "purposes" / "network_optimisation.yaml").write_text("a: [", "utf-8")
    problems = problems_of(register_copy)
    files = {problem.split(": ", 1)[0] for problem in problems}
    assert files == {
        str(register_copy / "controller.yaml"),
        str(register_copy / "purposes" / "billing.yaml"),
        str(register_copy / "purposes" / "fraud_detection.yaml"),
        str(register_copy / "purposes" / "network_optimisation.yaml"),
    }


def test_non_yaml_and_hidden_files_are_ignored(register_copy: Path) -> None:
    (register_copy / "purposes" / "README.md").write_text("# purposes\n", encoding="utf-8")
    (register_copy / "purposes" / ".billing.yaml.swp").write_text("junk", encoding="utf-8")
    (register_copy / "purposes" / ".draft.yaml").write_text("id: [", encoding="utf-8")
    assert len(load_register(register_copy).purposes) == 10


def test_text_where_a_mapping_is_expected(register_copy: Path, edit_purpose: Editor) -> None:
    path = set_field(edit_purpose, "billing", "name", "Billing")
    assert only_problem(register_copy).startswith(
        f"{path}: name: expected a mapping of fields, got 'Billing'"
    )
