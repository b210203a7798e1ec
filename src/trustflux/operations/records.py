"""Run records: what each operations job read, for which purpose, who ran it, what it wrote.

A job returns its ``RunRecord`` and hands it to a ``RunRecorder``. The default recorder appends
one JSON line per run to ``<operations>/runs.jsonl``; the hash-chained audit trail plugs in
through the same protocol, so jobs never know which one they write to.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from trustflux.errors import OperationsError


@dataclass(frozen=True)
class InputRecord:
    """One input a job read: a store table (its files) or an in-memory table (``files`` 0)."""

    name: str
    rows: int
    files: int = 0
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "files": self.files, "detail": self.detail}


@dataclass(frozen=True)
class RunRecord:
    """One run of one job for one declared purpose (the unit the audit trail keeps)."""

    run_id: str
    job: str
    purpose: str
    started_at: datetime
    finished_at: datetime
    actor: str
    gate_at: datetime | None
    """The instant the gate was asked about (who may be processed), if the job used it."""
    inputs: tuple[InputRecord, ...]
    counts: Mapping[str, int]
    outputs: Mapping[str, str]
    """Output name -> path written."""
    parameters: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "purpose": self.purpose,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "actor": self.actor,
            "gate_at": None if self.gate_at is None else self.gate_at.isoformat(),
            "inputs": [i.as_dict() for i in self.inputs],
            "counts": dict(self.counts),
            "outputs": dict(self.outputs),
            "parameters": dict(self.parameters),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        gate_at = data.get("gate_at")
        return cls(
            run_id=str(data["run_id"]),
            job=str(data["job"]),
            purpose=str(data["purpose"]),
            started_at=datetime.fromisoformat(str(data["started_at"])),
            finished_at=datetime.fromisoformat(str(data["finished_at"])),
            actor=str(data["actor"]),
            gate_at=None if gate_at is None else datetime.fromisoformat(str(gate_at)),
            inputs=tuple(InputRecord(**i) for i in data.get("inputs", [])),
            counts={str(k): int(v) for k, v in dict(data.get("counts", {})).items()},
            outputs={str(k): str(v) for k, v in dict(data.get("outputs", {})).items()},
            parameters={str(k): str(v) for k, v in dict(data.get("parameters", {})).items()},
        )


class RunRecorder(Protocol):
    """Where run records go: a JSON-lines file by default, the audit trail once wired."""

    def record(self, run: RunRecord) -> None: ...


class JsonlRunRecorder:
    """Appends one JSON line per run and syncs it, so a finished run is never unrecorded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, run: RunRecord) -> None:
        line = json.dumps(run.as_dict(), sort_keys=True, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OperationsError(f"cannot append the run record to {self.path}: {exc}") from exc

    def read(self) -> list[RunRecord]:
        """Every run recorded so far, oldest first."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [RunRecord.from_dict(json.loads(line)) for line in lines if line.strip()]


class MemoryRunRecorder:
    """Keeps records in a list (library use and tests)."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []

    def record(self, run: RunRecord) -> None:
        self.runs.append(run)


def new_run_id(job: str, now: datetime | None = None) -> str:
    """Sortable and unique: job, UTC time, random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{job}-{stamp}-{uuid.uuid4().hex[:8]}"
