"""Where an order is placed from: a scanned pump code, or the driver's location checked against
the chosen station (domain/orders/placement.py holds the rules, settings the distance)."""
from __future__ import annotations

from chalicelib.domain.errors import InvalidInput, RuleViolation
from chalicelib.domain.orders import placement
from chalicelib.domain.stations.pump_codes import parse_scene
from chalicelib.domain.stations.stations import Station
from chalicelib.settings import get_settings


def place_of(station: Station, nozzle_no: int, *, location: dict | None, confirm_far: bool,
             pump_scene: str | None) -> placement.Place:
    """How the order's place is recorded; raises FarFromStation or PUMP_SCENE_MISMATCH."""
    if pump_scene is not None and parse_scene(pump_scene) != (station.id, nozzle_no):
        raise RuleViolation("the scanned pump code names another station or nozzle",
                            code="PUMP_SCENE_MISMATCH", field="pump_scene")
    point = None if location is None else placement.to_gcj02(
        location["lat"], location["lng"], location.get("coord") or "gcj02")
    distance = None if point is None else placement.distance_to(station.lat, station.lng, *point)
    max_m = get_settings().order_far_distance_m
    return placement.check_place(distance, max_m=max_m, confirm_far=confirm_far,
                                 from_pump_code=pump_scene is not None,
                                 nearest=lambda: _nearest(point, station.id, max_m))


def _nearest(point: tuple[float, float], chosen: str, max_m: int) -> dict | None:
    """The nearest other station within `max_m` of the driver, the one they are likely at."""
    from chalicelib.domain.stations.nearby import nearby_request
    from chalicelib.services.stations.search import search_nearby

    try:
        page = search_nearby(nearby_request(*point, radius_m=max(1, max_m), limit=2))
    except InvalidInput:  # a point search cannot serve (near a pole): no suggestion, same refusal
        return None
    other = next((s for s in page["items"] if s.id != chosen), None)
    if other is None:
        return None
    return {"id": other.id, "name": other.name, "payee": other.payee,
            "distance_m": other.distance_m}
