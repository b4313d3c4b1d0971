"""Drivers' view of stations: nearby search and one station in full.

Every price shown is pricing.quote for a reference fill (the user's `liters`, else
nearby.REFERENCE_VOLUME_ML) with the promotions active now, the same function and inputs an
order is charged with, so the list and the payment agree.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from chalicelib.domain.cursors import NEARBY_CURSOR_PATTERN
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.stations.geo import haversine_m
from chalicelib.domain.stations.geocells import plan_options, plan_queries
from chalicelib.domain.stations.listings import (
    GradeOffer, ListedPromotion, QueueView, StationListing, grade_offer)
from chalicelib.domain.stations.nearby import (
    MAX_QUERIES, REFERENCE_VOLUME_ML, ExpectedStations, NearbyRequest, cheapest_plan, effective_cost,
    heaviest_first, next_ring_m, partitions_of, partitions_touching, ring_for_count)
from chalicelib.domain.stations.promotions import Promotion
from chalicelib.domain.stations.queueing import buckets_in_window, estimate_queue, window_span_s
from chalicelib.domain.stations.stations import Station
from chalicelib.domain import times
from chalicelib.services.stations.activity import QUEUE_WINDOW_S
from chalicelib.store.stations import promotions as promotion_store
from chalicelib.store.stations import density as density_store
from chalicelib.store.stations import stations as station_store

# A cursor is a position "<first>.<second>.<station id>" (NEARBY_CURSOR_PATTERN says what each
# part holds). Any cursor of this shape is a valid position, so the contract describes cursors
# exactly.
_CURSOR = re.compile(NEARBY_CURSOR_PATTERN)
_MAX_ID_CHARS = 64


@dataclass(frozen=True)
class _Hit:
    distance_mm: int
    found: station_store.IndexedStation

    @property
    def key(self) -> tuple:
        return (self.distance_mm, self.found.id)

    @property
    def station(self) -> Station:
        return self.found.station()


def search_nearby(req: NearbyRequest, cursor: str | None = None, *, member_level: str | None = None,
                  now: datetime | None = None,
                  stats: station_store.GeoReadStats | None = None) -> dict:
    """One page of stations within req.radius_m, sorted as asked: {"items": [StationListing],
    "next_cursor"}."""
    now = now or times.now()
    stats = stats if stats is not None else station_store.GeoReadStats()
    position = _read_cursor(cursor, req.sort)
    # The chain's promotions are read while the index is: one round trip less to wait for
    # (at most one read a second per process: promotion_store.chain_kept).
    chain_read = _side_reader().submit(promotion_store.chain_kept, now)
    volume = req.volume_ml or REFERENCE_VOLUME_ML
    if req.sort == "distance":
        hits, last = _page_by_distance(req, position, stats)
        chain = [p for p in chain_read.result() if p.starts_at <= now]
        items = [_listing(h.station, now, chain, volume, member_level, h.distance_mm) for h in hits]
        following = last and (last[0], int(position.get("n", 0)) + len(hits), last[1])
    else:
        chain = [p for p in chain_read.result() if p.starts_at <= now]
        items, following = _page_by_value(req, position, stats, now, chain, volume, member_level)
    next_cursor = "{}.{}.{}".format(*following) if following else None
    return {"items": items, "next_cursor": next_cursor}


@lru_cache(maxsize=1)
def _side_reader():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="nearby-side")


def station_detail(station_id: str, *, volume_ml: int = REFERENCE_VOLUME_ML,
                   member_level: str | None = None, now: datetime | None = None) -> StationListing:
    """One station in full (its nozzles read through the listing), priced for `volume_ml`."""
    now = now or times.now()
    station = station_store.get_station(station_id, now) if _plausible_id(station_id) else None
    if station is None:
        raise NotFound(f"no station {station_id}", code="STATION_NOT_FOUND")
    return _listing(station, now, [], volume_ml, member_level, None)


def _plausible_id(station_id: str) -> bool:
    return 0 < len(station_id) <= _MAX_ID_CHARS and station_id.isprintable()


def _page_by_distance(req: NearbyRequest, position: dict, stats) -> tuple[list[_Hit], tuple | None]:
    """Expanding rings: read circles until they hold limit + 1 stations past the cursor.

    Every station nearer than the ring just read has been read, so the nearest of them are
    the page. The first ring is sized from the density map to hold about 1.5x what the page
    needs; if it falls short, the next is sized from the stations it found. A page never costs
    more than MAX_QUERIES index queries (the density map is read from memory), and every
    ring but the whole radius keeps back the queries a last ring to the whole radius needs, so
    the page is never short while the radius holds more stations (a stale map or a grade few
    stations sell only costs reads).
    Returns the page and where the next one starts (None: nothing is left in the radius).
    """
    after = (int(position.get("d", -1)), str(position.get("i", "")))
    start_m = max(0.0, after[0] / 1000.0 - 2.0) if after[0] >= 0 else 0.0
    wanted = req.limit + 1
    pool: dict[str, _Hit] = {}
    read_to, used = start_m, 0
    reserve = min(MAX_QUERIES, partitions_touching(req.lat, req.lng, req.radius_m + 2))
    counts = _density(req, stats)
    expected = ExpectedStations(counts)
    ring = max(ring_for_count(req.lat, req.lng, counts, start_m, wanted, req.radius_m),
               min(req.radius_m, math.ceil(max(after[0], 0) / 1000.0) + 1))  # past the cursor
    while True:
        budget = MAX_QUERIES - used - reserve
        if ring >= req.radius_m or not _fits(req, ring, budget):
            ring, budget = req.radius_m, MAX_QUERIES - used
        used += _read_ring(req, ring, read_to, budget, expected, after, pool, stats)
        confirmed = sorted((h for h in pool.values() if h.distance_mm <= ring * 1000),
                           key=lambda h: h.key)
        if len(confirmed) > req.limit:
            return confirmed[:req.limit], confirmed[req.limit - 1].key
        if ring >= req.radius_m:
            return confirmed, None
        read_to, ring = ring, next_ring_m(start_m, ring, len(confirmed), wanted - len(confirmed),
                                          req.radius_m)


def _read_ring(req: NearbyRequest, ring: int, inner: float, budget: int,
               expected: ExpectedStations, after: tuple, pool: dict, stats) -> int:
    ranges = cheapest_plan(plan_options(req.lat, req.lng, ring, inner_radius_m=min(inner, ring),
                                        max_queries=budget,
                                        gap_weight=expected.between if expected else None),
                           expected)
    for hit in _hits(req, heaviest_first(ranges, expected), stats):
        if hit.key > after:
            pool[hit.found.id] = hit
    return len(ranges)


def _fits(req: NearbyRequest, ring: int, budget: int) -> bool:
    """Whether a plan of this ring can keep within the queries left (it needs one per partition)."""
    return partitions_touching(req.lat, req.lng, ring) <= budget


def _density(req: NearbyRequest, stats) -> dict[str, int]:
    """The density map around the search: it sizes the first ring and each ring's queries."""
    counts, items = density_store.counts_in(partitions_of(req.lat, req.lng, req.radius_m))
    stats.density_items += items
    return counts


def _hits(req: NearbyRequest, ranges, stats) -> list[_Hit]:
    hits = []
    for found in station_store.stations_in_ranges(ranges, stats):
        distance_mm = int(haversine_m(req.lat, req.lng, found.lat, found.lng) * 1000 + 0.5)
        if distance_mm <= req.radius_m * 1000 and (req.grade is None
                                                   or found.station().sells(req.grade)):
            hits.append(_Hit(distance_mm, found))
    return hits


def _page_by_value(req: NearbyRequest, position: dict, stats, now, chain, volume, member_level):
    """sort=price|cost: read the whole circle, rank by the price paid or the effective cost.

    Only the ranked grade is priced for every station; full views are built for the page.
    """
    ranges = plan_queries(req.lat, req.lng, req.radius_m, max_queries=MAX_QUERIES)
    ranked = []
    for hit in _hits(req, ranges, stats):
        if hit.station.stock_state(req.grade) == "out":
            continue  # cannot be filled there now, whatever it costs
        offer = grade_offer(hit.station, req.grade, _active(hit.station, chain, now), now,
                            volume, member_level)
        cost = _cost(req, hit.distance_mm, offer) if req.sort == "cost" else None
        value = cost.effective_cost_fen if cost else offer.price_fen
        ranked.append(((value, hit.distance_mm, hit.station.id), hit, cost))
    nearest = min(ranked, key=lambda r: r[0][1:]) if ranked else None
    ranked.sort(key=lambda r: r[0])
    after = position.get("k")
    if after is not None:
        ranked = [r for r in ranked if r[0] > after]
    items = []
    for _, hit, cost in ranked[:req.limit]:
        if cost is not None:
            cost = replace(cost, saving_fen=nearest[0][0] - cost.effective_cost_fen)
        items.append(_listing(hit.station, now, chain, volume, member_level, hit.distance_mm, cost))
    following = ranked[req.limit - 1][0] if len(ranked) > req.limit else None
    return items, following


def _cost(req: NearbyRequest, distance_mm: int, offer: GradeOffer):
    return effective_cost(req.grade, req.volume_ml, (distance_mm + 500) // 1000, req.consumption_dl,
                          offer.reference_pay_fen, offer.price_fen)


def _active(station: Station, chain: list[Promotion], now: datetime) -> list[Promotion]:
    """The promotions that apply at this station now: its own and the chain's."""
    return [p for p in list(station.promotions) + chain
            if (p.station_ids is None or station.id in p.station_ids)
            and p.starts_at <= now < p.ends_at]


def _listing(station: Station, now: datetime, chain: list[Promotion], volume_ml: int,
             member_level: str | None, distance_mm: int | None, cost=None) -> StationListing:
    active = _active(station, chain, now)
    return StationListing(
        station, None if distance_mm is None else (distance_mm + 500) // 1000,
        station.is_open(now), volume_ml,
        tuple(grade_offer(station, g.grade, active, now, volume_ml, member_level)
              for g in station.grades),
        tuple(ListedPromotion.at(p, now) for p in sorted(active, key=lambda p: p.id)),
        _queue(station, now), cost)


def _queue(station: Station, now: datetime) -> QueueView:
    arrivals = sum(station.queue.arrivals.get(b, 0) for b in buckets_in_window(now, QUEUE_WINDOW_S))
    return QueueView(estimate_queue(arrivals, window_span_s(now, QUEUE_WINDOW_S), len(station.nozzles),
                                    station.queue.service_samples, station.queue.service_mean_s),
                     len(station.nozzles))


def _read_cursor(cursor: str | None, sort: str) -> dict:
    """The position a cursor holds; any cursor of NEARBY_CURSOR_PATTERN's shape is a position."""
    if cursor is None:
        return {}
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    first, second, station_id = int(match[1]), int(match[2]), match[3]
    if sort == "distance":
        return {"d": first, "n": second, "i": station_id}
    return {"k": (first, second, station_id)}
