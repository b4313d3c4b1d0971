"""WGS-84 <-> GCJ-02 against published reference pairs, and great-circle distances."""
import math

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.geo import (
    EARTH_RADIUS_M, check_lat_lng, gcj02_to_wgs84, haversine_m, out_of_china, wgs84_to_gcj02)

# (wgs lat, wgs lng, gcj lat, gcj lng): the test pairs of googollee/eviltransform
# (python/test.py) and the example of wandergis/coordtransform (test/app.js).
PUBLISHED_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),  # Beijing, coordtransform
]

inside_china = st.tuples(st.floats(1.0, 55.6), st.floats(72.2, 137.6))


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", PUBLISHED_PAIRS)
def test_wgs84_to_gcj02_gives_the_published_coordinates(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = wgs84_to_gcj02(wgs_lat, wgs_lng)

    assert lat == pytest.approx(gcj_lat, abs=1e-9)
    assert lng == pytest.approx(gcj_lng, abs=1e-9)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", PUBLISHED_PAIRS)
def test_gcj02_to_wgs84_lands_within_half_a_metre_of_the_published_point(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = gcj02_to_wgs84(gcj_lat, gcj_lng)

    assert haversine_m(lat, lng, wgs_lat, wgs_lng) < 0.5


@pytest.mark.parametrize("lat, lng", [(35.6812, 139.7671), (51.5074, -0.1278), (-33.8688, 151.2093),
                                      (40.7128, -74.0060), (0.5, 100.0), (56.0, 120.0)])
def test_points_outside_china_are_not_shifted_either_way(lat, lng):
    assert out_of_china(lat, lng)
    assert wgs84_to_gcj02(lat, lng) == (lat, lng)
    assert gcj02_to_wgs84(lat, lng) == (lat, lng)


def test_the_china_box_is_inclusive_at_its_edges():
    assert not out_of_china(0.8293, 72.004)
    assert not out_of_china(55.8271, 137.8347)
    assert out_of_china(0.8292, 100.0)
    assert out_of_china(30.0, 137.8348)


def test_a_shift_in_taiyuan_is_a_few_hundred_metres():
    lat, lng = wgs84_to_gcj02(37.87, 112.55)

    assert 100 < haversine_m(37.87, 112.55, lat, lng) < 1000


@given(inside_china)
def test_wgs_to_gcj_and_back_returns_to_the_start(point):
    lat, lng = point

    back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lng))

    assert haversine_m(lat, lng, *back) < 0.01


@given(inside_china)
def test_gcj_to_wgs_and_back_returns_to_the_start(point):
    lat, lng = point

    back = wgs84_to_gcj02(*gcj02_to_wgs84(lat, lng))

    assert haversine_m(lat, lng, *back) < 0.01


def test_haversine_gives_a_degree_of_latitude_and_a_quarter_meridian():
    assert haversine_m(10.0, 20.0, 11.0, 20.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    assert haversine_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 2, rel=1e-12)
    assert haversine_m(0.0, 179.5, 0.0, -179.5) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-9)


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-90, 90), st.floats(-180, 180))
def test_haversine_is_symmetric_and_never_negative(lat1, lng1, lat2, lng2):
    d = haversine_m(lat1, lng1, lat2, lng2)

    assert d == pytest.approx(haversine_m(lat2, lng2, lat1, lng1), abs=1e-6)
    assert 0.0 <= d <= math.pi * EARTH_RADIUS_M + 1e-6


@pytest.mark.parametrize("lat, lng, code", [(90.1, 0.0, "LAT_OUT_OF_RANGE"), (float("nan"), 0.0, "LAT_OUT_OF_RANGE"),
                                            (0.0, -180.5, "LNG_OUT_OF_RANGE")])
def test_coordinates_out_of_range_are_refused_with_their_own_code(lat, lng, code):
    with pytest.raises(InvalidInput) as err:
        check_lat_lng(lat, lng)

    assert err.value.code == code
