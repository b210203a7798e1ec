"""The release report: one self-contained, accessible HTML page (no script, no network).

Four figures (footfall map, flow map, daily presence curve, origins), each followed by the
table it was drawn from, then the privacy statement for a tourism office and for a DPO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import pyarrow as pa
from markupsafe import Markup

from trustflux.mobility import figures
from trustflux.mobility.extrapolate import ExtrapolatedRelease
from trustflux.mobility.geo import parse_wkt
from trustflux.mobility.summaries import (
    ZoneFigures,
    origin_breakdown,
    presence_curve,
    top_flows,
    zone_figures,
)
from trustflux.templating import package_template

TOP_FLOWS = 25
TOP_ORIGINS = 15
KIND_LABELS = {"domestic": "Subscribers of French networks", "foreign": "Foreign visitors"}


@dataclass(frozen=True)
class Figure:
    """A figure of the report and its table equivalent."""

    ident: str
    heading: str
    intro: str
    svg: Markup
    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


def render_report(
    release: ExtrapolatedRelease, zones: pa.Table, metadata: Mapping[str, Any]
) -> str:
    """The report page for ``release`` (``metadata`` is what release.json states)."""
    per_zone = zone_figures(release)
    map_zones = _map_zones(release, zones, per_zone)
    names = {z.zone_id: z.name for z in map_zones}
    figs = [
        f
        for f in (
            _footfall_figure(release, map_zones, per_zone),
            _flow_figure(release, map_zones, names),
            _presence_figure(release),
            _origin_figure(release),
        )
        if f is not None
    ]
    return _template().render(meta=metadata, figures=figs, kind_labels=KIND_LABELS)


def _map_zones(
    release: ExtrapolatedRelease, zones: pa.Table, per_zone: Mapping[str, ZoneFigures]
) -> list[figures.MapZone]:
    rows = {r["zone_id"]: r for r in zones.to_pylist()}
    return [
        figures.MapZone(
            zone_id=z,
            name=str(rows[z]["name"]),
            polygons=parse_wkt(rows[z]["geometry"]),
            centroid=(float(rows[z]["lon"]), float(rows[z]["lat"])),
            value=per_zone[z].footfall_per_day,
        )
        for z in release.protected.keys.zones
    ]


def _num(value: float | None) -> str:
    return "withheld or none" if value is None else f"{value:,.0f}".replace(",", "\u202f")


def _footfall_figure(
    release: ExtrapolatedRelease,
    map_zones: list[figures.MapZone],
    per_zone: Mapping[str, ZoneFigures],
) -> Figure | None:
    if "visitors_by_category" not in release.tables:
        return None
    title = "Footfall: people in each zone on an average day"
    return Figure(
        ident="footfall",
        heading=title,
        intro="Unique people seen in each zone on an average day of the period (residents, "
        "usual visitors, excursionists, tourists and people in transit), estimated from "
        "protected device counts.",
        svg=Markup(figures.choropleth(map_zones, "footfall", title, "people a day")),
        caption="Footfall and overnight stays by zone",
        headers=("Zone", "Code", "People a day", "Overnight stays (period)"),
        rows=[
            (
                z.name,
                z.zone_id,
                _num(z.value),
                _num(per_zone[z.zone_id].overnight_stays),
            )
            for z in sorted(map_zones, key=lambda m: -(m.value or 0))
        ],
    )


def _flow_figure(
    release: ExtrapolatedRelease, map_zones: list[figures.MapZone], names: Mapping[str, str]
) -> Figure | None:
    if "od_matrix" not in release.tables:
        return None
    flows = top_flows(release, TOP_FLOWS)
    title = f"Largest flows between zones (top {len(flows)})"
    triples = [(f.origin_zone, f.dest_zone, f.trips) for f in flows]
    return Figure(
        ident="flows",
        heading=title,
        intro="Trips from one zone to another over the whole period, estimated for the whole "
        "population; the thicker the arrow, the more trips. Only the largest flows are drawn.",
        svg=Markup(figures.flow_map(map_zones, triples, "flows", title)),
        caption="Largest flows between zones",
        headers=("From", "To", "Trips (period)"),
        rows=[(names[o], names[d], _num(t)) for o, d, t in triples],
    )


def _presence_figure(release: ExtrapolatedRelease) -> Figure | None:
    curve = presence_curve(release)
    if not curve:
        return None
    series = {KIND_LABELS.get(k, k): v for k, v in curve.items()}
    title = "People present over the day (all zones, local time)"
    hours = [f"{h:02d}:00" for h in range(24)]
    return Figure(
        ident="presence",
        heading=title,
        intro="People present in all published zones together at each hour of an average "
        "day (Paris time), for subscribers of French networks and for foreign visitors.",
        svg=Markup(
            figures.line_chart(series, "presence", title, "Hour of the day (Paris time)", "people")
        ),
        caption="People present by hour of the day",
        headers=("Hour", *series.keys()),
        rows=[(hours[h], *(_num(v[h]) for v in series.values())) for h in range(24)],
    )


def _origin_figure(release: ExtrapolatedRelease) -> Figure | None:
    items = origin_breakdown(release, TOP_ORIGINS)
    if not items:
        return None
    title = "Where visitors come from"
    return Figure(
        ident="origins",
        heading=title,
        intro="Visitors (residents excluded) by origin, added up over zones and days "
        "(visitor-days): a country code for foreign visitors, the home region for visitors "
        "living in France.",
        svg=Markup(
            figures.bar_chart([(o, float(v)) for o, v in items], "origins", title, "visitor-days")
        ),
        caption="Visitor-days by origin",
        headers=("Origin", "Visitor-days"),
        rows=[(o, _num(v)) for o, v in items],
    )


@cache
def _template() -> jinja2.Template:
    return package_template(
        "trustflux.mobility",
        "report.html.j2",
        {
            "num": lambda v, digits=0: f"{v:,.{digits}f}".replace(",", "\u202f"),
            "pct": lambda v: f"{100 * v:.1f}\u202f%",
            "sig": lambda v, digits=3: f"{v:.{digits}g}",
        },
    )
