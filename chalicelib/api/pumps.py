"""Scanning a pump: the scene of a mini-program code resolved to station, nozzle and price."""
from __future__ import annotations

import msgspec
from chalice import Blueprint

from chalicelib.domain import times
from chalicelib.api.http import optional_driver, route
from chalicelib.api.shapes import converted
from chalicelib.api.stations import GradeOffer

bp = Blueprint(__name__)


class PumpView(msgspec.Struct):
    scene: str
    station_id: str
    station_name: str
    payee: str  # the company the driver pays
    address: str
    open_now: bool
    nozzle_no: int
    grade: str
    grade_name: str
    price: GradeOffer  # today's price of the nozzle's grade, as the order will charge it


@route(bp, "/v1/pumps/{scene}", methods=["GET"], auth="driver_optional", ok=PumpView,
       summary="What a scanned pump code names: station, payee, nozzle, grade and today's price "
               "(no token needed; with one, the driver's member price)",
       errors={404: ("PUMP_NOT_FOUND", "NOZZLE_REMOVED")},
       # What we print (domain/stations/pump_codes.py); anything else is simply not found.
       path_schemas={"scene": {"type": "string", "pattern": "^[0-9A-Za-z._-]{1,32}$"}})
def resolve_pump(scene: str):
    from chalicelib.api.stations import _member_level
    from chalicelib.services.stations import pump_codes

    level = _member_level(optional_driver(bp.current_request))
    return converted(pump_codes.resolve(scene, member_level=level, now=times.now()), PumpView)
