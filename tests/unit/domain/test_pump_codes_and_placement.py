"""Pump-code scenes and the distance check at ordering, as pure rules."""
from __future__ import annotations

import pytest

from chalicelib.domain.orders.placement import (
    FAR_CONFIRMED, NEAR, NO_LOCATION, PUMP_CODE, FarFromStation, check_place, to_gcj02)
from chalicelib.domain.stations.pump_codes import is_valid_scene, parse_scene, scene_for


def test_a_scene_names_its_station_and_nozzle_and_fits_wechats_limit():
    scene = scene_for("ty-001", 12)

    assert scene == "1.12.ty-001" and is_valid_scene(scene)
    assert parse_scene(scene) == ("ty-001", 12)


@pytest.mark.parametrize("scene", ["", "2.1.ty-001", "1.0.ty-001", "1.1.", "1.1.a/b",
                                   "1.1." + "x" * 29, "ty-001", None])
def test_anything_we_never_printed_resolves_to_nothing(scene):
    assert parse_scene(scene) is None


def test_a_station_id_too_long_for_32_characters_gets_no_scene():
    assert scene_for("s" * 27, 1) is None


def test_wechats_scene_charset_is_enforced():
    assert is_valid_scene("a!#$&'()*+,/:;=?@-._~9")
    assert not is_valid_scene("中文") and not is_valid_scene("a%20b") and not is_valid_scene("x" * 33)


def test_far_without_confirmation_is_refused_with_the_figures():
    with pytest.raises(FarFromStation) as refused:
        check_place(2000, max_m=500, confirm_far=False, from_pump_code=False,
                    nearest=lambda: {"id": "ty-003"})

    assert refused.value.code == "FAR_FROM_STATION"
    assert refused.value.details == {"distance_m": 2000, "max_distance_m": 500,
                                     "nearest_station": {"id": "ty-003"}}


@pytest.mark.parametrize("distance, confirm, pump, expected", [
    (2000, True, False, FAR_CONFIRMED), (500, False, False, NEAR), (None, False, False, NO_LOCATION),
    (9000, False, True, PUMP_CODE)])
def test_how_the_place_is_recorded(distance, confirm, pump, expected):
    assert check_place(distance, max_m=500, confirm_far=confirm, from_pump_code=pump).check == expected


def test_wgs84_is_brought_to_gcj02_like_nearby_search():
    lat, lng = to_gcj02(37.8462, 112.5845, "wgs84")

    assert (lat, lng) != (37.8462, 112.5845) and abs(lat - 37.8462) < 0.01
