"""Who a request is about: the identifiers of one subscriber, read from the store.

Every store names the person differently (subscriber id in contracts and outputs, IMSI in
events, MSISDN as other people's counterpart, gateway id in telemetry), so access and
erasure start from all of them. An erased subscriber is recognised by their marker and
answered with ``ErasedSubjectError``, never silently as "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from trustflux.config import Settings
from trustflux.errors import ErasedSubjectError, RequestNotFoundError
from trustflux.rights import tombstones

SUBJECT_COLUMNS = ("subscriber_id", "msisdn", "imsi", "imei", "gateway_id")


@dataclass(frozen=True)
class SubjectIds:
    """Every identifier the identified zone holds for one subscriber."""

    subscriber_id: str
    msisdn: str
    imsi: str
    imei: str
    gateway_id: str | None

    def identifiers(self) -> dict[str, str]:
        """kind -> value, for every identifier the subscriber has (gateway may be absent)."""
        out = {
            "subscriber_id": self.subscriber_id,
            "msisdn": self.msisdn,
            "imsi": self.imsi,
            "imei": self.imei,
        }
        if self.gateway_id:
            out["gateway_id"] = self.gateway_id
        return out


def find_subject(settings: Settings, subscriber_id: str) -> SubjectIds:
    """The subscriber's identifiers; ``RequestNotFoundError`` if unknown, ``ErasedSubjectError``
    if erased."""
    found = _lookup(settings, "subscriber_id", subscriber_id)
    if found is None:
        _raise_if_erased(settings, "subscriber_id", subscriber_id)
        raise RequestNotFoundError(f"no subscriber {subscriber_id!r} in {_where(settings)}")
    return found


def find_by_msisdn(settings: Settings, msisdn: str) -> SubjectIds:
    """The subscriber holding phone number ``msisdn`` (E.164 without '+')."""
    number = msisdn.strip().removeprefix("+")
    found = _lookup(settings, "msisdn", number)
    if found is None:
        _raise_if_erased(settings, "msisdn", number)
        raise RequestNotFoundError(f"no subscriber with msisdn {number!r} in {_where(settings)}")
    return found


def _where(settings: Settings) -> str:
    return str(settings.store_dir / "subscribers")


def subscriber_files(settings: Settings) -> list[str]:
    folder = settings.store_dir / "subscribers"
    return sorted(str(p) for p in folder.rglob("*.parquet")) if folder.exists() else []


def _lookup(settings: Settings, column: str, value: str) -> SubjectIds | None:
    files = subscriber_files(settings)
    if not files:
        return None
    table = ds.dataset(files, format="parquet").to_table(
        columns=list(SUBJECT_COLUMNS), filter=ds.field(column) == value
    )
    if table.num_rows == 0:
        return None
    row: dict[str, Any] = table.slice(0, 1).to_pylist()[0]
    if table.num_rows > 1:
        ids = pc.unique(table.column("subscriber_id")).to_pylist()
        if len(ids) > 1:
            raise RequestNotFoundError(
                f"{column} {value!r} names several subscribers ({', '.join(map(str, ids))})"
            )
    return SubjectIds(
        subscriber_id=str(row["subscriber_id"]),
        msisdn=str(row["msisdn"]),
        imsi=str(row["imsi"]),
        imei=str(row["imei"]),
        gateway_id=None if row["gateway_id"] is None else str(row["gateway_id"]),
    )


def _raise_if_erased(settings: Settings, kind: str, value: str) -> None:
    when = erased_at(settings, kind, value)
    if when is not None:
        raise ErasedSubjectError(
            f"subscriber {kind} {value!r} was erased on {when.date().isoformat()}: "
            "nothing is held about them any more"
        )


def erased_at(settings: Settings, kind: str, value: str) -> datetime | None:
    """When the subscriber with this identifier was erased (None if never)."""
    from trustflux.engine.store import Store

    if not settings.catalog_path.exists():
        return None
    key = tombstones.erasure_key(settings)
    if key is None:
        return None
    with Store(settings) as store:
        return tombstones.erased_on(store.raw, key, kind, value)
