"""Fixtures for register tests: the shipped register, and editable copies of it.

Helpers are fixtures (not imported from this file) so that they work whatever pytest's import
mode and whichever other ``conftest.py`` files exist.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

Change = Callable[[dict[str, Any]], None]
Editor = Callable[[str, Change], Path]


@pytest.fixture(scope="session")
def shipped_dir() -> Path:
    """The register folder committed at the repository root."""
    return Path(__file__).resolve().parents[2] / "register"


@pytest.fixture
def register_copy(tmp_path: Path, shipped_dir: Path) -> Path:
    """A copy of the shipped register that a test may break."""
    target = tmp_path / "register"
    shutil.copytree(shipped_dir, target)
    return target


def _edit_yaml(path: Path, change: Change) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def edit_purpose(register_copy: Path) -> Editor:
    """``edit_purpose(id, change)``: mutate one purpose file of the copy; returns its path."""

    def edit(purpose_id: str, change: Change) -> Path:
        return _edit_yaml(register_copy / "purposes" / f"{purpose_id}.yaml", change)

    return edit


@pytest.fixture
def edit_controller(register_copy: Path) -> Callable[[Change], Path]:
    """``edit_controller(change)``: mutate the copy's controller.yaml; returns its path."""

    def edit(change: Change) -> Path:
        return _edit_yaml(register_copy / "controller.yaml", change)

    return edit
