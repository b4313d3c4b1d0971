"""Nearby search and station detail on moto: order, paging, honest prices, cost, queue."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.api.shapes import converted
from chalicelib.api.stations import PromotionOut, detail_answer, nearby_answer
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.stations.geo import haversine_m
from chalicelib.domain.stations.nearby import nearby_request
from chalicelib.domain.stations.pricing import quote
from chalicelib.services.stations import admin as station_admin, search as stations
from chalicelib.store.stations import stations as station_store
from tests.station_factory import TAIYUAN, count_fuelling, count_order, make_station, staff

NOW = datetime(2025, 3, 14, 2, 30, tzinfo=timezone.utc)  # 10:30 in Taiyuan
HQ = staff("hq", subject="s_hq")


def put(*stations_):
    for s in stations_:
        station_store.put_station(s)
    return stations_


def search(**kwargs):
    cursor = kwargs.pop("cursor", None)
    stats = kwargs.pop("stats", None)
    return nearby_answer(stations.search_nearby(nearby_request(*TAIYUAN, **kwargs), cursor, now=NOW,
                                                stats=stats))


def promote(station_ids=None, **figures):
    args = {"title": "周五加油节", "kind": "per_litre_off", "per_litre_off_fen": 30,
            "starts_at": "2025-03-14T00:00:00Z", "ends_at": "2025-03-15T00:00:00Z", **figures}
    return converted(station_admin.create_promotion(HQ, station_ids=station_ids, now=NOW, **args),
                     PromotionOut)


def test_stations_come_nearest_first_with_distance_and_map_coordinates(aws):
    far, near, middle = put(make_station(distance_m=3000, bearing=10),
                            make_station(distance_m=400, bearing=200),
                            make_station(distance_m=1500, bearing=90))

    items = search()["items"]

    assert [i["id"] for i in items] == [near.id, middle.id, far.id]
    assert [i["distance_m"] for i in items] == [400, 1500, 3000]
    assert items[0]["location"] == {"lat": round(near.lat, 6), "lng": round(near.lng, 6),
                                    "coord": "gcj02"}


def test_stations_beyond_the_radius_are_left_out(aws):
    inside, _ = put(make_station(distance_m=4900), make_station(distance_m=5200))

    assert [i["id"] for i in search(radius_m=5000)["items"]] == [inside.id]


def test_paging_by_cursor_returns_every_station_once_in_distance_order(aws):
    placed = put(*(make_station(distance_m=150 + 97 * k, bearing=37 * k) for k in range(45)))
    seen, cursor, pages = [], None, 0
    while True:
        page = search(limit=7, cursor=cursor)
        seen += [(i["distance_m"], i["id"]) for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(i for _, i in seen) == sorted(s.id for s in placed)
    assert seen == sorted(seen) and pages == 7


def test_a_page_costs_at_most_nine_index_queries(aws):
    put(*(make_station(distance_m=300 * k, bearing=71 * k) for k in range(1, 60)))
    stats = station_store.GeoReadStats()

    search(radius_m=50_000, limit=5, stats=stats)

    assert 1 <= stats.ranges <= 9


def test_grade_filter_keeps_stations_selling_it(aws):
    diesel_only = make_station(distance_m=100)
    from dataclasses import replace
    from chalicelib.domain.stations.prices import GradePrice
    diesel_only = replace(diesel_only, grades=(GradePrice("0", 695, 690),))
    both = make_station(distance_m=200)
    put(diesel_only, both)

    assert [i["id"] for i in search(grade="92")["items"]] == [both.id]


def test_sort_by_price_ranks_by_what_the_user_pays_after_promotions(aws):
    plain, promoted, cheap = put(make_station(distance_m=100, pump_92=700),
                                 make_station(distance_m=900, pump_92=718),
                                 make_station(distance_m=2000, pump_92=690))
    promote([promoted.id], per_litre_off_fen=30)  # 718 - 30 = 688

    items = search(sort="price", grade="92")["items"]

    assert [i["id"] for i in items] == [promoted.id, cheap.id, plain.id]
    offer = next(g for g in items[0]["grades"] if g["grade"] == "92")
    assert (offer["pump_price_fen"], offer["price_fen"]) == (718, 688)
    assert offer["promotion"] == "直降0.30元/升"


def test_a_cheap_station_12_km_away_loses_to_a_dearer_one_next_door(aws):
    next_door, far_cheap = put(make_station(distance_m=500, pump_92=718),
                               make_station(distance_m=12_000, bearing=45, pump_92=700))

    items = search(sort="cost", grade="92", liters=40, radius_m=20_000)["items"]

    assert [i["id"] for i in items] == [next_door.id, far_cheap.id]
    near_cost, far_cost = items[0]["cost"], items[1]["cost"]
    assert near_cost["fuel_fen"] == 40 * 718 and far_cost["fuel_fen"] == 40 * 700
    assert far_cost["detour_ml"] == 1920  # 24 km at 8 L/100 km
    assert far_cost["effective_cost_fen"] == 28000 + 1344
    assert near_cost["saving_fen"] == 0
    assert far_cost["saving_fen"] == near_cost["effective_cost_fen"] - far_cost["effective_cost_fen"] < 0


def test_a_thirsty_car_or_a_big_fill_changes_the_ranking_as_it_should(aws):
    put(make_station("near", distance_m=500, pump_92=718),
        make_station("far", distance_m=6000, pump_92=690))

    small_fill = search(sort="cost", grade="92", liters=10, radius_m=10_000)["items"]
    big_fill = search(sort="cost", grade="92", liters=60, radius_m=10_000)["items"]

    assert small_fill[0]["id"] == "near"  # 10 L saves 2.80, the detour costs 6.24
    assert big_fill[0]["id"] == "far"  # 60 L saves 16.80
    assert big_fill[0]["cost"]["saving_fen"] > 0


def test_a_station_out_of_the_grade_is_not_ranked_on_its_price(aws):
    dry, wet = put(make_station(distance_m=100, pump_92=600, stock_92_ml=0),
                   make_station(distance_m=200, pump_92=718))

    assert [i["id"] for i in search(sort="price", grade="92")["items"]] == [wet.id]
    listed = search()["items"]
    assert next(g for g in listed[0]["grades"] if g["grade"] == "92")["stock"] == "out"


def test_the_listed_price_is_what_an_order_for_that_fill_pays(aws):
    station, = put(make_station(distance_m=300, pump_92=718))
    promote([station.id], kind="per_litre_off_over_amount", per_litre_off_fen=40,
            threshold_fen=20_000)
    promote(None, kind="amount_off_over_amount", per_litre_off_fen=0, threshold_fen=25_000,
            amount_off_fen=1_000)  # chain-wide

    offer = next(g for g in search(liters=40)["items"][0]["grades"] if g["grade"] == "92")
    for_order = station_store.get_station(station.id, NOW)
    charged = quote(for_order.grades, for_order.promotions, station_id=station.id, grade="92",
                    now=NOW, amount_fen=40 * 718)

    assert charged.pay_fen == offer["reference_pay_fen"]
    assert charged.pay_fen == 40 * 718 - 40 * 40  # the better of the two, never both


def test_chain_and_station_promotions_are_listed_in_words(aws):
    mine, other = put(make_station(distance_m=100), make_station(distance_m=200))
    promote([mine.id], kind="amount_off_over_amount", per_litre_off_fen=0, threshold_fen=30_000,
            amount_off_fen=2_000)
    promote(None, per_litre_off_fen=10, grades=["95"])

    items = {i["id"]: i for i in search()["items"]}

    assert sorted(p["description"] for p in items[mine.id]["promotions"]) == \
        ["满300元减20元", "直降0.10元/升"]
    assert [p["description"] for p in items[other.id]["promotions"]] == ["直降0.10元/升"]


def test_promotions_outside_their_window_do_not_apply(aws):
    station, = put(make_station(distance_m=100))
    promote([station.id], starts_at="2025-03-15T00:00:00Z", ends_at="2025-03-16T00:00:00Z")

    item = search()["items"][0]
    assert item["promotions"] == []
    assert all(g["price_fen"] == g["pump_price_fen"] for g in item["grades"])
    assert station_store.get_station(station.id, NOW).promotions == ()
    assert len(station_store.get_station(station.id, NOW + timedelta(days=1)).promotions) == 1


def test_get_station_carries_its_own_and_chain_wide_active_promotions(aws):
    station, other = put(make_station(), make_station())
    own = promote([station.id])["id"]
    chain = promote(None, per_litre_off_fen=5)["id"]
    promote([other.id])

    assert sorted(p.id for p in station_store.get_station(station.id, NOW).promotions) == \
        sorted([own, chain])


def test_queue_estimate_follows_the_erlang_c_formula_from_recorded_orders(aws):
    station, = put(make_station(distance_m=100, nozzles=4))
    for k in range(24):  # 24 orders over the last 48 minutes: 30 an hour
        count_order(station.id, NOW - timedelta(minutes=2 * k, seconds=30))
    for _ in range(25):  # 25 fuellings of 6 minutes: the learned mean is used
        count_fuelling(station.id, NOW, NOW + timedelta(minutes=6))

    queue = detail_answer(stations.station_detail(station.id, now=NOW))["queue"]

    span_s = 5 * 600  # five whole 10-minute buckets; the sixth opens at 02:30:00 = NOW
    lam, mu, c = 24 / span_s, 1 / 360.0, 4
    a = lam / mu
    tail = a ** c / math.factorial(c) * c / (c - a)
    erlang_c = tail / (sum(a ** k / math.factorial(k) for k in range(c)) + tail)
    wait_s = erlang_c / (c * mu - lam)
    assert queue["wait_minutes"] == math.floor(wait_s / 60 + 0.5)
    assert queue["confidence"] == "medium" and queue["reason"] is None and queue["nozzles"] == 4


def test_a_quiet_station_has_no_estimate_and_says_why(aws):
    station, = put(make_station(distance_m=100))
    count_order(station.id, NOW - timedelta(minutes=5))

    queue = search()["items"][0]["queue"]

    assert (queue["wait_minutes"], queue["reason"]) == (None, "too_few_orders")


def test_detail_lists_nozzles_hours_and_payee(aws):
    station, = put(make_station(nozzles=3, open_time="06:00", close_time="22:00"))

    detail = detail_answer(stations.station_detail(station.id, now=NOW))

    assert detail["nozzles"] == [{"no": 1, "grade": "92"}, {"no": 2, "grade": "95"},
                                 {"no": 3, "grade": "92"}]
    assert detail["hours"] == {"open": "06:00", "close": "22:00"} and detail["open_now"]
    assert detail["payee"] == station.payee and detail["distance_m"] is None


@pytest.mark.parametrize("station_id", ["st-missing", "x" * 300])
def test_an_unknown_station_is_not_found(aws, station_id):
    with pytest.raises(NotFound) as err:
        stations.station_detail(station_id)
    assert err.value.code == "STATION_NOT_FOUND"


@pytest.mark.parametrize("cursor", ["not-a-cursor", "12.3.ty-001\n", "1.2.站", "-5.0.ty-001", ""])
def test_a_cursor_not_shaped_like_ours_is_refused(aws, cursor):
    with pytest.raises(InvalidInput) as err:
        search(cursor=cursor)
    assert err.value.code == "INVALID_CURSOR"


def test_any_well_formed_cursor_is_a_position_to_start_after(aws):
    near, far = put(make_station(distance_m=100), make_station(distance_m=900))

    page = search(cursor="500000.1.~")  # past 500 m

    assert [i["id"] for i in page["items"]] == [far.id]


def test_price_sort_pages_by_cursor_without_repeats(aws):
    put(*(make_station(distance_m=200 * k, pump_92=700 + (k * 7) % 13) for k in range(1, 16)))
    seen, cursor = [], None
    while True:
        page = search(sort="price", grade="92", limit=4, cursor=cursor)
        seen += [(next(g["price_fen"] for g in i["grades"] if g["grade"] == "92"), i["distance_m"])
                 for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 15 and seen == sorted(seen)


def test_distances_are_measured_from_the_converted_wgs84_position(aws):
    station, = put(make_station(at=(37.8612, 112.5879)))  # GCJ-02 of the WGS-84 point below

    item = stations.search_nearby(nearby_request(37.859861, 112.581806, coord="wgs84"),
                                  now=NOW)["items"][0]  # the listing itself

    wgs_as_if_gcj = haversine_m(37.859861, 112.581806, station.lat, station.lng)
    assert item.distance_m < 100 < wgs_as_if_gcj


def test_a_wrong_density_map_costs_reads_never_stations(aws):
    from chalicelib.store.stations import density as station_density
    placed = put(*(make_station(distance_m=120 * k, bearing=53 * k) for k in range(1, 40)))
    centre_cell = station_density.density_cell(*TAIYUAN)
    station_density.add_counts({centre_cell: 100_000})  # claims a crowd that is not there
    seen, cursor, short_pages = [], None, 0
    while True:
        stats = station_store.GeoReadStats()
        page = search(limit=10, cursor=cursor, stats=stats)
        assert stats.ranges <= 9
        seen += [(i["distance_m"], i["id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        short_pages += cursor is not None and len(page["items"]) < 10
        if cursor is None:
            break

    assert [i for _, i in seen] == [s.id for s in placed]
    assert short_pages == 0  # the last ring is kept queries enough to reach the whole radius


def test_a_chain_promotion_this_process_writes_or_deletes_shows_in_the_next_search(aws):
    put(make_station(distance_m=100))
    assert search()["items"][0]["promotions"] == []  # the process now keeps an empty read

    created = promote(None, per_litre_off_fen=10)

    assert [p["description"] for p in search()["items"][0]["promotions"]] == ["直降0.10元/升"]

    station_admin.delete_promotion(HQ, created["id"])

    assert search()["items"][0]["promotions"] == []


def test_a_chain_promotion_written_elsewhere_shows_within_a_second_and_ends_on_time(
        aws, monkeypatch):
    from chalicelib.store.stations import promotions as promotion_store
    clock = [1000.0]
    monkeypatch.setattr(promotion_store.time, "monotonic", lambda: clock[0])
    put(make_station(distance_m=100))
    assert search()["items"][0]["promotions"] == []  # read at 1000.0 and kept
    with monkeypatch.context() as other_process:  # a write this process does not see
        other_process.setattr(promotion_store, "forget_chain_kept", lambda: None)
        promote(None, per_litre_off_fen=10)

    clock[0] = 1000.9
    assert search()["items"][0]["promotions"] == []  # the kept read, under a second old
    clock[0] = 1001.0
    assert len(search()["items"][0]["promotions"]) == 1  # read again
    clock[0] = 1001.5
    ended = datetime(2025, 3, 15, 0, 0, 1, tzinfo=timezone.utc)  # after the promotion's end
    item = stations.search_nearby(nearby_request(*TAIYUAN), now=ended)["items"][0]
    assert item.promotions == ()
