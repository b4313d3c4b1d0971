"""Rules of the nearby search: input codes, the detour's cost, and how rings grow."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.geo import wgs84_to_gcj02
from chalicelib.domain.stations.geocells import cell_box, plan_queries
from chalicelib.domain.stations.nearby import (
    DEFAULT_CONSUMPTION, detour_fen, detour_ml, nearby_request, next_ring_m, partitions_of,
    partitions_touching, ring_for_count)

TAIYUAN_STATION_WGS84 = (37.859861, 112.581806)


def code_of(**kwargs) -> str:
    args = {"lat": 37.87, "lng": 112.55, **kwargs}
    with pytest.raises(InvalidInput) as err:
        nearby_request(**args)
    return err.value.code


@pytest.mark.parametrize("kwargs, code", [
    ({"lat": 90.5}, "LAT_OUT_OF_RANGE"),
    ({"lat": math.nan}, "LAT_OUT_OF_RANGE"),
    ({"lat": 85.0}, "LAT_OUT_OF_RANGE"),  # nearer the poles than any station
    ({"lng": -181}, "LNG_OUT_OF_RANGE"),
    ({"radius_m": 50_001}, "RADIUS_TOO_LARGE"),
    ({"radius_m": 0}, "RADIUS_INVALID"),
    ({"grade": "93"}, "UNKNOWN_GRADE"),
    ({"sort": "price"}, "PRICE_SORT_NEEDS_GRADE"),
    ({"sort": "cost", "grade": "92"}, "COST_SORT_NEEDS_GRADE_AND_LITERS"),
    ({"sort": "cost", "liters": 40}, "COST_SORT_NEEDS_GRADE_AND_LITERS"),
    ({"liters": 0.5}, "LITERS_OUT_OF_RANGE"),
    ({"liters": math.inf}, "LITERS_OUT_OF_RANGE"),
    ({"consumption": 0}, "CONSUMPTION_OUT_OF_RANGE"),
    ({"consumption": math.nan}, "CONSUMPTION_OUT_OF_RANGE"),
    ({"limit": 101}, "LIMIT_OUT_OF_RANGE"),
    ({"coord": "bd09"}, "COORD_INVALID"),
    ({"sort": "rating"}, "SORT_INVALID"),
])
def test_each_bad_input_has_its_own_code(kwargs, code):
    assert code_of(**kwargs) == code


def test_wgs84_centre_is_moved_to_gcj02_and_gcj02_is_kept():
    lat, lng = TAIYUAN_STATION_WGS84

    wgs = nearby_request(lat, lng, coord="wgs84")
    gcj = nearby_request(lat, lng)

    assert (wgs.lat, wgs.lng) == wgs84_to_gcj02(lat, lng)
    assert (gcj.lat, gcj.lng) == (lat, lng)


def test_defaults_are_documented_values():
    req = nearby_request(37.87, 112.55)
    assert (req.radius_m, req.sort, req.limit, req.volume_ml) == (5000, "distance", 20, None)
    assert req.consumption_dl == int(DEFAULT_CONSUMPTION * 10) == 80


def test_liters_become_millilitres_and_consumption_tenths():
    req = nearby_request(37.87, 112.55, sort="cost", grade="92", liters=40.0005, consumption=7.45)
    assert (req.volume_ml, req.consumption_dl) == (40_001, 75)


def test_the_round_trip_burns_twice_the_distance():
    # 5 km there and back at 8 L/100 km: 10 km x 0.08 L/km = 0.8 L
    assert detour_ml(5000, 80) == 800
    assert detour_fen(5000, 80, 750) == 600  # 0.8 L at 7.50 yuan


def test_a_cheap_station_far_away_loses_to_a_dearer_one_next_door():
    litres_ml, consumption = 40_000, 80
    next_door = 40 * 718 + detour_fen(500, consumption, 718)
    far_away = 40 * 700 + detour_fen(12_000, consumption, 700)
    assert next_door < far_away
    assert detour_ml(12_000, consumption) == 1920 and litres_ml == 40_000


@given(st.integers(0, 50_000), st.integers(10, 600), st.integers(100, 3000))
def test_detour_cost_grows_with_distance(distance_m, consumption_dl, price_fen):
    assert detour_fen(distance_m + 100, consumption_dl, price_fen) >= \
        detour_fen(distance_m, consumption_dl, price_fen) >= 0


@given(st.floats(100, 40_000), st.integers(0, 500), st.integers(1, 101))
def test_rings_grow_and_never_pass_the_radius(outer_m, found, wanted):
    ring = next_ring_m(0.0, outer_m, found, wanted, 50_000)
    assert ring <= 50_000
    assert ring >= min(50_000, int(outer_m * 1.5))


def test_a_ring_is_sized_from_the_density_seen():
    # 4 stations within 2 km, 21 wanted: about 1.3 x 21 stations at that density
    ring = next_ring_m(0.0, 2000, 4, 21, 50_000)
    expected_area = 2000 ** 2 * (1 + 1.3 * 21 / 4)
    assert ring == int(math.sqrt(expected_area))


@settings(deadline=None)  # a plan takes longer than the default on a loaded machine
@given(st.floats(18.0, 53.5), st.floats(73.5, 135.0), st.integers(1, 50_000))
def test_partition_count_is_at_least_what_a_plan_needs(lat, lng, radius_m):
    plan = plan_queries(lat, lng, radius_m, max_queries=9)
    assert len({r.partition for r in plan}) <= partitions_touching(lat, lng, radius_m)


def test_cell_box_inverts_geohash():
    from chalicelib.domain.stations.geocells import geohash
    s, n, w, e = cell_box(geohash(37.8706, 112.5489, 5))
    assert s <= 37.8706 < n and w <= 112.5489 < e
    assert cell_box("wx4g0") == pytest.approx((39.90234375, 39.946289, 116.3671875, 116.411133), abs=1e-5)


def test_partitions_of_a_circle_cover_its_stations():
    from chalicelib.domain.stations.geocells import station_cell_keys
    from tests.station_factory import destination
    centre = (39.3712, 106.8791)  # next to a corner of four partitions
    parts = partitions_of(*centre, 20_000)
    assert len(parts) == 4
    for bearing in range(0, 360, 15):
        assert station_cell_keys(*destination(*centre, bearing, 19_900), "s")[0] in parts


def test_the_first_ring_is_sized_to_hold_the_stations_wanted():
    from chalicelib.domain.stations.geocells import geohash
    centre = (37.8706, 112.5489)
    cell = geohash(*centre, 5)
    # 100 stations spread over a ~20 km2 cell: 1.3 x 21 of them lie within about 1.4 km
    ring = ring_for_count(*centre, {cell: 100}, 0.0, 21, 50_000)
    assert 900 < ring < 2500
    assert ring_for_count(*centre, {cell: 100}, 0.0, 21, 1000) == 1000  # never past the radius
    assert ring_for_count(*centre, {}, 0.0, 21, 8000) == 8000  # nothing known: the whole radius
    assert ring_for_count(*centre, {cell: 100}, 1500.0, 21, 50_000) > 1500


@settings(deadline=None)  # a plan takes longer than the default on a loaded machine
@given(st.floats(-75.0, 75.0), st.floats(-180.0, 180.0), st.integers(1, 50_000))
def test_every_accepted_search_fits_the_query_budget(lat, lng, radius_m):
    req = nearby_request(lat, lng, radius_m=radius_m)
    assert len(plan_queries(req.lat, req.lng, radius_m, max_queries=9)) <= 9


def test_a_sparse_map_reads_an_area_in_one_query_and_a_dense_one_in_more():
    from chalicelib.domain.stations.geocells import geohash, plan_options
    from chalicelib.domain.stations.nearby import ExpectedStations, cheapest_plan
    lat, lng = 37.87, 112.55
    options = plan_options(lat, lng, 3_000, max_queries=9)
    here, north = geohash(lat, lng, 5), geohash(lat + 0.04, lng, 5)

    assert [len(p) for p in options] == list(range(1, 10))
    assert len(cheapest_plan(options, ExpectedStations({here: 1}))) == 1
    assert len(cheapest_plan(options, ExpectedStations({here: 3_000, north: 3_000}))) > 2
    assert cheapest_plan(options, ExpectedStations({})) == options[-1]  # no map: the most ranges


def test_the_map_expects_a_partition_to_hold_all_its_cells_stations():
    from chalicelib.domain.stations.geocells import CellRange, geohash
    from chalicelib.domain.stations.nearby import ExpectedStations
    expected = ExpectedStations({geohash(37.87, 112.55 + d, 5): 10 for d in (0, 0.1, 0.2)})
    part = geohash(37.87, 112.55, 3)

    assert expected.between(*CellRange(part, part, part + "~").span()) == 30
    half = CellRange(part, geohash(37.87, 112.55, 5), geohash(37.87, 112.55, 5) + "g~")
    assert expected.between(*half.span()) == pytest.approx(5, abs=0.01)


def test_a_plan_is_sent_with_the_range_expected_to_read_most_first():
    from chalicelib.domain.stations.geocells import geohash, plan_options
    from chalicelib.domain.stations.nearby import ExpectedStations, heaviest_first
    lat, lng = 37.87, 112.55
    plan = plan_options(lat, lng, 3_000, max_queries=9)[-1]
    expected = ExpectedStations({geohash(lat, lng, 5): 40, geohash(lat + 0.03, lng, 5): 5})

    ordered = heaviest_first(plan, expected)

    assert sorted(ordered, key=plan.index) == plan  # the same ranges, each once
    weights = [expected.between(*r.span()) for r in ordered]
    assert weights == sorted(weights, reverse=True) and weights[0] > weights[-1]
    assert heaviest_first(plan, ExpectedStations({})) == plan  # no map: the plan's own order
