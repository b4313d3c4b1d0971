"""The driver's coupon centre: what can be claimed now, claiming, and the coupons held."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import literal_of, one_of
from chalicelib.api.http import created, current_driver, route
from chalicelib.api.shapes import shaped
from chalicelib.domain.marketing.states import CouponKind, CouponStatus

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

# A next_cursor is opaque (domain/cursors.py encode_cursor); the service checks what it holds.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,400}$"


class ClaimIn(msgspec.Struct, forbid_unknown_fields=True):
    template_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class CouponListQuery(msgspec.Struct, forbid_unknown_fields=True):
    """Without status: every coupon held, newest first. A page may hold fewer than `limit`
    coupons while `next_cursor` is not null."""
    status: literal_of(CouponStatus) | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, msgspec.Meta(pattern=CURSOR_PATTERN)] | None = None


class CouponOffer(msgspec.Struct):
    """A template on offer: station_ids / grades null mean every station / grade. Coupons are
    valid until valid_until (a fixed end) or for valid_days from the claim."""
    template_id: str
    kind: one_of(CouponKind)  # amount_off (满减) or per_litre_off (每升减)
    title: str
    description: str
    amount_off_fen: int
    per_litre_off_fen: int
    min_spend_fen: int  # on the pump amount, before any discount
    station_ids: list[str] | None
    grades: list[str] | None
    claim_ends_at: str
    valid_days: int | None
    valid_until: str | None
    stock_left: int
    per_user_limit: int
    you_may_claim: int  # how many more this driver may claim


class CouponCenter(msgspec.Struct):
    items: list[CouponOffer]


class CouponView(msgspec.Struct):
    id: str
    template_id: str
    kind: one_of(CouponKind)
    title: str
    description: str
    amount_off_fen: int
    per_litre_off_fen: int
    min_spend_fen: int
    station_ids: list[str] | None
    grades: list[str] | None
    valid_from: str
    valid_until: str  # exclusive
    status: one_of(CouponStatus)
    used_order_id: str | None = None


class CouponPage(msgspec.Struct):
    items: list[CouponView]
    next_cursor: str | None = None


@route(bp, "/v1/coupons/center", methods=["GET"], auth="driver", ok=CouponCenter,
       summary="Coupon templates the driver can claim now, ending soonest first")
def coupon_center():
    from chalicelib.services.marketing import coupons

    return shaped(coupons.coupon_center(current_driver(bp.current_request).subject), CouponCenter)


@route(bp, "/v1/coupons/claim", methods=["POST"], auth="driver", body=ClaimIn, ok=CouponView,
       status=201, summary="Claim one coupon of a template",
       errors={404: ("TEMPLATE_NOT_FOUND",), 409: ("COUPON_BUSY",),
               422: ("TEMPLATE_NOT_ACTIVE", "COUPON_NOT_STARTED", "COUPON_EXPIRED",
                     "COUPON_OUT_OF_STOCK", "COUPON_LIMIT_REACHED")})
def claim_coupon(body: ClaimIn):
    from chalicelib.services.marketing import coupons

    driver = current_driver(bp.current_request)
    return created(shaped(coupons.claim_coupon(driver.subject, body.template_id), CouponView))


@route(bp, "/v1/coupons", methods=["GET"], auth="driver", query=CouponListQuery, ok=CouponPage,
       errors={400: ("INVALID_CURSOR",)}, summary="The driver's coupons, newest first")
def list_coupons(query: CouponListQuery):
    from chalicelib.services.marketing import coupons

    driver = current_driver(bp.current_request)
    return shaped(coupons.list_coupons(driver.subject, query.status, query.limit, query.cursor),
                  CouponPage)
