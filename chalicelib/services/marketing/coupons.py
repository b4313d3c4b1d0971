"""The coupon centre for drivers: what they can claim now, claiming one, the coupons they hold.

A claim costs one TransactWrite when the template's definition is cached (it never changes after
creation; status, window and stock are conditions of the transaction itself, so a stale copy can
never let a claim through that should fail), plus one read when it is not.
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.marketing import coupons as rules
from chalicelib.domain.marketing.coupons import PUBLIC, CouponTemplate
from chalicelib.domain.marketing.listings import HeldCoupon, Offer
from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.settings import get_settings
from chalicelib.store.marketing import coupon_claims
from chalicelib.store.marketing import coupons as store
from chalicelib.store.marketing import coupon_templates
from chalicelib.store.marketing.coupon_templates import ACTIVE

STATUSES = (rules.USABLE, rules.USED, rules.EXPIRED)
_CACHE_MAX = 1000
_definitions: dict[str, tuple[float, CouponTemplate]] = {}
_REFUSALS = {  # store refusal -> (code, words); codes shared with domain coupons.check_claim
    coupon_claims.SOLD_OUT: ("COUPON_OUT_OF_STOCK", "all these coupons have been claimed"),
    coupon_claims.CLAIM_LIMIT_REACHED: ("COUPON_LIMIT_REACHED", "you have claimed all you may"),
    coupon_claims.TEMPLATE_NOT_ACTIVE: ("TEMPLATE_NOT_ACTIVE", "this coupon is not on offer now"),
    coupon_claims.NOT_STARTED: ("COUPON_NOT_STARTED", "this coupon cannot be claimed yet"),
    coupon_claims.ENDED: ("COUPON_EXPIRED", "this coupon can no longer be claimed"),
}
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$")
_COUPON_ID = re.compile(r"^cp_[0-9a-f]{20,24}$")


def plausible_id(key: str) -> bool:
    """An id worth looking up: anything else (empty, long, control characters) cannot exist."""
    return 0 < len(key) <= 64 and key.isprintable()


def coupon_center(user_id: str, now: datetime | None = None) -> dict:
    """{"items": offers}: templates `user_id` can claim now, each with how many more they may
    claim (one index query and one batch read of their claim counters)."""
    now = now or times.now()
    templates = coupon_templates.list_claimable_templates(now)
    claimed = store.claimed_counts(user_id, [t.id for t in templates]) if templates else {}
    offers = [Offer(t, t.per_user_limit - claimed.get(t.id, 0)) for t in templates]
    return {"items": [offer for offer in offers if offer.you_may_claim > 0]}


def _template_for_claim(template_id: str) -> CouponTemplate:
    cached = _definitions.get(template_id)
    if cached is not None and time.monotonic() - cached[0] < get_settings().coupon_template_cache_s:
        return cached[1]
    stored = coupon_templates.get_template(template_id) if plausible_id(template_id) else None
    # A campaign-only template is not on offer to anyone who asks: answered like an unknown id.
    if stored is None or stored.template.audience != PUBLIC:
        raise NotFound(f"no coupon template {template_id}", code="TEMPLATE_NOT_FOUND",
                       field="template_id")
    if stored.status != ACTIVE:
        raise RuleViolation("this coupon is not on offer now", code="TEMPLATE_NOT_ACTIVE",
                            field="template_id")
    if len(_definitions) >= _CACHE_MAX:
        _definitions.clear()
    _definitions[template_id] = (time.monotonic(), stored.template)
    return stored.template


def _remember(template: CouponTemplate, reason: str) -> None:
    """What a refusal teaches the cache: stock never comes back (issued only grows), so a sold
    out template is refused here from now on without a round trip; a template found not active
    is read afresh next time (it may be resumed)."""
    if reason == coupon_claims.SOLD_OUT and template.id in _definitions:
        _definitions[template.id] = (_definitions[template.id][0],
                                     replace(template, issued=template.total_stock))
    elif reason == coupon_claims.TEMPLATE_NOT_ACTIVE:
        _definitions.pop(template.id, None)


def refusal(reason: str) -> RuleViolation:
    code, words = _REFUSALS[reason]
    return RuleViolation(words, code=code, field="template_id")


def claim_coupon(user_id: str, template_id: str, now: datetime | None = None) -> HeldCoupon:
    """Claim one coupon of the template for `user_id`; the coupon claimed, or a coded refusal."""
    now = (now or times.now()).replace(microsecond=0)
    template = _template_for_claim(template_id)
    rules.check_claim(template, 0, now)  # window and (a never-too-high copy of) stock
    coupon = rules.claim(template, coupon_id=f"cp_{uuid.uuid4().hex[:20]}", user_id=user_id,
                         now=now)
    try:
        coupon_claims.claim(template, user_id, coupon, now)
    except coupon_claims.ClaimRefused as refused:
        _remember(template, refused.reason)
        if refused.reason == coupon_claims.DUPLICATE:
            raise Conflict("please try again", code="COUPON_BUSY") from refused
        raise refusal(refused.reason) from refused
    except coupon_claims.ClaimBusy as busy:
        raise Conflict("many drivers are claiming this coupon right now; try again",
                       code="COUPON_BUSY") from busy
    get_logger().info("coupon claimed", extra={"template_id": template_id, "coupon_id": coupon.id})
    return HeldCoupon(coupon, now)


def _position(cursor: str | None) -> dict | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    coupon_id, claimed_at = position.get("coupon_id"), position.get("claimed_at")
    if not (isinstance(coupon_id, str) and _COUPON_ID.match(coupon_id)
            and isinstance(claimed_at, str) and _TIME.match(claimed_at)):
        raise InvalidInput("the cursor is not one this API gave out", code="INVALID_CURSOR",
                           field="cursor")
    return {"coupon_id": coupon_id, "claimed_at": claimed_at}


def list_coupons(user_id: str, status: str | None, limit: int, cursor: str | None,
                 now: datetime | None = None) -> dict:
    """{"items", "next_cursor"}: the driver's coupons newest first, optionally only those
    usable, used or expired now."""
    now = now or times.now()
    if status is not None and status not in STATUSES:
        raise InvalidInput("status must be usable, used or expired", code="STATUS_INVALID",
                           field="status")
    coupons, following = store.list_user_coupons(user_id, status, now, limit, _position(cursor))
    return {"items": [HeldCoupon(c, now) for c in coupons],
            "next_cursor": encode_cursor(following) if following else None}


def clear_cache() -> None:
    _definitions.clear()
