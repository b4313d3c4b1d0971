"""A driver's price-drop alerts: follow a station and grade, list, unfollow."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint, Response

from chalicelib.api.http import current_driver, route
from chalicelib.api.shapes import shaped
from chalicelib.api.stations import doc_only
from chalicelib.domain.notifications.price_alerts import MAX_ALERTS_PER_USER
from chalicelib.domain.stations.prices import MAX_PRICE_FEN, MIN_PRICE_FEN
from chalicelib.domain.stations.stations import GRADE_NAMES

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


class AlertIn(msgspec.Struct, forbid_unknown_fields=True):
    """Without below_price_fen: any drop of the pump price alerts. With it: the price falling
    below it (from at or above it) alerts. The same station and grade again changes the
    threshold of the existing alert."""
    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    grade: Annotated[str, doc_only(enum=list(GRADE_NAMES))]
    below_price_fen: Annotated[int, doc_only(minimum=MIN_PRICE_FEN, maximum=MAX_PRICE_FEN)] | None = None


class AlertOut(msgspec.Struct, omit_defaults=True):
    station_id: str
    station_name: str
    grade: str
    grade_name: str
    below_price_fen: int | None
    created_at: str
    updated_at: str
    created: bool | None = None  # POST only: false when an existing alert was updated


class AlertPage(msgspec.Struct):
    items: list[AlertOut]
    next_cursor: str | None  # always null: every alert fits one page


@route(bp, "/v1/alerts", methods=["POST"], auth="driver", body=AlertIn, ok=AlertOut,
       summary=f"Follow a station's grade for price drops (at most {MAX_ALERTS_PER_USER} alerts)",
       errors={400: ("UNKNOWN_GRADE", "ALERT_THRESHOLD_INVALID"), 404: ("STATION_NOT_FOUND",),
               409: ("ALERTS_BUSY",), 422: ("GRADE_NOT_SOLD", "ALERT_LIMIT_REACHED")})
def create_alert(body: AlertIn):
    from chalicelib.services.notifications import price_alerts as alerts

    driver = current_driver(bp.current_request)
    return shaped(alerts.create_alert(driver.subject, body.station_id, body.grade,
                                      body.below_price_fen), AlertOut)


@route(bp, "/v1/alerts", methods=["GET"], auth="driver", ok=AlertPage,
       summary="The driver's price-drop alerts")
def list_alerts():
    from chalicelib.services.notifications import price_alerts as alerts

    return shaped(alerts.list_alerts(current_driver(bp.current_request).subject), AlertPage)


@route(bp, "/v1/alerts/{station_id}/{grade}", methods=["DELETE"], auth="driver", status=204,
       errors={404: ("ALERT_NOT_FOUND",), 409: ("ALERTS_BUSY",)},
       summary="Stop following a station's grade")
def delete_alert(station_id: str, grade: str):
    from chalicelib.services.notifications import price_alerts as alerts

    alerts.delete_alert(current_driver(bp.current_request).subject, station_id, grade)
    return Response(body="", status_code=204)
