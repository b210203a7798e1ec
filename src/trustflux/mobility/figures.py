"""Inline SVG figures for the report, drawn in Python (no script, no external resource).

Every figure is an ``<svg role="img">`` with a <title> and a <desc> that screen readers read;
each mark carries its own <title> (shown on hover), and the report puts a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from trustflux.mobility.geo import Polygon, Projection

# Colour-blind-safe sequential classes (viridis, light to dark) and a neutral for no data.
CLASS_COLOURS = ("#fde725", "#7ad151", "#22a884", "#2a788e", "#414487")
NO_DATA = "#d9d9d9"
SERIES_COLOURS = ("#1b5e9b", "#d95f02", "#7570b3")
FONT = "font-family='system-ui, sans-serif' font-size='13'"


@dataclass(frozen=True)
class MapZone:
    zone_id: str
    name: str
    polygons: list[Polygon]
    centroid: tuple[float, float]
    value: float | None


def _open(width: float, height: float, ident: str, title: str, desc: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='{width:g}' height='{height:g}' role='img' "
        f"aria-labelledby='{ident}-t {ident}-d' {FONT}>"
        f"<title id='{ident}-t'>{escape(title)}</title><desc id='{ident}-d'>{escape(desc)}</desc>"
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def class_breaks(values: Sequence[float], classes: int = len(CLASS_COLOURS)) -> list[float]:
    """Upper bounds of quantile classes (distinct, increasing; the last is the maximum)."""
    ordered = sorted(values)
    if not ordered:
        return []
    picks = [
        ordered[min(len(ordered) - 1, math.ceil(len(ordered) * (i + 1) / classes) - 1)]
        for i in range(classes)
    ]
    return sorted(set(picks))


def _class_of(value: float, breaks: Sequence[float]) -> int:
    for i, upper in enumerate(breaks):
        if value <= upper:
            return i
    return len(breaks) - 1


def choropleth(zones: Sequence[MapZone], ident: str, title: str, unit: str) -> str:
    """Zones filled by quantile class of their value, with a legend on the right."""
    legend_w = 200
    points = [pt for z in zones for poly in z.polygons for ring in poly for pt in ring]
    project = Projection.fit(points, 560, 520, 12)
    width, height = project.width + legend_w, max(project.height, 200)
    known = [z.value for z in zones if z.value is not None]
    breaks = class_breaks(known)
    desc = (
        f"Map of {len(zones)} zones shaded by {unit} in {len(breaks)} classes from light "
        "(fewest) to dark (most); grey zones have no published figure. The table after the "
        "map gives every value."
    )
    out = [_open(width, height, ident, title, desc)]
    for z in zones:
        colour = NO_DATA if z.value is None else CLASS_COLOURS[_class_of(z.value, breaks)]
        label = f"{z.name} ({z.zone_id}): " + (
            "no published figure" if z.value is None else f"{_fmt(z.value)} {unit}"
        )
        out.append(
            f"<path d='{project.path(z.polygons)}' fill='{colour}' fill-rule='evenodd' "
            f"stroke='#ffffff' stroke-width='1'><title>{escape(label)}</title></path>"
        )
    out.append(_legend(breaks, min(known, default=0.0), project.width + 16, unit))
    out.append("</svg>")
    return "".join(out)


def _legend(breaks: Sequence[float], lowest: float, x: float, unit: str) -> str:
    parts = [f"<g aria-hidden='true'><text x='{x}' y='24' font-weight='600'>{escape(unit)}</text>"]
    y = 36.0
    entries = [
        (colour, f"{_fmt(lowest if i == 0 else breaks[i - 1])} to {_fmt(upper)}")
        for i, (colour, upper) in enumerate(zip(CLASS_COLOURS, breaks, strict=False))
    ]
    entries.append((NO_DATA, "no figure"))
    for colour, text in entries:
        parts.append(
            f"<rect x='{x}' y='{y}' width='18' height='18' fill='{colour}' stroke='#555'/>"
            f"<text x='{x + 26}' y='{y + 14}'>{text}</text>"
        )
        y += 26
    parts.append("</g>")
    return "".join(parts)


def flow_map(
    zones: Sequence[MapZone], flows: Sequence[tuple[str, str, int]], ident: str, title: str
) -> str:
    """Lines from origin to destination centroid, width by trips (largest flows only)."""
    points = [pt for z in zones for poly in z.polygons for ring in poly for pt in ring]
    project = Projection.fit(points, 760, 520, 12)
    width, height = project.width, project.height
    where = {z.zone_id: z for z in zones}
    biggest = max((t for _, _, t in flows), default=1)
    desc = (
        f"Map of the {len(flows)} largest flows between zones; each arrow goes from the "
        "origin zone's centre to the destination's, thicker for more trips. The table after "
        "the map lists them."
    )
    out = [
        _open(width, height, ident, title, desc),
        f"<defs><marker id='{ident}-arrow' viewBox='0 0 10 10' refX='9' refY='5' "
        "markerUnits='userSpaceOnUse' markerWidth='11' markerHeight='11' orient='auto'>"
        "<path d='M0,0L10,5L0,10z' fill='#b2182b'/></marker></defs>",
    ]
    for z in zones:
        out.append(
            f"<path d='{project.path(z.polygons)}' fill='#f4f4f4' stroke='#9a9a9a' "
            f"stroke-width='0.8'><title>{escape(z.name)} ({escape(z.zone_id)})</title></path>"
        )
    for origin, dest, trips in sorted(flows, key=lambda f: f[2]):
        a, b = where[origin], where[dest]
        (x1, y1), (x2, y2) = project(*a.centroid), project(*b.centroid)
        # bend each line a little so A->B and B->A do not overlap
        mx, my = (x1 + x2) / 2 + (y2 - y1) * 0.12, (y1 + y2) / 2 - (x2 - x1) * 0.12
        stroke = 1.0 + 9.0 * trips / biggest
        label = f"{a.name} to {b.name}: {_fmt(trips)} trips"
        out.append(
            f"<path d='M{x1},{y1}Q{mx:.1f},{my:.1f} {x2},{y2}' fill='none' stroke='#b2182b' "
            f"stroke-opacity='0.7' stroke-width='{stroke:.1f}' stroke-linecap='round' "
            f"marker-end='url(#{ident}-arrow)'><title>{escape(label)}</title></path>"
        )
    for z in zones:
        x, y = project(*z.centroid)
        out.append(f"<circle cx='{x}' cy='{y}' r='2.5' fill='#333' aria-hidden='true'/>")
    out.append("</svg>")
    return "".join(out)


def line_chart(
    series: Mapping[str, Sequence[float | None]], ident: str, title: str, x_label: str, unit: str
) -> str:
    """One line per series over 24 hours, with axes, grid and a legend."""
    width, height, left, right, top, bottom = 760, 360, 70, 20, 20, 60
    values = [v for s in series.values() for v in s if v is not None]
    top_value = _nice_ceiling(max(values, default=1.0))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(i: int) -> float:
        return left + plot_w * i / 23

    def y_of(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    names = ", ".join(series)
    desc = f"Line chart of {unit} by hour of the day (local time) for: {names}."
    out = [_open(width, height, ident, title, desc), "<g aria-hidden='true'>"]
    for i in range(5):
        tick = top_value * i / 4
        out.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y_of(tick):.1f}' "
            f"y2='{y_of(tick):.1f}' stroke='#e0e0e0'/><text x='{left - 8}' "
            f"y='{y_of(tick) + 4:.1f}' text-anchor='end'>{_fmt(tick)}</text>"
        )
    for h in range(0, 24, 3):
        out.append(
            f"<text x='{x_of(h):.1f}' y='{height - bottom + 18}' text-anchor='middle'>"
            f"{h:02d}:00</text>"
        )
    out.append(
        f"<text x='{left + plot_w / 2}' y='{height - 12}' text-anchor='middle'>"
        f"{escape(x_label)}</text></g>"
    )
    for n, (name, points) in enumerate(series.items()):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        coords = [f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(points) if v is not None]
        out.append(
            f"<polyline points='{' '.join(coords)}' fill='none' stroke='{colour}' "
            f"stroke-width='2.5'><title>{escape(name)}</title></polyline>"
        )
        for i, v in enumerate(points):
            if v is not None:
                out.append(
                    f"<circle cx='{x_of(i):.1f}' cy='{y_of(v):.1f}' r='3' fill='{colour}'>"
                    f"<title>{escape(name)}, {i:02d}:00: {_fmt(v)} {escape(unit)}</title></circle>"
                )
        lx = left + 10 + sum(40 + 7.5 * len(other) for other in list(series)[:n])
        out.append(
            f"<g aria-hidden='true'><rect x='{lx}' y='{top + 4}' width='14' height='4' "
            f"fill='{colour}'/><text x='{lx + 20}' y='{top + 10}'>{escape(name)}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(items: Sequence[tuple[str, float]], ident: str, title: str, unit: str) -> str:
    """Horizontal bars, largest first, each labelled with its value."""
    row, left, width = 26, 170, 760
    height = max(row * len(items) + 30, 60)
    biggest = max((v for _, v in items), default=1.0) or 1.0
    desc = f"Bar chart of {unit} for {len(items)} origins, largest first."
    out = [_open(width, height, ident, title, desc)]
    for i, (label, value) in enumerate(items):
        y = 10 + i * row
        length = (width - left - 110) * value / biggest
        text = f"{label}: {_fmt(value)} {unit}"
        out.append(
            f"<g><title>{escape(text)}</title>"
            f"<text x='{left - 8}' y='{y + 15}' text-anchor='end'>{escape(label)}</text>"
            f"<rect x='{left}' y='{y}' width='{length:.1f}' height='{row - 8}' fill='#1b5e9b'/>"
            f"<text x='{left + length + 6:.1f}' y='{y + 15}'>{_fmt(value)}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude
