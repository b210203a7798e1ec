"""Targeted offers (purpose ``targeted_offers``, lawful basis: consent, opt-in).

Only subscribers with a consent in force (``eligible``, from the gate) are profiled; nobody
else's events are read. A profile is a handful of traits computed from the window's usage
(heavy data user, international caller, ...); the catalogue (``data/offers.yaml``) says which
traits each offer needs. Every pending offer carries the reasons it matched, in words and
figures, so the member sees in the account area why they got it.

Withdrawal: ``withdraw_offers`` deletes the member's pending offers at once and notes the
time, so a run that asked the gate before the withdrawal cannot publish offers for them
afterwards; the next run no longer sees them because the gate no longer lists them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from trustflux.config import Settings
from trustflux.engine.session import EngineSession
from trustflux.errors import CatalogueError, OperationsError
from trustflux.events.schemas import ID_PATTERN
from trustflux.operations.common import (
    JobRun,
    Window,
    count,
    eligible_subscribers,
    events_in,
    require_files,
    scope_own,
    store_files,
)
from trustflux.operations.records import RunRecord, RunRecorder
from trustflux.operations.tariffs import packaged

PURPOSE = "targeted_offers"
WITHDRAWAL_MEMORY = timedelta(days=2)
"""How long a withdrawal is remembered to stop runs already under way (longer than a run)."""

TRAITS: Mapping[str, tuple[str, ...]] = {
    "heavy_data_user": ("min_mb_per_day",),
    "light_user": ("max_mb_per_day", "max_voice_minutes_per_day"),
    "heavy_caller": ("min_voice_minutes_per_day",),
    "international_caller": ("min_international_minutes",),
    "texter": ("min_sms_per_day",),
    "frequent_roamer": ("min_roaming_days",),
    "young": ("age_brackets",),
    "mobile_only": (),
}
"""Every trait the profile knows, and the parameters the catalogue must give it."""

PENDING_SCHEMA = pa.schema(
    [
        pa.field("subscriber_id", pa.string(), nullable=False),
        pa.field("offer_id", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("description", pa.string(), nullable=False),
        pa.field("reasons", pa.list_(pa.string()), nullable=False),
        pa.field("traits", pa.list_(pa.string()), nullable=False),
        pa.field("window", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("ms", tz="UTC"), nullable=False),
    ]
)


@dataclass(frozen=True)
class Offer:
    """One catalogue entry: what it needs (traits, plans) and what the member reads."""

    id: str
    title: str
    description: str
    requires: tuple[str, ...]
    plans: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Trait thresholds and offers, in priority order."""

    traits: Mapping[str, Mapping[str, Any]]
    offers: tuple[Offer, ...]
    max_offers_per_subscriber: int
    source: str


@dataclass(frozen=True)
class PendingOffer:
    """An offer waiting to be sent, as the account area shows it."""

    subscriber_id: str
    offer_id: str
    title: str
    description: str
    reasons: tuple[str, ...]
    traits: tuple[str, ...]
    window: str
    run_id: str
    created_at: datetime


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and check the offer catalogue (the packaged one by default)."""
    source = path or packaged("offers.yaml")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot read the offer catalogue {source}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source}: not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: expected a mapping with traits and offers")
    unknown_keys = sorted(set(data) - {"version", "max_offers_per_subscriber", "traits", "offers"})
    if unknown_keys:
        raise CatalogueError(f"{source}: unknown keys {unknown_keys}")
    traits = data.get("traits") or {}
    if not isinstance(traits, dict):
        raise CatalogueError(f"{source}: traits must be a mapping")
    for name, params in traits.items():
        if name not in TRAITS:
            raise CatalogueError(f"{source}: unknown trait {name!r} (known: {', '.join(TRAITS)})")
        params = params or {}
        if not isinstance(params, dict) or set(params) != set(TRAITS[name]):
            raise CatalogueError(
                f"{source}: trait {name} needs exactly {list(TRAITS[name]) or 'no parameters'}"
            )
    offers: list[Offer] = []
    for n, raw in enumerate(data.get("offers") or [], start=1):
        offers.append(_offer(source, n, raw, traits))
    ids = [o.id for o in offers]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{source}: offer ids repeat: {ids}")
    limit = data.get("max_offers_per_subscriber", 1)
    if not isinstance(limit, int) or limit < 1:
        raise CatalogueError(f"{source}: max_offers_per_subscriber must be a whole number >= 1")
    clean = {k: dict(v or {}) for k, v in traits.items()}
    return Catalogue(clean, tuple(offers), limit, str(source))


def _offer(source: Path, n: int, raw: object, traits: Mapping[str, object]) -> Offer:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{source}: offer {n} is not a mapping")
    extra = sorted(set(raw) - {"id", "title", "description", "requires", "plans"})
    if extra:
        raise CatalogueError(f"{source}: offer {n}: unknown keys {extra}")
    oid = str(raw.get("id", ""))
    if not re.fullmatch(ID_PATTERN, oid):
        raise CatalogueError(f"{source}: offer {n}: id {oid!r} is not an identifier")
    requires = tuple(str(t) for t in raw.get("requires") or ())
    if not requires:
        raise CatalogueError(f"{source}: offer {oid}: requires at least one trait")
    missing = [t for t in requires if t not in traits]
    if missing:
        raise CatalogueError(f"{source}: offer {oid}: traits {missing} are not defined")
    for key in ("title", "description"):
        if not str(raw.get(key) or "").strip():
            raise CatalogueError(f"{source}: offer {oid}: {key} is empty")
    return Offer(
        oid,
        str(raw["title"]),
        str(raw["description"]),
        requires,
        tuple(str(p) for p in raw.get("plans") or ()),
    )


def usage_profile(scope: Any, cells: Any, home_mcc: str, country_code: str) -> Any:
    """Per subscriber: the usage figures traits are made of."""
    visited = cells.select(c_area=cells.area_code, c_cell=cells.cell_id, c_mcc=cells.mcc)
    e = scope.left_join(
        visited, [scope.area_code == visited.c_area, scope.cell_id == visited.c_cell]
    )
    t = e.event_type
    roaming = e.c_mcc.notnull() & (e.c_mcc != home_mcc)
    call_mo = t == "call_mo"
    international = call_mo & ~e.counterpart.fill_null("").startswith(country_code) & ~roaming
    return e.group_by("subscriber_id").agg(
        events=e.count(),
        data_bytes=(e.bytes_up.fill_null(0) + e.bytes_down.fill_null(0)).sum().cast("int64"),
        voice_out_s=e.duration_s.sum(where=call_mo).fill_null(0).cast("int64"),
        international_s=e.duration_s.sum(where=international).fill_null(0).cast("int64"),
        international_calls=international.sum().cast("int64"),
        sms_out=(t == "sms_mo").sum().cast("int64"),
        roaming_days=e.ts.date().nunique(where=roaming),
    )


@dataclass
class _Profiles:
    ids: list[str]
    plan: list[str]
    values: dict[str, np.ndarray[Any, Any]]
    age: list[str | None]
    gateway: list[str | None]
    days: float
    traits: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = field(default_factory=dict)


def _traits(p: _Profiles, catalogue: Catalogue) -> None:
    t = catalogue.traits
    mb_day = p.values["data_bytes"] / 1e6 / p.days
    voice_day = p.values["voice_out_s"] / 60 / p.days
    found: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = {}
    if "heavy_data_user" in t:
        found["heavy_data_user"] = mb_day >= t["heavy_data_user"]["min_mb_per_day"]
    if "light_user" in t:
        c = t["light_user"]
        found["light_user"] = (mb_day <= c["max_mb_per_day"]) & (
            voice_day <= c["max_voice_minutes_per_day"]
        )
    if "heavy_caller" in t:
        found["heavy_caller"] = voice_day >= t["heavy_caller"]["min_voice_minutes_per_day"]
    if "international_caller" in t:
        minutes = p.values["international_s"] / 60
        found["international_caller"] = (
            minutes >= t["international_caller"]["min_international_minutes"]
        )
    if "texter" in t:
        found["texter"] = p.values["sms_out"] / p.days >= t["texter"]["min_sms_per_day"]
    if "frequent_roamer" in t:
        found["frequent_roamer"] = (
            p.values["roaming_days"] >= t["frequent_roamer"]["min_roaming_days"]
        )
    if "young" in t:
        brackets = set(t["young"]["age_brackets"])
        found["young"] = np.array([a in brackets for a in p.age], dtype=bool)
    if "mobile_only" in t:
        found["mobile_only"] = np.array([g is None for g in p.gateway], dtype=bool)
    p.traits = found


def _reason(trait: str, p: _Profiles, i: int, catalogue: Catalogue) -> str:
    t = catalogue.traits[trait]
    days = p.days
    v = p.values
    if trait == "heavy_data_user":
        return (
            f"You used {v['data_bytes'][i] / 1e9:.1f} GB of mobile data over {days:g} day(s), "
            f"{v['data_bytes'][i] / 1e6 / days:.0f} MB a day (offer from {t['min_mb_per_day']} MB)"
        )
    if trait == "light_user":
        return (
            f"You used {v['data_bytes'][i] / 1e6 / days:.0f} MB of data and "
            f"{v['voice_out_s'][i] / 60 / days:.1f} minutes of calls a day over {days:g} day(s) "
            f"(at most {t['max_mb_per_day']} MB and {t['max_voice_minutes_per_day']} minutes)"
        )
    if trait == "heavy_caller":
        return (
            f"You called {v['voice_out_s'][i] / 60 / days:.0f} minutes a day over {days:g} day(s) "
            f"(offer from {t['min_voice_minutes_per_day']} minutes)"
        )
    if trait == "international_caller":
        return (
            f"You made {v['international_calls'][i]} international call(s) "
            f"({v['international_s'][i] / 60:.0f} minutes) over {days:g} day(s) "
            f"(offer from {t['min_international_minutes']} minutes)"
        )
    if trait == "texter":
        return f"You sent {v['sms_out'][i] / days:.0f} text messages a day over {days:g} day(s)"
    if trait == "frequent_roamer":
        return f"You used your line abroad on {v['roaming_days'][i]} day(s) over {days:g} day(s)"
    if trait == "young":
        return f"You told us your age range is {p.age[i]}"
    if trait == "mobile_only":
        return "You have no home internet box with us"
    raise CatalogueError(f"no reason text for trait {trait}")


def match_offers(
    p: _Profiles, catalogue: Catalogue, plan_names: Mapping[str, str] | None = None
) -> list[tuple[int, Offer, list[str]]]:
    """(profile index, offer, reasons) in catalogue priority, at most N offers a member."""
    _traits(p, catalogue)
    taken = np.zeros(len(p.ids), np.int64)
    out: list[tuple[int, Offer, list[str]]] = []
    plans = np.array(p.plan, dtype=object)
    for offer in catalogue.offers:
        mask = np.ones(len(p.ids), dtype=bool)
        for trait in offer.requires:
            mask &= p.traits[trait]
        if offer.plans:
            mask &= np.isin(plans, list(offer.plans))
        mask &= taken < catalogue.max_offers_per_subscriber
        for i in np.flatnonzero(mask):
            reasons = [_reason(t, p, int(i), catalogue) for t in offer.requires]
            if offer.plans:
                plan = p.plan[i]
                reasons.append(f"Your plan is {(plan_names or {}).get(plan, plan)}")
            out.append((int(i), offer, reasons))
        taken += mask
    return out


def run_offers(
    settings: Settings,
    eligible: pa.Table,
    *,
    window: Window,
    actor: str,
    gate_at: datetime,
    catalogue: Catalogue | None = None,
    recorder: RunRecorder | None = None,
    engine: str | EngineSession | None = None,
) -> RunRecord:
    """Profile the consented members over ``window`` and replace the pending offers."""
    cat = catalogue or load_catalogue(settings.offer_catalogue)
    job = JobRun(
        settings,
        "offers",
        PURPOSE,
        actor,
        gate_at,
        recorder,
        engine,
        parameters={"window": window.label, "catalogue": cat.source},
    )
    with job:
        profiles = _profiles(job, job.session, window, eligible)
        matches = match_offers(profiles, cat, _plan_names(settings))
        created = job.started_at
        rows = [
            {
                "subscriber_id": profiles.ids[i],
                "offer_id": offer.id,
                "title": offer.title,
                "description": offer.description,
                "reasons": reasons,
                "traits": list(offer.requires),
                "window": window.label,
                "run_id": job.run_id,
                "created_at": created,
            }
            for i, offer, reasons in matches
        ]
        table = pa.Table.from_pylist(rows, schema=PENDING_SCHEMA)
        folder = offers_dir(settings)
        with pending_lock(folder):
            late = _withdrawn_since(folder, gate_at)
            if late:
                keep = pc.invert(
                    pc.is_in(table.column("subscriber_id"), value_set=pa.array(sorted(late)))
                )
                table = table.filter(keep)
            write_pending(folder, table, job.run_id)
        job.wrote("pending", folder / "pending.parquet")
        job.counts.update(
            {
                "subscribers_eligible": eligible.num_rows,
                "subscribers_profiled": len(profiles.ids),
                "withdrawn_during_run": len(late),
                "offers": table.num_rows,
                "subscribers_with_offers": len(set(table.column("subscriber_id").to_pylist())),
            }
        )
        return job.finish()


def _profiles(job: JobRun, session: EngineSession, window: Window, eligible: pa.Table) -> _Profiles:
    settings = job.settings
    subscribers = session.read_parquet(require_files(settings, "subscribers"))
    gated = eligible_subscribers(session, subscribers, eligible)
    people = session.to_arrow(
        gated.select("subscriber_id", "imsi", "plan", "age_bracket", "gateway_id")
    ).sort_by("subscriber_id")
    job.read("eligible", eligible.num_rows, detail="subscriber ids with a consent in force")
    event_files = store_files(settings, "events", window.utc_days)
    names = (
        "data_bytes",
        "voice_out_s",
        "international_s",
        "international_calls",
        "sms_out",
        "roaming_days",
    )
    values = {n: np.zeros(people.num_rows, np.int64) for n in names}
    events_in_scope = 0
    if event_files and people.num_rows:
        events = events_in(session, event_files, window)
        job.read("events", count(session, events), len(event_files), detail=window.label)
        scope = scope_own(events, gated.select("subscriber_id", "imsi"))
        cells = session.read_parquet(require_files(settings, "cells"))
        usage = session.to_arrow(
            usage_profile(scope, cells, settings.home_plmn[:3], settings.home_country_code)
        )
        position = pc.index_in(
            usage.column("subscriber_id"), value_set=people.column("subscriber_id")
        )
        idx = np.asarray(position.to_numpy(zero_copy_only=False), np.int64)
        for n in names:
            values[n][idx] = np.asarray(
                pc.fill_null(usage.column(n), 0).to_numpy(zero_copy_only=False), np.int64
            )
        events_in_scope = int(pc.sum(usage.column("events")).as_py() or 0)
    else:
        job.read("events", 0, len(event_files), detail=window.label)
    job.counts["events_in_scope"] = events_in_scope
    days = (window.end - window.start).total_seconds() / 86400
    return _Profiles(
        ids=people.column("subscriber_id").to_pylist(),
        plan=people.column("plan").to_pylist(),
        values=values,
        age=people.column("age_bracket").to_pylist(),
        gateway=people.column("gateway_id").to_pylist(),
        days=round(days, 2),
    )


def _plan_names(settings: Settings) -> dict[str, str]:
    """Plan names as members know them (from the tariff table; codes if it is unreadable)."""
    from trustflux.errors import TariffError
    from trustflux.operations.tariffs import load_tariffs

    try:
        return {code: plan.name for code, plan in load_tariffs(settings.tariff_file).plans.items()}
    except TariffError:
        return {}


# -- pending offers: the account area reads them, a withdrawal deletes them -----------------
def offers_dir(settings: Settings) -> Path:
    return settings.ops_dir / "offers"


def pending_offers(settings: Settings, subscriber_id: str | None = None) -> list[PendingOffer]:
    """Pending offers (of one member, or all), with their reasons, for the account area."""
    path = offers_dir(settings) / "pending.parquet"
    if not path.exists():
        return []
    table = pq.read_table(path)
    if subscriber_id is not None:
        table = table.filter(pc.equal(table.column("subscriber_id"), subscriber_id))
    return [
        PendingOffer(
            r["subscriber_id"],
            r["offer_id"],
            r["title"],
            r["description"],
            tuple(r["reasons"]),
            tuple(r["traits"]),
            r["window"],
            r["run_id"],
            r["created_at"],
        )
        for r in table.to_pylist()
    ]


def withdraw_offers(settings: Settings, subscriber_id: str, at: datetime | None = None) -> int:
    """Delete the member's pending offers now; returns how many were removed.

    The withdrawal time is kept for ``WITHDRAWAL_MEMORY`` so that a run whose gate answer
    predates it drops the member when it publishes (see ``run_offers``).
    """
    if not re.fullmatch(ID_PATTERN, subscriber_id):
        raise OperationsError(f"{subscriber_id!r} is not a subscriber id")
    when = at or datetime.now(UTC)
    folder = offers_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with pending_lock(folder):
        _remember_withdrawal(folder, subscriber_id, when)
        path = folder / "pending.parquet"
        if not path.exists():
            return 0
        table = pq.read_table(path)
        mine = pc.equal(table.column("subscriber_id"), subscriber_id)
        removed = int(pc.sum(mine).as_py() or 0)
        if removed:
            write_pending(folder, table.filter(pc.invert(mine)), f"withdraw-{os.getpid()}")
        return removed


def write_pending(folder: Path, table: pa.Table, tag: str) -> None:
    """Replace the pending offers atomically (call under ``pending_lock``)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".pending.{tag}.tmp"
    pq.write_table(table, tmp)
    tmp.replace(folder / "pending.parquet")


def _remember_withdrawal(folder: Path, subscriber_id: str, when: datetime) -> None:
    path = folder / "withdrawals.jsonl"
    horizon = datetime.now(UTC) - WITHDRAWAL_MEMORY
    kept = [w for w in _withdrawals(path) if w[1] >= horizon]
    kept.append((subscriber_id, when))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        "".join(json.dumps({"subscriber_id": s, "at": t.isoformat()}) + "\n" for s, t in kept)
    )
    tmp.replace(path)


def _withdrawals(path: Path) -> list[tuple[str, datetime]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            data = json.loads(line)
            out.append((str(data["subscriber_id"]), datetime.fromisoformat(data["at"])))
    return out


def _withdrawn_since(folder: Path, moment: datetime) -> set[str]:
    return {s for s, t in _withdrawals(folder / "withdrawals.jsonl") if t >= moment}


@contextmanager
def pending_lock(folder: Path) -> Iterator[None]:
    """One writer at a time on the pending offers (a run and a withdrawal may race)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: single-process use only
        yield
        return
    with (folder / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
