"""People and devices: residents, domestic and foreign visitors, subscribers, roamers.

Everyone who can be in the study region is a person (they count in the ``people`` truth);
only some carry a device on our network: our own subscribers (about ``market_share`` of
residents and domestic visitors) and the foreign visitors who roam on us. Fraudulent SIMs
are devices without a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustflux.events.world.fraud import FraudCounts, FraudSims
from trustflux.events.world.geography import Geography
from trustflux.events.world.numeric import (
    IntArray,
    luhn_complete,
    sample_cdf,
    sample_rows,
    split_exact,
    unique_draws,
)
from trustflux.events.world.params import OWN_MCC, OWN_MNC, ROAMING_COUNTRIES, WorldParams

CATEGORIES = ("resident", "commuter", "excursionist", "tourist", "transit")
RESIDENT, COMMUTER, EXCURSIONIST, TOURIST, TRANSIT = range(5)
FAVOURITES = 4
_DOMESTIC_MIX = {COMMUTER: 0.35, EXCURSIONIST: 0.35, TOURIST: 0.22, TRANSIT: 0.08}
_FOREIGN_MIX = {EXCURSIONIST: 0.30, TOURIST: 0.55, TRANSIT: 0.15}
_TACS = (
    35332811,
    35875209,
    35407115,
    35290611,
    35688109,
    35926310,
    35161508,
    35391110,
    35476211,
    35209900,
    86492304,
    86769104,
    86887705,
    86512806,
    35898612,
    35345010,
)
PLANS = ("MOB_5G_200GB", "MOB_4G_100GB", "MOB_4G_20GB", "MOB_2H_SMS", "PREPAID", "PRO_5G")
PLAN_WEIGHTS = (0.20, 0.30, 0.25, 0.08, 0.12, 0.05)
CONVERGENT_PLANS = ("CONV_FIBRE_5G", "CONV_DSL_4G")


@dataclass(frozen=True)
class Sizes:
    """Head counts derived from the requested number of subscribers."""

    residents: int
    resident_subscribers: int
    domestic_visitors: int
    domestic_subscribers: int
    foreign_visitors: int
    roamers: int
    fraud_sims: int


def sizes(params: WorldParams, fraud: FraudCounts) -> Sizes:
    """Scale the census so that own subscribers come to exactly ``params.subscribers``."""
    normal = params.subscribers - fraud.sims
    domestic_subs = round(normal * params.domestic_visitor_share)
    resident_subs = normal - domestic_subs
    residents = max(resident_subs, round(resident_subs / params.market_share))
    domestic = max(domestic_subs, round(domestic_subs / params.market_share))
    foreign = round(residents * params.foreign_visitor_share)
    return Sizes(
        residents=residents,
        resident_subscribers=resident_subs,
        domestic_visitors=domestic,
        domestic_subscribers=domestic_subs,
        foreign_visitors=foreign,
        roamers=round(foreign * params.roaming_share),
        fraud_sims=fraud.sims,
    )


@dataclass(frozen=True)
class Persons:
    """Static attributes of every simulated person."""

    category: IntArray
    foreign: IntArray
    origin: IntArray
    """Region index (domestic visitors), country index (foreign), -1 for residents."""
    home: IntArray
    """Home (residents), work place (commuters), accommodation (tourists), else -1."""
    work: IntArray
    favourites: IntArray
    period: IntArray
    """Tourists come back every ``period`` days for ``nights`` nights, shifted by ``offset``."""
    offset: IntArray
    nights: IntArray
    device: IntArray

    def __len__(self) -> int:
        return int(self.category.shape[0])


@dataclass(frozen=True)
class Devices:
    """Every device of the network: own subscribers first (their row is their contract)."""

    imsi: IntArray
    msisdn: IntArray
    imei: IntArray
    person: IntArray
    country: IntArray
    """Index into ``ROAMING_COUNTRIES`` for inbound roamers, -1 for own SIMs."""
    voice: IntArray
    """Voice and data activity multipliers, in thousandths."""
    data: IntArray
    night_off: IntArray
    anchor: IntArray
    first_day: IntArray
    last_day: IntArray
    fraud: IntArray
    static_zone: IntArray
    static_cell: IntArray
    contract_start_day: IntArray
    contract_end_day: IntArray
    """Window-relative days; contract end -1 000 000 when the contract runs on."""
    billing_zone: IntArray
    plan: IntArray
    age: IntArray
    gateway: IntArray
    n_own: int

    def __len__(self) -> int:
        return int(self.imsi.shape[0])


def _visitor_block(n: int, mix: dict[int, float], rng: np.random.Generator) -> IntArray:
    counts = split_exact(n, np.array(list(mix.values())))
    cats = np.repeat(np.array(list(mix.keys()), dtype=np.int64), counts)
    return rng.permutation(cats)


def build_persons(
    params: WorldParams, size: Sizes, geo: Geography, rng: np.random.Generator
) -> tuple[Persons, IntArray, IntArray]:
    """Persons, plus the indices of those who hold an own SIM and of inbound roamers."""
    n_study = geo.zones.n_study
    home_res = rng.permutation(np.repeat(np.arange(n_study), geo.zones.population[:n_study]))
    dom_cat = _visitor_block(size.domestic_visitors, _DOMESTIC_MIX, rng)
    for_cat = _visitor_block(size.foreign_visitors, _FOREIGN_MIX, rng)
    category = np.concatenate([np.zeros(size.residents, dtype=np.int64), dom_cat, for_cat])
    n = int(category.shape[0])
    foreign = np.zeros(n, dtype=np.int64)
    foreign[size.residents + size.domestic_visitors :] = 1
    dom = slice(size.residents, size.residents + size.domestic_visitors)
    fgn = slice(size.residents + size.domestic_visitors, n)

    origin = np.full(n, -1, dtype=np.int64)
    region_pop = np.array([geo.zones.population[z].sum() for z in geo.region_zones], float)
    origin[dom] = sample_cdf(np.cumsum(region_pop / region_pop.sum()), size.domestic_visitors, rng)
    commuters = np.flatnonzero(category == COMMUTER)
    origin[commuters] = rng.choice(geo.neighbour_regions, size=len(commuters))
    weights = np.array([c.weight for c in ROAMING_COUNTRIES])
    origin[fgn] = sample_cdf(np.cumsum(weights / weights.sum()), size.foreign_visitors, rng)

    home = np.full(n, -1, dtype=np.int64)
    home[: size.residents] = home_res
    work = np.full(n, -1, dtype=np.int64)
    workers = np.flatnonzero(rng.random(size.residents) < params.worker_share)
    work[workers] = sample_rows(geo.work_cdf, home_res[workers], rng)
    entry = rng.integers(0, n_study, len(commuters))
    home[commuters] = sample_rows(geo.work_cdf, entry, rng)
    tourists = np.flatnonzero(category == TOURIST)
    home[tourists] = sample_cdf(geo.visitor_cdf, len(tourists), rng)

    favourites = np.empty((n, FAVOURITES), dtype=np.int64)
    resident_rows = np.repeat(home_res, FAVOURITES)
    favourites[: size.residents] = sample_rows(geo.leisure_cdf, resident_rows, rng).reshape(
        -1, FAVOURITES
    )
    n_vis = n - size.residents
    favourites[size.residents :] = sample_cdf(geo.visitor_cdf, n_vis * FAVOURITES, rng).reshape(
        -1, FAVOURITES
    )

    nights = np.minimum(1 + rng.poisson(2.5, n), 10)
    period = rng.integers(12, 60, n)
    persons = Persons(
        category=category,
        foreign=foreign,
        origin=origin,
        home=home,
        work=work,
        favourites=favourites,
        period=period,
        offset=(rng.random(n) * period).astype(np.int64),
        nights=np.minimum(nights, period - 2),
        device=np.full(n, -1, dtype=np.int64),
    )
    own_res = rng.permutation(size.residents)[: size.resident_subscribers]
    own_dom = size.residents + rng.permutation(size.domestic_visitors)[: size.domestic_subscribers]
    roam = fgn.start + rng.permutation(size.foreign_visitors)[: size.roamers]
    return persons, np.sort(np.concatenate([own_res, own_dom])), np.sort(roam)


def build_devices(
    params: WorldParams,
    persons: Persons,
    own_people: IntArray,
    roamers: IntArray,
    sims: FraudSims,
    geo: Geography,
    rng: np.random.Generator,
) -> Devices:
    """Identifiers, contracts, activity and gateways of every device; links persons to them."""
    n_own = len(own_people) + len(sims)
    n = n_own + len(roamers)
    person = np.concatenate([own_people, np.full(len(sims), -1, np.int64), roamers])
    persons.device[own_people] = np.arange(len(own_people))
    persons.device[roamers] = n_own + np.arange(len(roamers))

    imsi = np.empty(n, dtype=np.int64)
    imsi[:n_own] = int(OWN_MCC + OWN_MNC) * 10**10 + unique_draws(n_own, 10**10, rng)
    country = np.full(n, -1, dtype=np.int64)
    country[n_own:] = persons.origin[roamers]
    for k, c in enumerate(ROAMING_COUNTRIES):
        rows = n_own + np.flatnonzero(persons.origin[roamers] == k)
        digits = 15 - len(c.mcc + c.mnc)
        imsi[rows] = int(c.mcc + c.mnc) * 10**digits + unique_draws(len(rows), 10**digits, rng)
    msisdn = np.zeros(n, dtype=np.int64)
    msisdn[:n_own] = 33_600_000_000 + unique_draws(n_own, 2 * 10**8, rng)

    space = len(_TACS) * 10**6
    draws = unique_draws(n, space, rng) if n <= space else rng.integers(0, space, n)
    body = np.asarray(_TACS, dtype=np.int64)[draws // 10**6] * 10**6 + draws % 10**6
    fraud_rows = len(own_people) + np.arange(len(sims))
    body[fraud_rows] = np.where(sims.imei_body >= 0, sims.imei_body, body[fraud_rows])

    fraud = np.zeros(n, dtype=np.int64)
    fraud[fraud_rows] = sims.kind
    static_zone = np.full(n, -1, dtype=np.int64)
    static_zone[fraud_rows] = sims.zone
    static_cell = np.full(n, -1, dtype=np.int64)
    static_cell[fraud_rows] = sims.cell

    days = params.days
    start = -np.minimum(rng.exponential(4 * 365, n), 20 * 365).astype(np.int64) - 1
    end = np.full(n, -1_000_000, dtype=np.int64)
    change = rng.random(n_own) < params.contract_change_share
    if days > 1:
        starts_late = np.flatnonzero(change & (rng.random(n_own) < 0.5))
        start[starts_late] = rng.integers(1, days, len(starts_late))
        ends = np.flatnonzero(change & (start[:n_own] < 0))
        end[ends] = rng.integers(0, days - 1, len(ends))
    start[fraud_rows] = sims.contract_start_day
    end[fraud_rows] = np.where(sims.kind == 2, sims.last_day, -1_000_000)
    first_day = np.maximum(start, 0)
    last_day = np.where(end > -1_000_000, end, days - 1)
    first_day[fraud_rows] = sims.first_day
    last_day[fraud_rows] = sims.last_day
    first_day[n_own:] = 0
    last_day[n_own:] = days - 1

    voice = np.clip(rng.gamma(2.0, 0.5, n), 0.1, 4.0)
    data = np.clip(rng.gamma(1.5, 1 / 1.5, n), 0.05, 4.0)
    voice[n_own:] *= 0.4
    data[n_own:] *= 0.8

    n_study = geo.zones.n_study
    billing = np.empty(n, dtype=np.int64)
    own_person = person[:n_own]
    is_res = np.zeros(n_own, dtype=bool)
    is_res[: len(own_people)] = persons.category[own_people] == 0
    res_rows = np.flatnonzero(is_res)
    billing[res_rows] = persons.home[own_person[res_rows]]
    moved = res_rows[rng.random(len(res_rows)) < 0.03]
    billing[moved] = rng.integers(0, n_study, len(moved))
    dom_rows = np.flatnonzero(~is_res[: len(own_people)])
    for r, zones in enumerate(geo.region_zones):
        rows = dom_rows[persons.origin[own_person[dom_rows]] == r]
        billing[rows] = rng.choice(zones, size=len(rows))
    billing[fraud_rows] = rng.integers(0, n_study, len(sims))
    billing[n_own:] = -1

    gateway = np.full(n, -1, dtype=np.int64)
    has_gw = res_rows[rng.random(len(res_rows)) < params.gateway_share]
    gateway[has_gw] = np.arange(len(has_gw))
    plan = sample_cdf(np.cumsum(PLAN_WEIGHTS), n, rng)
    plan[has_gw] = len(PLANS)  # convergent; fibre or DSL is decided with the gateway
    plan[fraud_rows] = PLANS.index("PREPAID")
    age = np.where(
        rng.random(n) < 0.85, sample_cdf(np.cumsum([0.1, 0.18, 0.2, 0.2, 0.17, 0.15]), n, rng), -1
    )
    age[fraud_rows] = -1
    return Devices(
        imsi=imsi,
        msisdn=msisdn,
        imei=luhn_complete(body, 14),
        person=person,
        country=country,
        voice=(voice * 1_000).astype(np.int64),
        data=(data * 1_000).astype(np.int64),
        night_off=(rng.random(n) < params.night_off_share).astype(np.int64),
        anchor=rng.integers(0, 2**31, n),
        first_day=first_day,
        last_day=last_day,
        fraud=fraud,
        static_zone=static_zone,
        static_cell=static_cell,
        contract_start_day=start,
        contract_end_day=end,
        billing_zone=billing,
        plan=plan,
        age=age,
        gateway=gateway,
        n_own=n_own,
    )
