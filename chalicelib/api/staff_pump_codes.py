"""Printable pump codes of a station (manager of the station, or hq)."""
from __future__ import annotations

import msgspec
from chalice import Blueprint

from chalicelib.api.http import current_staff, route

bp = Blueprint(__name__)


class PumpCode(msgspec.Struct):
    nozzle_no: int
    grade: str
    scene: str
    download_url: str | None  # a PNG, valid 15 minutes; null until the code has been made


class PumpCodes(msgspec.Struct):
    station_id: str
    station_name: str
    page: str  # the mini-program page the codes open
    items: list[PumpCode]


_ERRORS = {403: ("ROLE_NOT_ALLOWED", "STATION_NOT_YOURS"), 404: ("STATION_NOT_FOUND",),
           422: ("SCENE_UNAVAILABLE",)}


@route(bp, "/v1/staff/stations/{station_id}/pump-codes", methods=["POST"], auth="staff",
       ok=PumpCodes, summary="Make the mini-program code of every nozzle (WeChat "
                             "wxacode.getUnlimited) and keep the PNGs for printing",
       errors={**_ERRORS, 503: ("WECHAT_CODE_REJECTED", "WECHAT_UNAVAILABLE")})
def generate_pump_codes(station_id: str):
    from chalicelib.services.stations import pump_codes

    return pump_codes.generate_codes(current_staff(bp.current_request), station_id)


@route(bp, "/v1/staff/stations/{station_id}/pump-codes", methods=["GET"], auth="staff",
       ok=PumpCodes, summary="The station's pump codes, a download link per nozzle",
       errors=_ERRORS)
def list_pump_codes(station_id: str):
    from chalicelib.services.stations import pump_codes

    return pump_codes.list_codes(current_staff(bp.current_request), station_id)
