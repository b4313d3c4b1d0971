"""Nearby pages against an oracle: the index and the density map are in memory here, so
hypothesis can try many cities, centres, radii, limits and grades in a second. Each page must
be the `limit` nearest stations past the cursor (distance, then id), in that order, and the
first page is never short while the radius holds more (issue 20)."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chalicelib.domain.stations.geo import haversine_m
from chalicelib.domain.stations.geocells import plan_queries, station_cell_keys
from chalicelib.domain.stations.nearby import MAX_QUERIES, nearby_request
from chalicelib.domain.stations.pricing import GradePrice
from chalicelib.services.stations import search
from chalicelib.store.stations import stations as station_store
from chalicelib.store.stations.density import density_cell
from tests.station_factory import make_station

NOW = datetime(2025, 3, 14, 2, 30, tzinfo=timezone.utc)
CITY = (39.3712, 106.8791)  # by the corner of four index partitions


class MemoryIndex:
    """What stations_in_ranges and counts_in answer, from a list of stations."""

    def __init__(self, stations, counted=None):
        self.keyed = [(station_cell_keys(s.lat, s.lng, s.id), s) for s in stations]
        self.counts = Counter(density_cell(s.lat, s.lng) for s in (counted or stations))

    def stations_in_ranges(self, ranges, stats):
        found = []
        for r in ranges:
            stats.ranges += 1
            stats.queries += 1
            hits = [station_store.IndexedStation.of(s) for (p, k), s in self.keyed
                    if r.covers(p, k)]
            stats.scanned += len(hits)
            found += hits
        return found

    def counts_in(self, partitions):
        return ({c: n for c, n in self.counts.items() if c[:3] in partitions},
                len(partitions))


@pytest.fixture
def index(monkeypatch):
    holder = {}

    def install(stations, counted=None):
        holder["index"] = MemoryIndex(stations, counted)
        return holder["index"]
    monkeypatch.setattr(search.station_store, "stations_in_ranges",
                        lambda ranges, stats: holder["index"].stations_in_ranges(ranges, stats))
    monkeypatch.setattr(search.density_store, "counts_in",
                        lambda partitions: holder["index"].counts_in(partitions))
    monkeypatch.setattr(search.promotion_store, "chain_promotions_not_ended", lambda now: [])
    return install


def city(seed: int, count: int, spread_m: float, diesel_share: float):
    """A dense city: most stations near the centre, a few selling diesel ('0') as well."""
    rng = random.Random(seed)
    placed = []
    for k in range(count):
        s = make_station(f"c{seed}-{k:04d}", at=CITY, bearing=rng.uniform(0, 360),
                         distance_m=abs(rng.gauss(0, spread_m)))
        if rng.random() < diesel_share:
            s = replace(s, grades=s.grades + (GradePrice("0", 700, 700),))
        placed.append(s)
    return placed


def expected(stations, centre, radius_m, grade):
    keyed = [(int(haversine_m(*centre, s.lat, s.lng) * 1000 + 0.5), s.id) for s in stations
             if grade is None or s.sells(grade)]
    return [i for d, i in sorted(keyed) if d <= radius_m * 1000]


def pages_of(req, most=4):
    pages, cursor = [], None
    while len(pages) < most:
        stats = station_store.GeoReadStats()
        page = search.search_nearby(req, cursor, now=NOW, stats=stats)
        assert stats.ranges <= MAX_QUERIES
        pages.append([i.id for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return pages


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), count=st.integers(20, 400),
       spread_m=st.sampled_from([300, 1_500, 6_000, 20_000]),
       diesel_share=st.sampled_from([0.0, 0.02, 0.2]),
       bearing=st.floats(0, 360), off_m=st.floats(0, 15_000),
       radius_m=st.sampled_from([500, 3_000, 10_000, 50_000]),
       limit=st.sampled_from([1, 5, 20, 100]), grade=st.sampled_from([None, "0"]))
def test_every_page_is_the_nearest_stations_and_the_first_is_never_short(
        index, seed, count, spread_m, diesel_share, bearing, off_m, radius_m, limit, grade):
    stations = city(seed, count, spread_m, diesel_share)
    index(stations)
    centre = make_station(at=CITY, bearing=bearing, distance_m=off_m)
    req = nearby_request(centre.lat, centre.lng, radius_m=radius_m, limit=limit, grade=grade)
    inside = expected(stations, (centre.lat, centre.lng), radius_m, grade)

    pages = pages_of(req)

    assert len(pages[0]) == min(limit, len(inside))
    assert all(len(p) == limit for p in pages[:-1])
    read = [i for p in pages for i in p]
    assert read == inside[:len(read)]
    assert len(pages) == 4 or len(read) == len(inside)


def test_a_map_that_promises_more_than_there_is_still_gives_a_full_first_page(index):
    # The map counts 2,000 stations by the centre that have since closed: the first ring is
    # sized for them and finds nothing, yet the page must still reach the stations further out.
    stations = city(7, 300, 12_000, 0.0)
    gone = city(8, 2_000, 400, 0.0)
    index(stations, counted=stations + gone)
    req = nearby_request(*CITY, radius_m=50_000, limit=20)

    first = search.search_nearby(req, now=NOW)["items"]

    assert [i.id for i in first] == expected(stations, CITY, 50_000, None)[:20]


def pages_and_cursors(req, most=3):
    pages, cursor, spent = [], None, 0
    while len(pages) < most:
        stats = station_store.GeoReadStats()
        page = search.search_nearby(req, cursor, now=NOW, stats=stats)
        pages.append(page)
        spent += stats.ranges
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return pages, spent


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), count=st.integers(5, 300),
       spread_m=st.sampled_from([500, 3_000, 20_000]), off_m=st.floats(0, 10_000),
       radius_m=st.sampled_from([3_000, 10_000, 50_000]), limit=st.sampled_from([3, 20]))
def test_fewer_queries_give_the_same_pages_as_spending_the_whole_budget(
        index, monkeypatch, seed, count, spread_m, off_m, radius_m, limit):
    index(city(seed, count, spread_m, 0.0))
    centre = make_station(at=CITY, bearing=seed % 360, distance_m=off_m)
    req = nearby_request(centre.lat, centre.lng, radius_m=radius_m, limit=limit)

    adaptive, adaptive_spent = pages_and_cursors(req)
    with monkeypatch.context() as m:
        m.setattr(search, "cheapest_plan", lambda options, counts: options[-1])
        every, every_spent = pages_and_cursors(req)

    assert adaptive == every  # same stations, same order, same cursors
    assert adaptive_spent <= every_spent + len(adaptive)


def test_a_sparse_countryside_is_read_in_one_or_two_queries(index):
    rng = random.Random(3)
    far = [make_station(f"v-{k}", at=CITY, bearing=rng.uniform(0, 360),
                        distance_m=rng.uniform(1_000, 45_000)) for k in range(12)]
    index(far)
    for radius_m in (3_000, 10_000, 50_000):
        for off in range(0, 360, 45):
            at = make_station(at=CITY, bearing=off, distance_m=5_000)
            stats = station_store.GeoReadStats()
            req = nearby_request(at.lat, at.lng, radius_m=radius_m, limit=20)

            page = search.search_nearby(req, now=NOW, stats=stats)

            assert [i.id for i in page["items"]] == expected(far, (at.lat, at.lng), radius_m, None)
            assert stats.ranges <= 2 or stats.ranges == len(
                {r.partition for r in plan_queries(at.lat, at.lng, radius_m)})
