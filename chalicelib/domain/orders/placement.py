"""Where the driver orders from: the check that keeps a driver from paying the station across
the road, as pure rules.

An order records how its place was checked (`place_check`):
  PUMP_CODE      ordered from a scanned pump code: the code is on the pump, proof of place
  NEAR           a location was given and is within the allowed distance
  FAR_CONFIRMED  a location was given, farther than allowed, and the driver confirmed
  NO_LOCATION    no location given: nothing to check
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import RuleViolation
from chalicelib.domain.stations.geo import check_lat_lng, haversine_m, wgs84_to_gcj02

PUMP_CODE, NEAR, FAR_CONFIRMED, NO_LOCATION = "PUMP_CODE", "NEAR", "FAR_CONFIRMED", "NO_LOCATION"
PLACE_CHECKS = (PUMP_CODE, NEAR, FAR_CONFIRMED, NO_LOCATION)
COORDS = ("gcj02", "wgs84")


@dataclass(frozen=True)
class Place:
    check: str
    distance_m: int | None = None  # from the driver to the station, when a location was given


class FarFromStation(RuleViolation):
    """The driver is farther from the chosen station than allowed and did not confirm (422).

    `details` reaches the caller: the distance, the limit, and the nearest station within it.
    """

    code = "FAR_FROM_STATION"

    def __init__(self, distance_m: int, max_m: int, nearest: dict | None):
        super().__init__(f"you are {distance_m} m from this station; confirm or pick the "
                         f"station you are at", field="location")
        self.details = {"distance_m": distance_m, "max_distance_m": max_m,
                        "nearest_station": nearest}


def to_gcj02(lat: float, lng: float, coord: str) -> tuple[float, float]:
    """The driver's point in GCJ-02 (stations are stored in it), as nearby search converts."""
    check_lat_lng(lat, lng)
    return wgs84_to_gcj02(lat, lng) if coord == "wgs84" else (lat, lng)


def distance_to(station_lat: float, station_lng: float, lat: float, lng: float) -> int:
    """Whole metres, rounded half up, between a station and a GCJ-02 point."""
    return int(haversine_m(station_lat, station_lng, lat, lng) + 0.5)


def check_place(distance_m: int | None, *, max_m: int, confirm_far: bool, from_pump_code: bool,
                nearest=lambda: None) -> Place:
    """How this order's place is recorded; raises FarFromStation when it must be confirmed.

    `nearest()` is asked only when the order is refused (it costs a search).
    """
    if from_pump_code:
        return Place(PUMP_CODE, distance_m)
    if distance_m is None:
        return Place(NO_LOCATION)
    if distance_m <= max_m:
        return Place(NEAR, distance_m)
    if confirm_far:
        return Place(FAR_CONFIRMED, distance_m)
    raise FarFromStation(distance_m, max_m, nearest())
