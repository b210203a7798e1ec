"""Stage 7, publish: one release folder, written whole or not at all.

``OUT/<release_id>/`` holds, per indicator, Parquet and CSV (keys, noisy count, people,
``suppressed``), ``zones.geojson``, ``release.json`` (period, privacy accounting, weights,
checksums) and ``report.html``. Everything is written into a hidden sibling folder first and
renamed into place at the end; on any error the partial folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

import trustflux
from trustflux.console import NullReporter, Reporter
from trustflux.errors import StatisticsError
from trustflux.mobility.budget import discrete_gaussian_tail, epsilon_of
from trustflux.mobility.extrapolate import METHOD, ExtrapolatedRelease
from trustflux.mobility.geo import geojson_geometry, parse_wkt
from trustflux.mobility.report import render_report
from trustflux.mobility.summaries import zone_figures

HtmlRenderer = Callable[[ExtrapolatedRelease, pa.Table, Mapping[str, Any]], str]
_RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
INPUT_COUNTS_NOTE = (
    "exact operational totals of the run, outside the differential-privacy guarantee; they "
    "describe the size of the input, not any zone or time slot"
)


def publish_release(
    out_dir: Path,
    release_id: str,
    release: ExtrapolatedRelease,
    zones: pa.Table,
    input_counts: Mapping[str, int],
    *,
    created_at: datetime | None = None,
    reporter: Reporter | None = None,
    render_html: HtmlRenderer = render_report,
) -> Path:
    """Write the release folder atomically and return its path.

    Refuses an existing release id (a release is never overwritten). ``created_at`` defaults
    to now; pass it to compare two runs byte for byte.
    """
    if not _RELEASE_ID.match(release_id):
        raise StatisticsError(
            f"release id {release_id!r}: use letters, digits, '.', '_' or '-' (max 100)"
        )
    reporter = reporter or NullReporter()
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / release_id
    if final.exists():
        raise StatisticsError(f"release {release_id!r} already exists in {out_dir}")
    stamp = (created_at or datetime.now(UTC)).astimezone(UTC)
    work = Path(tempfile.mkdtemp(prefix=f".{release_id}.", suffix=".partial", dir=out_dir))
    try:
        with reporter.task("publish", total=len(release.tables) + 3) as task:
            files: dict[str, str] = {}
            for name, table in release.tables.items():
                for path in _write_table(work, name, table):
                    files[path.name] = _sha256(path)
                task.advance()
            geojson = work / "zones.geojson"
            geojson.write_text(_geojson(release, zones), encoding="utf-8")
            files[geojson.name] = _sha256(geojson)
            task.advance()
            meta = release_metadata(release, release_id, stamp, input_counts)
            html = work / "report.html"
            html.write_text(render_html(release, zones, meta), encoding="utf-8")
            files[html.name] = _sha256(html)
            task.advance()
            meta["files"] = dict(sorted(files.items()))
            (work / "release.json").write_text(
                json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            task.advance()
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def release_metadata(
    release: ExtrapolatedRelease,
    release_id: str,
    created_at: datetime,
    input_counts: Mapping[str, int],
) -> dict[str, Any]:
    """Everything ``release.json`` states, as plain JSON values."""
    protected = release.protected
    keys = protected.keys
    accounting = protected.accounting
    n_days = len(keys.days)
    group_rho = accounting.rho * n_days * n_days
    subs = release.subscribers.accounting
    noise = protected.noise
    return {
        "release_id": release_id,
        "created_at": created_at.isoformat(timespec="seconds"),
        "software": {
            "trustflux": trustflux.__version__,
            "opendp": importlib_metadata.version("opendp"),
        },
        "period": {
            "first_day": keys.days[0].isoformat(),
            "last_day": keys.days[-1].isoformat(),
            "days": n_days,
            "day_boundaries": "local days, Europe/Paris",
            "presence_slot_minutes": keys.slot_minutes,
            "zones": len(keys.zones),
        },
        "privacy": {
            "unit": accounting.unit,
            "definition": "zero-concentrated differential privacy (rho), converted to "
            "(epsilon, delta)-differential privacy by OpenDP",
            "mechanism": "discrete Gaussian noise on every cell of the public grid (OpenDP), "
            "then post-processing: negative counts set to 0, counts below k withheld",
            "rho": accounting.rho,
            "epsilon": accounting.epsilon,
            "delta": accounting.delta,
            "budget": {
                "rho": protected.budget_rho,
                "epsilon": epsilon_of(protected.budget_rho, accounting.delta),
                "spent_rho": protected.budget_spent_rho,
                "remaining_rho": max(0.0, protected.budget_rho - protected.budget_spent_rho),
            },
            "device_over_period": {
                "rho": group_rho,
                "epsilon": epsilon_of(group_rho, accounting.delta),
                "note": f"group-privacy bound for one device present on all {n_days} days "
                "(rho x days^2); loose, an upper bound",
            },
            "k": protected.k,
            "noise_source": {
                "name": noise.name,
                "cryptographic": noise.cryptographic,
                "for_publication": noise.for_publication,
                "detail": noise.detail,
                "seed_fingerprint": noise.seed_fingerprint,
            },
            "subscribers_by_zone": {
                "unit": subs.unit,
                "rho": subs.rho,
                "epsilon": subs.epsilon,
                "delta": subs.delta,
                "noise_scale": subs.charges[0].scale,
                "use": "only to weight domestic devices; separate budget, separate dataset",
            },
        },
        "indicators": {name: _indicator_metadata(release, name) for name in protected.indicators},
        "extrapolation": {
            "method": METHOD,
            "capture_rate": release.config.capture_rate,
            "foreign_weight": release.weights.foreign,
            "weight_floor": release.config.weight_floor,
            "weight_cap": release.config.weight_cap,
            "min_subscribers": release.config.min_subscribers,
            "overall_weight": release.weights.overall,
            "region_weights": dict(sorted(release.weights.region.items())),
            "zone_weights": {
                z: {"weight": release.weights.zone[z], "from": release.weights.zone_method[z]}
                for z in sorted(release.weights.zone)
            },
        },
        "input_counts": {**dict(sorted(input_counts.items())), "note": INPUT_COUNTS_NOTE},
    }


def _indicator_metadata(release: ExtrapolatedRelease, name: str) -> dict[str, Any]:
    item = release.protected.indicators[name]
    charge = item.charge
    return {
        "title": item.indicator.title,
        "columns": release.tables[name].column_names,
        "cells": item.table.num_rows,
        "rho": charge.rho,
        "epsilon": charge.epsilon,
        "noise_scale": charge.scale,
        "noise_std": charge.noise_std,
        "contribution": {
            "cells_per_device_day": charge.cells,
            "l2_sensitivity": charge.sensitivity,
            "reason": item.contribution.reason,
        },
        "threshold": item.threshold,
        "suppressed_share": item.suppressed_share,
        "empty_cell_shown_probability": discrete_gaussian_tail(charge.scale, item.threshold),
        "files": [f"{name}.parquet", f"{name}.csv"],
    }


def _write_table(folder: Path, name: str, table: pa.Table) -> list[Path]:
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    pq.write_table(table, parquet)
    pa_csv.write_csv(table, csv)
    return [parquet, csv]


def _geojson(release: ExtrapolatedRelease, zones: pa.Table) -> str:
    figures = zone_figures(release)
    rows = {r["zone_id"]: r for r in zones.to_pylist()}
    features = []
    for zone_id in release.protected.keys.zones:
        row = rows[zone_id]
        f = figures[zone_id]
        features.append(
            {
                "type": "Feature",
                "id": zone_id,
                "properties": {
                    "zone_id": zone_id,
                    "name": row["name"],
                    "region_id": row["region_id"],
                    "population": row["population"],
                    "footfall_per_day": f.footfall_per_day,
                    "visitors_per_day": f.visitors_per_day,
                    "overnight_stays": f.overnight_stays,
                },
                "geometry": geojson_geometry(parse_wkt(row["geometry"])),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
