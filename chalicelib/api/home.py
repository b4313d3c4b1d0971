"""The driver's home page: the popup and banners to show now, and the views and clicks on them.

A driver token is required: frequency caps and targeting (new user, member level, inactivity)
are about the user, and a cap must hold across the user's devices.
"""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint

from chalicelib.api.http import current_driver, route
from chalicelib.api.shapes import shaped
from chalicelib.api.stations import doc_only
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.geo import check_lat_lng, wgs84_to_gcj02

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


class HomeQuery(msgspec.Struct, forbid_unknown_fields=True):
    """lat and lng together (or neither): where the driver is, for popups aimed at people near
    a station or in a district."""
    lat: Annotated[float, doc_only(minimum=-90, maximum=90)] | None = None
    lng: Annotated[float, doc_only(minimum=-180, maximum=180)] | None = None
    coord: Literal["gcj02", "wgs84"] = "gcj02"


class PopupCard(msgspec.Struct):
    id: str
    placement: str  # popup or banner
    title: str
    image_url: str
    link: str | None  # mini-program page to open on tap
    ends_at: str


class HomeOut(msgspec.Struct):
    popup: PopupCard | None
    banners: list[PopupCard]


class ViewRecorded(msgspec.Struct):
    popup_id: str
    counted: bool  # false when this view's cap slot was already taken (another device)


@route(bp, "/v1/home", methods=["GET"], auth="driver", query=HomeQuery, ok=HomeOut,
       errors={400: ("POSITION_INCOMPLETE", "LAT_OUT_OF_RANGE", "LNG_OUT_OF_RANGE")},
       summary="The popup (at most one) and banners the home page shows this driver now")
def get_home(query: HomeQuery):
    from chalicelib.services.marketing import home

    driver = current_driver(bp.current_request)
    return shaped(home.home_for(driver.subject, _position(query)), HomeOut)


@route(bp, "/v1/home/popups/{popup_id}/seen", methods=["POST"], auth="driver", ok=ViewRecorded,
       errors={404: ("POPUP_NOT_FOUND",)},
       summary="Record that the driver saw a popup or banner (its frequency cap counts this)")
def popup_seen(popup_id: str):
    from chalicelib.services.marketing import home

    counted = home.record_seen(current_driver(bp.current_request).subject, popup_id)
    return msgspec.to_builtins(ViewRecorded(popup_id, counted))


@route(bp, "/v1/home/popups/{popup_id}/clicked", methods=["POST"], auth="driver",
       ok=ViewRecorded, errors={404: ("POPUP_NOT_FOUND",)},
       summary="Record that the driver tapped a popup or banner")
def popup_clicked(popup_id: str):
    from chalicelib.services.marketing import home

    counted = home.record_click(current_driver(bp.current_request).subject, popup_id)
    return msgspec.to_builtins(ViewRecorded(popup_id, counted))


def _position(query: HomeQuery) -> tuple[float, float] | None:
    if query.lat is None and query.lng is None:
        return None
    if query.lat is None or query.lng is None:
        raise InvalidInput("give lat and lng together", code="POSITION_INCOMPLETE",
                           field="lat" if query.lat is None else "lng")
    check_lat_lng(query.lat, query.lng)
    return wgs84_to_gcj02(query.lat, query.lng) if query.coord == "wgs84" else (query.lat, query.lng)
