"""Just enough geometry for a release: WKT polygons in, GeoJSON and SVG coordinates out.

Zones are small (communes, districts), so a plain equirectangular projection scaled by the
cosine of the mean latitude draws them with their true shape; no GIS library is needed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trustflux.errors import StatisticsError

Ring = list[tuple[float, float]]
Polygon = list[Ring]

_NUMBER_PAIR = re.compile(
    r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
)


def parse_wkt(text: str) -> list[Polygon]:
    """POLYGON or MULTIPOLYGON (2D) as a list of polygons, each a list of (lon, lat) rings."""
    body = text.strip()
    upper = body.upper()
    if upper.startswith("MULTIPOLYGON"):
        inner = _strip_parens(body[len("MULTIPOLYGON") :])
        return [_polygon(p) for p in _split_top(inner)]
    if upper.startswith("POLYGON"):
        return [_polygon(_strip_parens(body[len("POLYGON") :]))]
    raise StatisticsError(f"zone geometry is not a WKT POLYGON or MULTIPOLYGON: {text[:40]!r}")


def _polygon(text: str) -> Polygon:
    rings = [_ring(r) for r in _split_top(text)]
    if not rings:
        raise StatisticsError("empty polygon in zone geometry")
    return rings


def _ring(text: str) -> Ring:
    points = [(float(a), float(b)) for a, b in _NUMBER_PAIR.findall(_strip_parens(text))]
    if len(points) < 3:
        raise StatisticsError("a polygon ring in zone geometry has fewer than 3 points")
    return points


def _strip_parens(text: str) -> str:
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise StatisticsError(f"malformed WKT near {text[:40]!r}")
    return text[1:-1]


def _split_top(text: str) -> list[str]:
    """Split "(a),(b)" at commas that are not inside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def geojson_geometry(polygons: Sequence[Polygon]) -> dict[str, Any]:
    """A GeoJSON Polygon or MultiPolygon (rings closed, as the format requires)."""
    closed = [[_closed(r) for r in poly] for poly in polygons]
    if len(closed) == 1:
        return {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in closed[0]]}
    return {
        "type": "MultiPolygon",
        "coordinates": [[[list(p) for p in r] for r in poly] for poly in closed],
    }


def _closed(ring: Ring) -> Ring:
    return ring if ring[0] == ring[-1] else [*ring, ring[0]]


@dataclass(frozen=True)
class Projection:
    """lon/lat -> SVG x/y (y down) fitting a bounding box into width x height with a margin.

    ``width`` and ``height`` are the extent actually used (the box keeps the zones' shape).
    """

    lon0: float
    lat1: float
    scale: float
    kx: float
    margin: float
    width: float
    height: float

    @classmethod
    def fit(
        cls, points: Iterable[tuple[float, float]], width: float, height: float, margin: float
    ) -> Projection:
        pts = list(points)
        if not pts:
            raise StatisticsError("nothing to draw: no coordinates")
        lons = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * kx, 1e-9)
        span_y = max(max(lats) - min(lats), 1e-9)
        scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        used_w = round(span_x * scale + 2 * margin, 1)
        used_h = round(span_y * scale + 2 * margin, 1)
        return cls(min(lons), max(lats), scale, kx, margin, used_w, used_h)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.margin + (lon - self.lon0) * self.kx * self.scale
        y = self.margin + (self.lat1 - lat) * self.scale
        return round(x, 1), round(y, 1)

    def path(self, polygons: Sequence[Polygon]) -> str:
        """An SVG path ``d`` (even-odd holes) for the polygons."""
        out = []
        for poly in polygons:
            for ring in poly:
                coords = [self(lon, lat) for lon, lat in ring]
                out.append("M" + "L".join(f"{x:g},{y:g}" for x, y in coords) + "Z")
        return "".join(out)
