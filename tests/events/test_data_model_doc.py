"""docs/data-model.md is generated from the specs and must be kept in step with them."""

from __future__ import annotations

from pathlib import Path

from trustflux.events.model_doc import render_data_model
from trustflux.events.schemas import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def test_committed_data_model_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render_data_model(), (
        "docs/data-model.md is stale: run `trustflux data-model --out docs/data-model.md`"
    )


def test_doc_names_every_column_of_every_table() -> None:
    text = render_data_model()
    for spec in TABLES.values():
        assert f"## `{spec.name}`" in text
        for column in spec.column_names:
            assert f"| `{column}` |" in text
