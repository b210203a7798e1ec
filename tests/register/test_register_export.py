"""The Art. 30 record in CSV, JSON and HTML holds every purpose and every required column."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from trustflux.errors import RegisterError
from trustflux.register import ART30_COLUMNS, Register, load_register, render_record, write_record

SHIPPED = Path(__file__).resolve().parents[2] / "register"

# What GDPR Art. 30(1)(a)-(g) asks for, as column names of the record.
REQUIRED_COLUMNS = {
    "controller",
    "dpo",
    "representative",
    "purpose_id",
    "purpose_name_en",
    "description_en",
    "lawful_basis",
    "data_subjects",
    "data_categories",
    "recipients",
    "third_country_transfers",
    "retention_period",
    "security_measures",
}
NEVER_EMPTY = REQUIRED_COLUMNS - {"representative", "third_country_transfers"}


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(SHIPPED)


Editor = Callable[[str, Callable[[dict[str, Any]], None]], Path]


def test_csv_has_every_purpose_and_column(register: Register) -> None:
    rows = list(csv.DictReader(io.StringIO(render_record(register, "csv"))))
    assert [row["purpose_id"] for row in rows] == list(register.purpose_ids)
    assert set(ART30_COLUMNS) >= REQUIRED_COLUMNS
    assert tuple(rows[0]) == ART30_COLUMNS
    for row in rows:
        for column in NEVER_EMPTY:
            assert row[column].strip(), (row["purpose_id"], column)
    gateway = next(row for row in rows if row["purpose_id"] == "gateway_diagnostics")
    assert "MAR" in gateway["third_country_transfers"]
    assert "standard_contractual_clauses" in gateway["third_country_transfers"]
    billing = next(row for row in rows if row["purpose_id"] == "billing")
    assert billing["retention_period"] == "P1Y"
    assert "P10Y" in billing["retention_exceptions"]
    assert billing["lawful_basis_article"] == "GDPR Art. 6(1)(b)"


def test_json_has_every_purpose_and_field(register: Register) -> None:
    record = json.loads(render_record(register, "json"))["record_of_processing_activities"]
    assert record["controller"]["name"] == "Fluxtel SA"
    assert record["dpo"]["email"] == register.dpo.email
    assert "CNIL" in record["supervisory_authority"]["name"]
    activities = record["activities"]
    assert [activity["id"] for activity in activities] == list(register.purpose_ids)
    for activity in activities:
        for field in (
            "name",
            "description",
            "lawful_basis",
            "lawful_basis_article",
            "data_subjects",
            "data_categories",
            "recipients",
            "processors",
            "third_country_transfers",
            "retention",
            "security_measures",
            "dpia",
        ):
            assert field in activity, (activity["id"], field)
        assert activity["retention"]["period"].startswith("P")


def test_json_round_trips_into_the_models(register: Register) -> None:
    record = json.loads(render_record(register, "json"))["record_of_processing_activities"]
    rebuilt = Register.model_validate_json(
        json.dumps(
            {
                "controller": record["controller"],
                "dpo": record["dpo"],
                "representative": record["representative"],
                "joint_controllers": record["joint_controllers"],
                "supervisory_authority": record["supervisory_authority"],
                "purposes": [
                    {k: v for k, v in activity.items() if k != "lawful_basis_article"}
                    for activity in record["activities"]
                ],
            }
        )
    )
    assert rebuilt == register


class _Structure(HTMLParser):
    """Collects what an accessibility review looks at, and checks tags are balanced."""

    VOID = frozenset({"meta", "br", "link", "img", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.headings: list[str] = []
        self.external: list[str] = []
        self.html_lang: str | None = None
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang")
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if tag in {"h1", "h2", "h3"}:
            self.headings.append(tag)
        if tag in {"script", "link", "img", "iframe"} or (values.get("src")):
            self.external.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()


def test_html_is_self_contained_accessible_and_complete(register: Register) -> None:
    page = render_record(register, "html")
    structure = _Structure()
    structure.feed(page)
    assert structure.errors == [] and structure.stack == []
    assert structure.html_lang == "en"
    assert structure.external == []  # no scripts, stylesheets or images to fetch
    assert structure.headings.count("h1") == 1
    assert len(structure.ids) == len(set(structure.ids))
    assert '<a class="skip" href="#main">' in page
    assert '<th scope="col">' in page and "<caption" in page
    for purpose in register.purposes:
        assert f'id="purpose-{purpose.id}"' in page
        assert f'href="#purpose-{purpose.id}"' in page
        assert purpose.name.en in page
    assert 'lang="fr"' in page
    assert "Imprecise Subject Location" in page  # fideslang's name for user.location.imprecise
    assert "Morocco" in page  # country names come from fideslang's country list


def test_html_escapes_register_text(register_copy: Path, edit_purpose: Editor) -> None:
    edit_purpose(
        "billing", lambda data: data["description"].update(en="<script>alert(1)</script> & co")
    )
    page = render_record(load_register(register_copy), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


def test_csv_cells_cannot_become_formulas(register_copy: Path, edit_purpose: Editor) -> None:
    edit_purpose("billing", lambda data: data.update(owner="=HYPERLINK('http://evil')"))
    rows = list(csv.DictReader(io.StringIO(render_record(load_register(register_copy), "csv"))))
    billing = next(row for row in rows if row["purpose_id"] == "billing")
    assert billing["owner"] == "'=HYPERLINK('http://evil')"


@pytest.mark.parametrize("fmt", ["csv", "json", "html", "HTML"])
def test_write_record_writes_what_render_gives(
    register: Register, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "exports" / f"record.{fmt.lower()}"
    written = write_record(register, fmt, out)
    assert written == out
    assert out.read_bytes() == render_record(register, fmt).encode("utf-8")
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left behind


def test_rendering_is_deterministic(register: Register) -> None:
    for fmt in ("csv", "json", "html"):
        assert render_record(register, fmt) == render_record(load_register(SHIPPED), fmt)


def test_unknown_format_is_refused(register: Register) -> None:
    with pytest.raises(RegisterError, match="unknown record format 'xml'"):
        render_record(register, "xml")


def test_unwritable_destination_is_a_register_error(register: Register, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(RegisterError, match="cannot write the record"):
        write_record(register, "csv", blocker / "record.csv")
