"""Pump codes: make the printable mini-program code of each nozzle, list them for download, and
resolve a scanned scene to the station, nozzle, grade and today's price.

Making a code asks WeChat (wxacode.getUnlimited) and keeps the PNG in the pump-code bucket under
`<station>/<scene>.png`; the list hands out short-lived download links. Resolving is public and
reads only what the station page shows anyway (docs/decisions.md, 2026-12-06).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import Forbidden, NotFound, RuleViolation
from chalicelib.domain.identity.roles import MANAGERS
from chalicelib.domain.stations.pump_codes import CODE_WIDTH_PX, PAGE, parse_scene, scene_for
from chalicelib.domain.stations.stations import GRADE_NAMES, Station

CODE_ROLES = MANAGERS
DOWNLOAD_TTL_S = 15 * 60


def _key(station_id: str, scene: str) -> str:
    return f"{station_id}/{scene}.png"


def _own_station(staff, station_id: str) -> Station:
    from chalicelib.store.stations import stations as station_store

    if staff.role not in CODE_ROLES:
        raise Forbidden("only a manager or hq can make pump codes", code="ROLE_NOT_ALLOWED")
    if not staff.can_act_on_station(station_id):
        raise Forbidden("the station is not one of yours", code="STATION_NOT_YOURS")
    station = station_store.read_station(station_id) if 0 < len(station_id) <= 64 else None
    if station is None:
        raise NotFound("the station does not exist", code="STATION_NOT_FOUND")
    return station


def _scenes(station: Station) -> list[tuple[int, str, str]]:
    """(nozzle, grade, scene) of every nozzle; a station id too long for a scene is refused."""
    rows = []
    for nozzle in sorted(station.nozzles, key=lambda n: n.no):
        scene = scene_for(station.id, nozzle.no)
        if scene is None:
            raise RuleViolation("this station's id does not fit in a pump code",
                                code="SCENE_UNAVAILABLE")
        rows.append((nozzle.no, nozzle.grade, scene))
    return rows


def _listing(station: Station, rows, made: set[int]) -> dict:
    from chalicelib.providers import storage

    items = []
    for no, grade, scene in rows:
        key = _key(station.id, scene)
        ready = no in made or storage.pump_code_exists(key)
        items.append({"nozzle_no": no, "grade": grade, "scene": scene,
                      "download_url": storage.presigned_pump_code(key, DOWNLOAD_TTL_S)
                      if ready else None})
    return {"station_id": station.id, "station_name": station.name, "page": PAGE,
            "items": items}


def generate_codes(staff, station_id: str) -> dict:
    """A code for every nozzle of the station (made again: the same scene, the same code)."""
    from chalicelib.providers import storage
    from chalicelib.providers.wechat import get_wechat

    station = _own_station(staff, station_id)
    rows = _scenes(station)
    for no, _, scene in rows:
        png = get_wechat().get_unlimited_code(scene, PAGE, width=CODE_WIDTH_PX)
        storage.put_pump_code(_key(station.id, scene), png, f"{station.id}-{no}.png")
    return _listing(station, rows, {no for no, _, _ in rows})


def list_codes(staff, station_id: str) -> dict:
    station = _own_station(staff, station_id)
    return _listing(station, _scenes(station), set())


def resolve(scene: str, *, member_level: str | None, now: datetime) -> dict:
    """What a scanned code names, priced as the order will be; 404 for a code we never made or
    whose nozzle is gone."""
    from chalicelib.services.stations.search import station_detail

    place = parse_scene(scene)
    if place is None:
        raise NotFound("this code is not one of our pump codes", code="PUMP_NOT_FOUND")
    station_id, nozzle_no = place
    try:
        listing = station_detail(station_id, member_level=member_level, now=now)
    except NotFound:
        raise NotFound("the station of this code no longer exists",
                       code="PUMP_NOT_FOUND") from None
    nozzle = listing.station.nozzle(nozzle_no)
    if nozzle is None:
        raise NotFound("this nozzle is no longer at the station; ask the staff",
                       code="NOZZLE_REMOVED")
    return {"scene": scene, "station_id": listing.id, "station_name": listing.name,
            "payee": listing.payee, "address": listing.address, "open_now": listing.open_now,
            "nozzle_no": nozzle_no, "grade": nozzle.grade,
            "grade_name": GRADE_NAMES.get(nozzle.grade, nozzle.grade),
            "price": listing.grade(nozzle.grade)}
