"""Properties: any wrong word in a purpose is refused, naming the file and the field."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustflux.errors import RegisterError
from trustflux.register import LawfulBasis, load_register
from trustflux.register.taxonomy import TaxonomyKind, keys

SHIPPED = Path(__file__).resolve().parents[2] / "register"
BILLING = yaml.safe_load((SHIPPED / "purposes" / "billing.yaml").read_text(encoding="utf-8"))
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@pytest.fixture(scope="module")
def small_register() -> Iterator[Path]:
    """The shipped controller and only the billing purpose, rewritten per example."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "purposes").mkdir()
        shutil.copy(SHIPPED / "controller.yaml", root / "controller.yaml")
        yield root


def problems_with(root: Path, **changes: object) -> list[str]:
    path = root / "purposes" / "billing.yaml"
    path.write_text(yaml.safe_dump({**BILLING, **changes}, allow_unicode=True), encoding="utf-8")
    try:
        load_register(root)
    except RegisterError as error:
        return error.problems
    return []


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(basis=text.filter(lambda value: value not in {b.value for b in LawfulBasis}))
def test_any_invalid_lawful_basis_is_refused_naming_the_field(
    small_register: Path, basis: str
) -> None:
    problems = problems_with(small_register, lawful_basis=basis)
    path = small_register / "purposes" / "billing.yaml"
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: lawful_basis: {basis!r} is not one of consent, ")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(0, 3),
    key=st.from_regex(r"[a-z_.]{1,25}", fullmatch=True).filter(
        lambda value: value not in keys(TaxonomyKind.DATA_CATEGORY)
    ),
)
def test_any_unknown_data_category_is_refused_naming_its_index(
    small_register: Path, index: int, key: str
) -> None:
    categories = ["user.name", "user.contact.email", "user.payment", "user.unique_id"]
    categories[index] = key
    problems = problems_with(small_register, data_categories=categories)
    expected = f"data_categories[{index}]: {key!r} is not a fideslang data category"
    assert any(expected in problem for problem in problems), problems


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    basis=st.sampled_from(list(LawfulBasis)),
    mechanism=st.sampled_from(["opt_in", "opt_out", "notice_only"]),
)
def test_mechanism_rule_accepts_exactly_the_expected_pairs(
    small_register: Path, basis: LawfulBasis, mechanism: str
) -> None:
    from trustflux.register.rules import EXPECTED_MECHANISM

    lia = {"reference": "LIA-X", "date": "2024-01-01"}  # a quoted date is accepted too
    changes: dict[str, object] = {"lawful_basis": basis.value, "consent_mechanism": mechanism}
    if basis is LawfulBasis.LEGITIMATE_INTERESTS:
        changes["legitimate_interest_assessment"] = lia
    problems = problems_with(small_register, **changes)
    fits = EXPECTED_MECHANISM[basis].value == mechanism
    assert (problems == []) == fits, problems
    if not fits:
        assert any(": consent_mechanism: " in problem for problem in problems)
