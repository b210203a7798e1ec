"""Read the register folder, check everything, and report every problem at once.

A register with one mistake must not half-load: ``load_register`` either returns a register
whose every rule holds or raises ``RegisterError`` listing each problem with its file, field
path and, where known, line, so one run shows the whole list to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from trustflux.errors import RegisterError
from trustflux.register.models import ControllerFile, Purpose, Register
from trustflux.register.problems import Finding, Loc, format_loc, from_validation_error
from trustflux.register.rules import check_controller, check_purpose

CONTROLLER_FILE = "controller.yaml"
PURPOSES_DIR = "purposes"
YAML_SUFFIXES = frozenset({".yaml", ".yml"})

_M = TypeVar("_M", bound=BaseModel)

# A check on the raw mapping, run before the schema (see ``_id_matches_stem``).
_RawCheck = Callable[[Path, dict[object, object]], list[Finding]]


class _StrictYamlLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: PyYAML's own check reports it
                continue
            if duplicate:
                raise ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} is given twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_register(directory: Path) -> Register:
    """The register in ``directory`` (``controller.yaml`` and ``purposes/*.yaml``), checked."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RegisterError(
            [
                f"{directory}: register folder not found "
                f"(expected {CONTROLLER_FILE} and {PURPOSES_DIR}/ inside it)"
            ]
        )
    problems: list[str] = []
    controller = _load_controller(directory / CONTROLLER_FILE, problems)
    purposes = _load_purposes(directory / PURPOSES_DIR, problems)
    if problems or controller is None:
        raise RegisterError(problems or [f"{directory / CONTROLLER_FILE}: could not be read"])
    return Register(
        controller=controller.controller,
        dpo=controller.dpo,
        representative=controller.representative,
        joint_controllers=controller.joint_controllers,
        supervisory_authority=controller.supervisory_authority,
        purposes=tuple(sorted(purposes, key=lambda purpose: purpose.id)),
    )


def _load_controller(path: Path, problems: list[str]) -> ControllerFile | None:
    if not path.is_file():
        problems.append(f"{path}: controller file not found (who is the controller, the DPO?)")
        return None
    document = _load_document(path, ControllerFile, problems)
    if document is None:
        return None
    lines, controller = document
    _report(path, check_controller(controller), lines, problems)
    return controller


def _load_purposes(folder: Path, problems: list[str]) -> list[Purpose]:
    if not folder.is_dir():
        problems.append(f"{folder}: purposes folder not found (one YAML file per purpose)")
        return []
    files = sorted(
        path
        for path in folder.iterdir()
        if path.suffix in YAML_SUFFIXES and path.is_file() and not path.name.startswith(".")
    )
    if not files:
        problems.append(f"{folder}: no purpose files (*.yaml) in the purposes folder")
    purposes: list[Purpose] = []
    declared: dict[str, Path] = {}
    for path in files:
        document = _load_document(path, Purpose, problems, raw_check=_id_matches_stem)
        if document is None:
            continue
        lines, purpose = document
        findings = check_purpose(purpose)
        if purpose.id in declared:
            findings.insert(
                0, Finding(("id",), f"{purpose.id!r} is already declared in {declared[purpose.id]}")
            )
        else:
            declared[purpose.id] = path
        _report(path, findings, lines, problems)
        if not findings:
            purposes.append(purpose)
    return purposes


def _id_matches_stem(path: Path, data: dict[object, object]) -> list[Finding]:
    """A purpose's id is its file name, so the file for a purpose is found without search."""
    given = data.get("id")
    if isinstance(given, str) and given != path.stem:
        return [Finding(("id",), f"{given!r} must equal the file name {path.stem!r}")]
    return []


def _load_document(
    path: Path,
    model: type[_M],
    problems: list[str],
    raw_check: _RawCheck | None = None,
) -> tuple[dict[Loc, int], _M] | None:
    """Parse and validate one file; on failure record its problems and return ``None``."""
    parsed = _read_yaml(path, problems)
    if parsed is None:
        return None
    data, lines = parsed
    if data is None:
        problems.append(f"{path}: the file is empty")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping of fields at the top level")
        return None
    findings = raw_check(path, data) if raw_check else []
    try:
        instance = model.model_validate(data)
    except ValidationError as error:
        findings.extend(from_validation_error(error))
        _report(path, findings, lines, problems)
        return None
    if findings:
        _report(path, findings, lines, problems)
        return None
    return lines, instance


def _read_yaml(path: Path, problems: list[str]) -> tuple[object, dict[Loc, int]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"{path}: not UTF-8 text")
        return None
    except OSError as error:
        problems.append(f"{path}: cannot be read ({error.strerror})")
        return None
    loader = _StrictYamlLoader(text)
    try:
        node = loader.get_single_node()  # type: ignore[no-untyped-call]
        data = loader.construct_document(node) if node is not None else None  # type: ignore[no-untyped-call]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = error.problem or error.context or "syntax error"
        problems.append(f"{path}: {where}invalid YAML: {what}")
        return None
    except yaml.YAMLError as error:
        problems.append(f"{path}: invalid YAML: {error}")
        return None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    return data, (_line_index(node) if node is not None else {})


def _line_index(node: Node, loc: Loc = ()) -> dict[Loc, int]:
    """The 1-based line of every field and item, by location, to point at problems."""
    index: dict[Loc, int] = {loc: node.start_mark.line + 1}
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                child = (*loc, str(key_node.value))
                index.update(_line_index(value_node, child))
                index[child] = key_node.start_mark.line + 1
    elif isinstance(node, SequenceNode):
        for position, item in enumerate(node.value):
            index.update(_line_index(item, (*loc, position)))
    return index


def _report(
    path: Path, findings: list[Finding], lines: dict[Loc, int], problems: list[str]
) -> None:
    for finding in findings:
        if not finding.loc:
            problems.append(f"{path}: {finding.message}")
            continue
        line = _line_of(finding.loc, lines)
        suffix = f" (line {line})" if line else ""
        problems.append(f"{path}: {format_loc(finding.loc)}: {finding.message}{suffix}")


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int | None:
    """The line of ``loc``, or of its nearest declared parent (a missing field's mapping)."""
    for end in range(len(loc), 0, -1):
        line = lines.get(loc[:end])
        if line is not None:
            return line
    return None
