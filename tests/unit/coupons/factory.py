"""Coupon templates, drivers and orders for the coupon tests (unit on moto, integration on
DynamoDB Local, the bench): each with its own unique ids."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from chalicelib.domain.marketing import coupons as rules
from chalicelib.domain.marketing.coupons import AMOUNT_OFF, CouponTemplate
from chalicelib.domain.orders.orders import PAID, WECHATPAY, Order
from chalicelib.store.marketing import coupon_claims, coupon_templates
from chalicelib.store.orders.orders import to_model

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def make_template(kind: str = AMOUNT_OFF, *, now: datetime = NOW, put: bool = True,
                  created_by: str = "s_hq", **overrides) -> CouponTemplate:
    """A template claimable from a day before `now` to ten days after; stored unless put=False."""
    figures = {"amount_off_fen": 1_000, "min_spend_fen": 20_000} if kind == AMOUNT_OFF \
        else {"per_litre_off_fen": 30}
    args = {"id": f"ct_{uuid.uuid4().hex[:20]}", "kind": kind, "title": "满200减10",
            "starts_at": now - DAY, "ends_at": now + 10 * DAY, "total_stock": 100,
            **figures, **overrides}
    template = CouponTemplate(**args)
    if put:
        coupon_templates.put_template(template, created_by, now - DAY)
    return template


def new_coupon(template: CouponTemplate, user_id: str, now: datetime = NOW):
    return rules.claim(template, coupon_id=f"cp_{uuid.uuid4().hex[:20]}", user_id=user_id, now=now)


def claimed(template: CouponTemplate, user_id: str | None = None, now: datetime = NOW):
    """A coupon of `template` claimed through the store by `user_id` (a new user by default)."""
    coupon = new_coupon(template, user_id or new_user_id(), now)
    return coupon_claims.claim(template, coupon.user_id, coupon, now)


def new_user_id() -> str:
    return f"u_{uuid.uuid4().hex}"


def paid_order(user_id: str, *, pay_fen: int = 19_000, refunded_fen: int = 0,
               paid: bool = True, now: datetime = NOW) -> Order:
    """An order row as the order code would store it (only what the coupon figures read)."""
    order = make_order(user_id, pay_fen=pay_fen, refunded_fen=refunded_fen, paid=paid, now=now)
    to_model(order).save()
    return order


def make_order(user_id: str, *, pay_fen: int = 19_000, refunded_fen: int = 0,
               paid: bool = True, now: datetime = NOW) -> Order:
    return Order(id=f"FO{uuid.uuid4().hex[:24].upper()}", user_id=user_id, openid="o",
                 station_id="ty-001", station_name="站", grade="92", nozzle_no=1,
                 price_fen=700, list_price_fen=718, pump_amount_fen=pay_fen + 1_000,
                 discount_fen=1_000, pay_amount_fen=pay_fen, liters_ml=27_855,
                 pay_method=WECHATPAY, description="92#汽油", request_hash="h",
                 created_at=now, expires_at=now + timedelta(minutes=15),
                 status=PAID if paid else "PENDING_PAYMENT", paid_at=now if paid else None,
                 refunded_fen=refunded_fen,refund_reserved_fen=refunded_fen)


