"""Nearby search and station writes on moto and on DynamoDB Local (the real key-condition
rules, nested document paths and transactions)."""
from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import datetime, timezone

from chalicelib.domain.stations.geo import haversine_m
from chalicelib.domain.stations.nearby import nearby_request
from chalicelib.domain.stations.pricing import GradePrice
from chalicelib.services.stations import admin as station_admin, search as stations
from chalicelib.store.stations import price_history
from chalicelib.store.stations import stations as station_store
from tests.station_factory import make_station, staff

NOW = datetime(2025, 3, 14, 2, 30, tzinfo=timezone.utc)
# Just off the corner of four index partitions (lat 39.375, lng 106.875), so a circle spans
# all four and the plan's ranges cross partition boundaries.
CORNER = (39.3712, 106.8791)


def scatter(centre, count, max_m, seed):
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6]
    placed = [make_station(f"geo-{tag}-{k:03d}", at=centre, bearing=rng.uniform(0, 360),
                           distance_m=max_m * rng.random() ** 0.5, pump_92=690 + rng.randrange(40))
              for k in range(count)]
    for s in placed:
        station_store.put_station(s)
    return placed


def within(placed, centre, radius_m):
    return sorted((round(haversine_m(*centre, s.lat, s.lng)), s.id) for s in placed
                  if haversine_m(*centre, s.lat, s.lng) <= radius_m)


def test_paging_returns_every_station_in_the_radius_once_in_distance_order(dynamodb):
    placed = scatter(CORNER, 150, 30_000, seed=4)
    req = nearby_request(*CORNER, radius_m=20_000, limit=9)
    seen, cursor = [], None
    while True:
        stats = station_store.GeoReadStats()
        page = stations.search_nearby(req, cursor, now=NOW, stats=stats)
        assert stats.ranges <= 9
        seen += [(i.distance_m, i.id) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    expected = within(placed, CORNER, 20_000)
    assert len(expected) > 50
    assert [i for _, i in seen] == [i for _, i in expected]  # once each, nearest first
    assert len({i for _, i in seen}) == len(seen)


def test_price_sort_reads_the_whole_circle_across_partitions(dynamodb):
    centre = (40.7791, 108.2840)  # another partition corner, far from the first test's stations
    placed = scatter(centre, 60, 15_000, seed=5)
    req = nearby_request(*centre, radius_m=12_000, sort="price", grade="92", limit=100)

    items = stations.search_nearby(req, now=NOW)["items"]

    assert sorted(i.id for i in items) == sorted(i for _, i in within(placed, centre, 12_000))
    prices = [i.grade("92").price_fen for i in items]
    assert prices == sorted(prices)


def test_a_search_at_the_edge_of_the_map_is_answered(dynamodb):
    far_east = (53.3, 179.99)  # the antimeridian, far from any station
    for centre in (far_east, (-33.9, 151.2)):
        page = stations.search_nearby(nearby_request(*centre, radius_m=50_000), now=NOW)
        assert page == {"items": [], "next_cursor": None}


def test_price_change_and_its_history_commit_together(dynamodb):
    station = make_station(f"geo-{uuid.uuid4().hex[:8]}")
    station_store.put_station(station)

    station_admin.update_prices(staff("hq", subject="s_hq"), station.id, [("92", 730, 725)], now=NOW)
    station_admin.update_prices(staff("hq", subject="s_hq"), station.id, [("92", 730, 710)], now=NOW)

    stored = station_store.get_station(station.id)
    assert (stored.grade_price("92").pump_price_fen, stored.version) == (710, 2)
    assert [(h.version, h.grades[0].old_pump_price_fen, h.grades[0].new_pump_price_fen)
            for h in price_history.price_history(station.id)] == [(2, 725, 710), (1, 718, 725)]


def test_stock_and_promotions_use_nested_paths_the_engine_accepts(dynamodb):
    station = make_station(f"geo-{uuid.uuid4().hex[:8]}")
    station_store.put_station(station)
    hq = staff("hq")

    station_admin.update_inventory(hq, station.id, [("95", 0)])
    created = station_admin.create_promotion(
        hq, station_ids=[station.id], title="直降", kind="per_litre_off", per_litre_off_fen=20,
        starts_at="2025-03-14T00:00:00Z", ends_at="2025-03-15T00:00:00Z", now=NOW)

    stored = station_store.get_station(station.id, NOW)
    assert stored.stock_ml["95"] == 0 and [p.id for p in stored.promotions] == [created.id]
    station_admin.delete_promotion(hq, created.id)
    assert station_store.get_station(station.id, NOW).promotions == ()


def test_a_station_item_written_before_the_promotions_map_still_takes_one(dynamodb):
    station = make_station(f"geo-{uuid.uuid4().hex[:8]}")
    station_store.put_station(station)
    dynamodb.update_item(TableName="fuel-local-stations", Key={"station_id": {"S": station.id}},
                         UpdateExpression="REMOVE promotions")

    created = station_admin.create_promotion(
        staff("hq"), station_ids=[station.id], title="直降", kind="per_litre_off",
        per_litre_off_fen=20, starts_at="2025-03-14T00:00:00Z", ends_at="2025-03-15T00:00:00Z",
        now=NOW)

    assert [p.id for p in station_store.get_station(station.id, NOW).promotions] == [created.id]


def test_a_first_page_is_full_while_the_radius_holds_more_stations(dynamodb):
    # A dense city where few stations sell diesel: the map sizes the first ring for all of
    # them, so that ring finds almost no diesel and the page must reach further out.
    centre, rng, tag = (41.5321, 104.2207), random.Random(20), uuid.uuid4().hex[:6]
    placed = []
    for k in range(260):
        s = make_station(f"geo-{tag}-{k:03d}", at=centre, bearing=rng.uniform(0, 360),
                         distance_m=(2_000 if k < 230 else 25_000) * rng.random() ** 0.5)
        if k % 10 == 0:
            s = replace(s, grades=s.grades + (GradePrice("0", 700, 700),))
        station_store.put_station(s)
        placed.append(s)
    diesel = [s for s in placed if s.sells("0")]

    for bearing, off_m in ((0, 0), (90, 800), (200, 1_500), (300, 3_000)):
        at = make_station(at=centre, bearing=bearing, distance_m=off_m)
        for radius_m, limit in ((30_000, 20), (10_000, 5), (1_500, 3)):
            req = nearby_request(at.lat, at.lng, radius_m=radius_m, grade="0", limit=limit)
            inside = within(diesel, (at.lat, at.lng), radius_m)

            page = stations.search_nearby(req, now=NOW)

            assert [i.id for i in page["items"]] == [i for _, i in inside][:limit]
