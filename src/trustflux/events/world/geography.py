"""Zones, regions and radio cells: the map the world lives on.

The study region is a square cut into communes by repeatedly halving the busiest rectangle,
so the dense centre ends up with small, populous communes and the countryside with large,
empty ones. A few other regions are listed (with a handful of communes each) only as the
origins of domestic visitors; they have no cells.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trustflux.events.schemas import RADIOS
from trustflux.events.world.numeric import FloatArray, IntArray, row_cdf, split_exact
from trustflux.events.world.params import OWN_REGION, WorldParams

KM_PER_DEG_LAT = 111.32
RADIO_GSM, RADIO_UMTS, RADIO_LTE, RADIO_NR = (RADIOS.index(r) for r in ("GSM", "UMTS", "LTE", "NR"))
_SERVING_WEIGHT = {RADIO_GSM: 1, RADIO_UMTS: 1, RADIO_LTE: 3, RADIO_NR: 2}

_ROOTS = (
    "Mont",
    "Val",
    "Bois",
    "Roche",
    "Font",
    "Pont",
    "Ville",
    "Beau",
    "Clair",
    "Mar",
    "Char",
    "Saule",
    "Puy",
    "Brune",
    "Lan",
    "Mer",
    "Cour",
    "Aub",
    "Vern",
    "Serr",
    "Chaum",
    "Bel",
    "Orme",
    "Fleur",
    "Lour",
    "Ros",
    "Gran",
    "Pré",
    "Ver",
)
_SAINTS = ("Martin", "Julien", "Germain", "Amand", "Rémy", "Just", "Pierre", "Didier", "Aubin")
_ENDINGS = (
    "ac",
    "ay",
    "ville",
    "court",
    "mont",
    "val",
    "ois",
    "ières",
    "y",
    "an",
    "euil",
    "ange",
    "euse",
    "ard",
    "ette",
    "ine",
    "as",
    "on",
)
_QUALIFIERS = (
    "",
    "",
    "",
    "",
    "-sur-Allier",
    "-les-Bains",
    "-le-Haut",
    "-la-Forêt",
    "-en-Bocage",
    "-le-Vieux",
    "-sur-Sioule",
    "-les-Vignes",
)


@dataclass(frozen=True)
class Zones:
    """All zones: the study region's communes first, then other regions' communes."""

    ids: list[str]
    names: list[str]
    region: list[str]
    population: IntArray
    lon: FloatArray
    lat: FloatArray
    geometry: list[str]
    n_study: int
    area_km2: FloatArray
    """Area of the study zones."""


@dataclass(frozen=True)
class Cells:
    """Radio cells of the study region, sorted by zone."""

    radio: IntArray
    area_code: IntArray
    cell_id: IntArray
    lon: FloatArray
    lat: FloatArray
    azimuth: IntArray
    """Degrees, -1 for omnidirectional cells."""
    range_m: IntArray
    zone: IntArray
    pool: IntArray
    """Cell indices in the serving pool of each zone (modern radios repeated: used more)."""
    pool_start: IntArray
    pool_count: IntArray

    def __len__(self) -> int:
        return int(self.radio.shape[0])


@dataclass(frozen=True)
class Geography:
    """The map plus the movement kernels derived from it."""

    zones: Zones
    cells: Cells
    regions: list[str]
    """Other regions (origins of domestic visitors); the study region is ``OWN_REGION``."""
    region_zones: list[IntArray]
    """Zone indices of each other region."""
    neighbour_regions: IntArray
    """Indices (into ``regions``) of the regions close enough to commute from."""
    dist_km: FloatArray
    leisure_cdf: FloatArray
    work_cdf: FloatArray
    visitor_cdf: FloatArray
    tourist_spot: npt.NDArray[np.bool_]


def _density(x: float, y: float, towns: list[tuple[float, float, float]]) -> float:
    r = math.hypot(x, y)
    value = 8_000.0 * math.exp(-r / 2.5) + 30.0
    for tx, ty, peak in towns:
        value += peak * math.exp(-math.hypot(x - tx, y - ty) / 2.0)
    return value


def _layout(params: WorldParams, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Rectangles (x0, y0, w, h) in km covering the study square, and a weight per zone."""
    half = params.region_km / 2
    towns = [
        (
            float(rng.uniform(-0.8, 0.8) * half),
            float(rng.uniform(-0.8, 0.8) * half),
            float(rng.uniform(300, 900)),
        )
        for _ in range(3)
    ]

    def score(rect: tuple[float, float, float, float]) -> float:
        x0, y0, w, h = rect
        return float(w * h * _density(x0 + w / 2, y0 + h / 2, towns) ** 0.3)

    heap: list[tuple[float, int, tuple[float, float, float, float]]] = []
    counter = 0
    first = (-half, -half, params.region_km, params.region_km)
    heapq.heappush(heap, (-score(first), counter, first))
    while len(heap) < params.zones:
        _, _, (x0, y0, w, h) = heapq.heappop(heap)
        halves = (
            [(x0, y0, w / 2, h), (x0 + w / 2, y0, w / 2, h)]
            if w >= h
            else [(x0, y0, w, h / 2), (x0, y0 + h / 2, w, h / 2)]
        )
        for rect in halves:
            counter += 1
            heapq.heappush(heap, (-score(rect), counter, rect))
    rects = np.array(sorted((r for _, _, r in heap), key=lambda r: (r[1], r[0])), dtype=float)
    centre_x = rects[:, 0] + rects[:, 2] / 2
    centre_y = rects[:, 1] + rects[:, 3] / 2
    dens = np.array(
        [_density(float(x), float(y), towns) for x, y in zip(centre_x, centre_y, strict=True)]
    )
    weight = dens * rects[:, 2] * rects[:, 3] * rng.lognormal(0.0, 0.6, len(rects))
    return rects, weight


def _names(n: int, rng: np.random.Generator) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        if rng.random() < 0.12:
            name = "Saint-" + _SAINTS[int(rng.integers(len(_SAINTS)))]
        else:
            name = (
                _ROOTS[int(rng.integers(len(_ROOTS)))] + _ENDINGS[int(rng.integers(len(_ENDINGS)))]
            )
        name += _QUALIFIERS[int(rng.integers(len(_QUALIFIERS)))]
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _to_lonlat(
    x_km: FloatArray, y_km: FloatArray, lon0: float, lat0: float
) -> tuple[FloatArray, FloatArray]:
    lat = lat0 + y_km / KM_PER_DEG_LAT
    lon = lon0 + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat0)))
    return lon, lat


def _wkt_rect(x0: float, y0: float, w: float, h: float, lon0: float, lat0: float) -> str:
    xs = np.array([x0, x0 + w, x0 + w, x0, x0])
    ys = np.array([y0, y0, y0 + h, y0 + h, y0])
    lon, lat = _to_lonlat(xs, ys, lon0, lat0)
    points = ", ".join(f"{a:.6f} {b:.6f}" for a, b in zip(lon, lat, strict=True))
    return f"POLYGON(({points}))"


def build_geography(params: WorldParams, residents: int, rng: np.random.Generator) -> Geography:
    """Lay out zones (census = ``residents`` split by zone weight), regions and cells."""
    rects, weight = _layout(params, rng)
    n_study = len(rects)
    population = split_exact(residents, weight)
    x = rects[:, 0] + rects[:, 2] / 2
    y = rects[:, 1] + rects[:, 3] / 2
    area = rects[:, 2] * rects[:, 3]
    lon0, lat0 = params.centre_lon, params.centre_lat
    lon, lat = _to_lonlat(x, y, lon0, lat0)
    geometry = [_wkt_rect(r[0], r[1], r[2], r[3], lon0, lat0) for r in rects.tolist()]
    ids = [f"Z01{k + 1:03d}" for k in range(n_study)]
    region = [OWN_REGION] * n_study

    regions = [f"R{r + 2:02d}" for r in range(params.other_regions)]
    mean_pop = max(residents / n_study, 1.0)  # other regions on the same (scaled) footing
    region_zones: list[IntArray] = []
    other_pop: list[int] = []
    other_lon: list[float] = []
    other_lat: list[float] = []
    distances = np.sort(rng.uniform(70, 450, params.other_regions))
    distances[: min(2, params.other_regions)] = rng.uniform(55, 90, min(2, params.other_regions))
    for r, dist in enumerate(distances):
        bearing = rng.uniform(0, 2 * math.pi)
        cx, cy = dist * math.cos(bearing), dist * math.sin(bearing) * 0.8
        members = []
        for k in range(params.zones_per_other_region):
            zx, zy = cx + 7.0 * k, cy
            zlon, zlat = _to_lonlat(np.array([zx]), np.array([zy]), lon0, lat0)
            members.append(len(ids))
            ids.append(f"Z{r + 2:02d}{k + 1:03d}")
            region.append(regions[r])
            other_lon.append(float(zlon[0]))
            other_lat.append(float(zlat[0]))
            other_pop.append(int(mean_pop * rng.lognormal(math.log(3.0), 0.9)))
            geometry.append(_wkt_rect(zx - 3, zy - 3, 6, 6, lon0, lat0))
        region_zones.append(np.asarray(members, dtype=np.int64))
    zones = Zones(
        ids=ids,
        names=_names(len(ids), rng),
        region=region,
        population=np.concatenate([population, np.asarray(other_pop, dtype=np.int64)]),
        lon=np.concatenate([lon, np.asarray(other_lon)]),
        lat=np.concatenate([lat, np.asarray(other_lat)]),
        geometry=geometry,
        n_study=n_study,
        area_km2=area,
    )

    dist = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    dist = dist + np.diag(np.sqrt(area) / 3)
    pop_w = population.astype(float) + 1.0
    leisure = pop_w[None, :] ** 0.8 * np.exp(-dist / 6.0)
    work = pop_w[None, :] ** 1.25 * np.exp(-dist / 10.0)
    spots = np.zeros(n_study, dtype=bool)
    spots[int(np.argmax(population))] = True
    spots[rng.choice(n_study, size=min(3, n_study), replace=False)] = True
    attract = pop_w**0.6 * (1.0 + 6.0 * spots)
    return Geography(
        zones=zones,
        cells=_build_cells(params, population, rects, x, y, rng),
        regions=regions,
        region_zones=region_zones,
        neighbour_regions=np.arange(min(2, params.other_regions), dtype=np.int64),
        dist_km=dist,
        leisure_cdf=row_cdf(leisure),
        work_cdf=row_cdf(work),
        visitor_cdf=row_cdf(attract[None, :])[0],
        tourist_spot=spots,
    )


def _build_cells(
    params: WorldParams,
    population: IntArray,
    rects: FloatArray,
    x: FloatArray,
    y: FloatArray,
    rng: np.random.Generator,
) -> Cells:
    """Sites ∝ residents (at least one per zone, more for large rural areas), 2G to 5G."""
    area = rects[:, 2] * rects[:, 3]
    density = population / np.maximum(area, 1e-9)
    urban = np.argsort(np.argsort(density)) / max(len(density) - 1, 1)
    half = params.region_km / 2
    cluster_key = (np.floor((x + half) / 12.0) * 100 + np.floor((y + half) / 12.0)).astype(int)
    _, cluster = np.unique(cluster_key, return_inverse=True)
    rows: list[tuple[int, int, int, float, float, int, int, int]] = []
    gsm_next: dict[int, int] = {}
    umts_next: dict[int, int] = {}
    site = 0
    for z in range(len(rects)):
        n_sites = max(1, round(population[z] / params.people_per_site), round(area[z] / 60.0))
        u = float(urban[z])
        c = int(cluster[z])
        lac, tac_lte, tac_nr = 1_100 + c, 21_000 + c, 0x050000 + c
        base_range = math.exp(math.log(6_000) + (math.log(400) - math.log(6_000)) * u)
        for _ in range(n_sites):
            site += 1
            sx = rects[z, 0] + rng.uniform(0.05, 0.95) * rects[z, 2]
            sy = rects[z, 1] + rng.uniform(0.05, 0.95) * rects[z, 3]
            rotation = int(rng.integers(0, 120))
            radios = [RADIO_LTE]
            if rng.random() < 0.15 + 0.6 * u:
                radios.append(RADIO_NR)
            if rng.random() < 0.6:
                radios.append(RADIO_UMTS)
            if rng.random() < 0.5:
                radios.append(RADIO_GSM)
            for kind in radios:
                omni = kind == RADIO_GSM and rng.random() < 0.3 * (1 - u)
                factor = {RADIO_GSM: 1.5, RADIO_UMTS: 1.0, RADIO_LTE: 1.0, RADIO_NR: 0.6}[kind]
                for sector in range(1 if omni else 3):
                    if kind == RADIO_GSM:
                        gsm_next[lac] = gsm_next.get(lac, 10_000) + 1
                        area_code, cid = lac, gsm_next[lac]
                    elif kind == RADIO_UMTS:
                        umts_next[lac] = umts_next.get(lac, 0) + 1
                        area_code, cid = lac, ((200 + c) << 16) | umts_next[lac]
                    elif kind == RADIO_LTE:
                        area_code, cid = tac_lte, ((100_000 + site) << 8) | (sector + 1)
                    else:
                        area_code, cid = tac_nr, ((300_000 + site) << 12) | (sector + 1)
                    azimuth = -1 if omni else (rotation + 120 * sector) % 360
                    range_m = int(base_range * factor * rng.uniform(0.8, 1.2))
                    rows.append((kind, area_code, cid, float(sx), float(sy), azimuth, range_m, z))
    table = np.array(rows, dtype=np.float64)
    zone = table[:, 7].astype(np.int64)
    lon, lat = _to_lonlat(table[:, 3], table[:, 4], params.centre_lon, params.centre_lat)
    radio = table[:, 0].astype(np.int64)
    repeats = np.array([_SERVING_WEIGHT[int(r)] for r in radio], dtype=np.int64)
    pool = np.repeat(np.arange(len(rows), dtype=np.int64), repeats)
    pool_count = np.bincount(zone[pool], minlength=len(rects)).astype(np.int64)
    pool_start = np.concatenate([[0], np.cumsum(pool_count)[:-1]]).astype(np.int64)
    return Cells(
        radio=radio,
        area_code=table[:, 1].astype(np.int64),
        cell_id=np.array([r[2] for r in rows], dtype=np.int64),
        lon=np.round(lon, 6),
        lat=np.round(lat, 6),
        azimuth=table[:, 5].astype(np.int64),
        range_m=table[:, 6].astype(np.int64),
        zone=zone,
        pool=pool,
        pool_start=pool_start,
        pool_count=pool_count,
    )
