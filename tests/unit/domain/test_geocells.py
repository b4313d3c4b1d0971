"""The nearby-search plan covers every point of the annulus within the query budget."""
import math
import random

import pytest
from hypothesis import assume, given, settings, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.geo import EARTH_RADIUS_M, haversine_m
from chalicelib.domain.stations.geocells import (
    MAX_RADIUS_M, PARTITION_PRECISION, geohash, plan_queries, ring_radii, station_cell_keys)
from tests.station_factory import destination

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
TAIYUAN = (37.87, 112.55)
COUNTRYSIDE = (41.45, 113.05)  # farmland north of Jining, Inner Mongolia


def is_covered(plan, lat, lng):
    partition, sort_key = station_cell_keys(lat, lng, "s-1")
    return any(r.covers(partition, sort_key) for r in plan)


def index_of(text):
    code = 0
    for ch in text:
        code = code * 32 + BASE32.index(ch)
    return code


def box_of_bits(code, bits):
    south, north, west, east = -90.0, 90.0, -180.0, 180.0
    for b in range(bits):
        one = (code >> (bits - 1 - b)) & 1
        if b % 2 == 0:
            mid = (west + east) / 2
            west, east = (mid, east) if one else (west, mid)
        else:
            mid = (south + north) / 2
            south, north = (mid, north) if one else (south, mid)
    return south, north, west, east


def sampled_area_m2(plan, rng, samples_per_range=2000):
    """Monte Carlo area of the plan: sample each range's smallest enclosing cell, count hits."""
    total = 0.0
    for r in plan:
        lo = index_of(r.lo.ljust(9, "0"))
        hi = index_of(r.hi.rstrip("~").ljust(9, "z"))
        shared = 45 - (lo ^ hi).bit_length()
        south, north, west, east = box_of_bits(lo >> (45 - shared), shared)
        s_sin, n_sin = math.sin(math.radians(south)), math.sin(math.radians(north))
        hits = 0
        for _ in range(samples_per_range):
            lat = math.degrees(math.asin(rng.uniform(s_sin, n_sin)))
            key = geohash(lat, rng.uniform(west, east)) + "#"
            hits += r.lo <= key <= r.hi
        box_area = EARTH_RADIUS_M ** 2 * math.radians(east - west) * (n_sin - s_sin)
        total += box_area * hits / samples_per_range
    return total


def test_geohash_matches_the_published_example():
    assert geohash(57.64911, 10.40744) == "u4pruydqq"  # Wikipedia's u4pruydqqvj, cut to 9


def test_station_keys_are_the_coarse_cell_and_the_fine_cell_with_the_id():
    partition, sort_key = station_cell_keys(*TAIYUAN, "st-42")

    assert partition == geohash(*TAIYUAN, precision=PARTITION_PRECISION)
    assert sort_key == geohash(*TAIYUAN) + "#st-42"


@settings(max_examples=150, deadline=None)
@given(lat=st.floats(-60, 60), lng=st.floats(-180, 180), radius=st.integers(1, MAX_RADIUS_M),
       inner_share=st.sampled_from([0.0, 0.0, 0.3, 0.7, 0.99]), max_queries=st.integers(6, 12),
       seed=st.integers(0, 2**32))
def test_every_point_of_the_annulus_is_covered_within_the_query_budget(lat, lng, radius, inner_share,
                                                                        max_queries, seed):
    inner = radius * inner_share
    plan = plan_queries(lat, lng, radius, inner_radius_m=inner, max_queries=max_queries)
    rng = random.Random(seed)
    distances = [inner, radius] + [math.sqrt(rng.uniform(inner ** 2, radius ** 2)) for _ in range(60)]

    uncovered = [(round(d), bearing) for d in distances for bearing in [rng.uniform(0, 360)]
                 if not is_covered(plan, *destination(lat, lng, bearing, d))]

    assert len(plan) <= max_queries
    assert uncovered == []


@pytest.mark.parametrize("radius", [3000, 10_000, 50_000])
def test_a_next_page_from_far_out_skips_part_of_the_circle_already_read(radius):
    full = sampled_area_m2(plan_queries(*TAIYUAN, radius), random.Random(3))

    annulus = sampled_area_m2(plan_queries(*TAIYUAN, radius, inner_radius_m=0.9 * radius), random.Random(3))

    assert annulus < 0.9 * full


def test_a_search_across_the_antimeridian_finds_points_on_both_sides():
    plan = plan_queries(10.0, 179.9, 50_000)

    assert is_covered(plan, 10.0, -179.7)
    assert is_covered(plan, 10.0, 179.6)
    assert len(plan) <= 9


def test_a_search_over_a_pole_is_refused_rather_than_half_done():
    with pytest.raises(InvalidInput) as err:
        plan_queries(89.9, 0.0, 50_000)

    assert err.value.code == "SEARCH_AREA_TOO_WIDE"


@pytest.mark.parametrize("kwargs, code", [
    ({"radius_m": 50_001}, "RADIUS_TOO_LARGE"),
    ({"radius_m": 0}, "RADIUS_INVALID"),
    ({"radius_m": 5000, "inner_radius_m": 6000}, "INNER_RADIUS_INVALID"),
    ({"radius_m": 5000, "lat": 91.0}, "LAT_OUT_OF_RANGE"),
])
def test_bad_search_input_is_refused_with_its_own_code(kwargs, code):
    args = {"lat": 37.87, "lng": 112.55, **kwargs}

    with pytest.raises(InvalidInput) as err:
        plan_queries(**args)

    assert err.value.code == code


def test_ranges_never_mix_partitions_and_each_is_ordered():
    for plan in (plan_queries(*TAIYUAN, r) for r in (3000, 10_000, 50_000)):
        for r in plan:
            assert r.lo.startswith(r.partition) and r.hi.startswith(r.partition)
            assert r.lo < r.hi


@pytest.mark.parametrize("centre", [TAIYUAN, COUNTRYSIDE], ids=["taiyuan", "countryside"])
@pytest.mark.parametrize("radius", [3000, 10_000, 50_000])
def test_the_plan_reads_little_more_than_the_circle(centre, radius):
    plan = plan_queries(*centre, radius)
    circle_m2 = 2 * math.pi * EARTH_RADIUS_M ** 2 * (1 - math.cos(radius / EARTH_RADIUS_M))

    ratio = sampled_area_m2(plan, random.Random(7)) / circle_m2

    assert 1.0 <= ratio < 1.8


def test_rings_double_up_to_the_radius():
    assert ring_radii(5000) == [1000, 2000, 4000, 5000]
    assert ring_radii(800) == [800]
    assert ring_radii(50_000, first_m=3000) == [3000, 6000, 12_000, 24_000, 48_000, 50_000]
