"""Coupon templates (what the coupon centre offers) and claimed coupons (what a driver holds).

Kinds: AMOUNT_OFF 满X减Y (amount_off_fen from min_spend_fen; min_spend_fen 0 = no threshold)
and PER_LITRE_OFF 每升减Y (per_litre_off_fen on the litres the pump amount buys, optionally from
min_spend_fen). The minimum spend is measured on the pump amount (gross), before any discount.
Scope: station_ids and grades, None = all. A template is claimable in [starts_at, ends_at);
its coupons are usable from the claim until ends_at, or for valid_days from the claim when set.
Validity is copied onto the coupon at claim time, so editing a template never changes a coupon
already held. Stock is total_stock coupons; the store enforces it with a conditional counter,
and check_claim only refuses what the counter it read already shows.

coupon_discount is THE check of a coupon against an order: the coupon list and pricing.quote
both call it, so a coupon the list shows as usable is never refused at payment. The order of
its checks fixes which code a driver sees when several apply: not theirs (404), used, not yet
valid, expired, out of scope, below the minimum spend.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.errors import InvalidInput, NotFound, RuleViolation
from chalicelib.domain.marketing.states import Audience, CouponKind, CouponStatus
from chalicelib.domain.money import FEN_PER_YUAN, ML_PER_LITRE, div_round_half_up, yuan_text

AMOUNT_OFF, PER_LITRE_OFF = tuple(CouponKind)
PUBLIC, CAMPAIGN = tuple(Audience)  # who may claim a template
AUDIENCES = tuple(Audience)
USABLE, USED, EXPIRED = tuple(CouponStatus)
MAX_PER_LITRE_OFF_FEN = 2999  # below prices.MAX_PRICE_FEN: more is a typo, not a coupon
# What one template may ask for (the API schema states the same bounds).
MAX_STATIONS = 500
MAX_STOCK, MAX_PER_USER, MAX_VALID_DAYS, MAX_FIGURE_FEN = 10_000_000, 100, 3650, 10_000_000
MAX_CAMPAIGN_USERS = 1000  # drivers one campaign grants to


@dataclass(frozen=True)
class CouponTemplate:
    id: str
    kind: str
    title: str
    starts_at: datetime  # claims open (UTC aware, inclusive)
    ends_at: datetime  # claims close (exclusive); the end of use too unless valid_days is set
    total_stock: int
    per_user_limit: int = 1
    amount_off_fen: int = 0
    per_litre_off_fen: int = 0
    min_spend_fen: int = 0
    station_ids: frozenset[str] | None = None
    grades: frozenset[str] | None = None
    valid_days: int | None = None
    issued: int = 0  # coupons claimed so far, as the store read it
    # Who may claim: PUBLIC in the coupon centre, or CAMPAIGN (only handed out by a campaign).
    audience: str = "public"

    def __post_init__(self) -> None:
        for name in ("station_ids", "grades"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, frozenset(getattr(self, name)))
        validate_template(self)


@dataclass(frozen=True)
class Coupon:
    id: str
    template_id: str
    user_id: str
    kind: str
    title: str
    amount_off_fen: int
    per_litre_off_fen: int
    min_spend_fen: int
    station_ids: frozenset[str] | None
    grades: frozenset[str] | None
    valid_from: datetime
    valid_until: datetime  # exclusive
    used_order_id: str | None = None


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _invalid(message: str, code: str, field: str | None = None) -> InvalidInput:
    return InvalidInput(message, code=code, field=field)


def validate_template(t: CouponTemplate) -> None:
    if t.kind not in tuple(CouponKind):
        raise _invalid(f"unknown coupon kind {t.kind!r}", "COUPON_KIND_UNKNOWN", "kind")
    if t.audience not in AUDIENCES:
        raise _invalid("audience must be public or campaign", "COUPON_AUDIENCE_UNKNOWN",
                       "audience")
    times = (t.starts_at, t.ends_at)
    if not all(isinstance(x, datetime) and x.utcoffset() is not None for x in times) or t.ends_at <= t.starts_at:
        raise _invalid("the window must end after it starts (aware UTC times)", "COUPON_WINDOW_INVALID", "ends_at")
    if t.valid_days is not None and not _whole(t.valid_days, 1):
        raise _invalid("valid_days must be a positive integer", "COUPON_VALIDITY_INVALID", "valid_days")
    if not (_whole(t.total_stock, 1) and _whole(t.per_user_limit, 1) and _whole(t.issued, 0)):
        raise _invalid("stock and per-user limit must be positive integers", "COUPON_STOCK_INVALID")
    for name in ("station_ids", "grades"):
        if getattr(t, name) == frozenset():
            raise _invalid(f"{name} must not be empty; leave it out to mean all", "COUPON_SCOPE_INVALID", name)
    off, per_litre, minimum = t.amount_off_fen, t.per_litre_off_fen, t.min_spend_fen
    if t.kind == AMOUNT_OFF:
        fits = _whole(off, 1) and per_litre == 0 and _whole(minimum, 0) and (minimum == 0 or minimum > off)
    else:
        fits = off == 0 and _whole(per_litre, 1) and per_litre <= MAX_PER_LITRE_OFF_FEN and _whole(minimum, 0)
    if not fits:
        raise _invalid(f"figures do not fit a {t.kind} coupon", "COUPON_FIGURE_INVALID")


def describe_coupon(c: CouponTemplate | Coupon) -> str:
    """Chinese words for the list, e.g. 满200元减20元, 无门槛减5元, 每升减0.30元（满100元可用）."""
    def yuan(fen: int) -> str:
        return str(fen // FEN_PER_YUAN) if fen % FEN_PER_YUAN == 0 else yuan_text(fen)
    if c.kind == AMOUNT_OFF:
        return f"满{yuan(c.min_spend_fen)}元减{yuan(c.amount_off_fen)}元" if c.min_spend_fen else \
            f"无门槛减{yuan(c.amount_off_fen)}元"
    words = f"每升减{yuan_text(c.per_litre_off_fen)}元"
    return f"{words}（满{yuan(c.min_spend_fen)}元可用）" if c.min_spend_fen else words


def check_claim(template: CouponTemplate, user_claims_count: int, now: datetime) -> None:
    """Raise the RuleViolation that refuses this claim now, if any."""
    if now < template.starts_at:
        raise RuleViolation("this coupon cannot be claimed yet", code="COUPON_NOT_STARTED", field="template_id")
    if now >= template.ends_at:
        raise RuleViolation("this coupon can no longer be claimed", code="COUPON_EXPIRED", field="template_id")
    if template.issued >= template.total_stock:
        raise RuleViolation("all these coupons have been claimed", code="COUPON_OUT_OF_STOCK", field="template_id")
    if user_claims_count >= template.per_user_limit:
        raise RuleViolation(f"at most {template.per_user_limit} per user", code="COUPON_LIMIT_REACHED",
                            field="template_id")


def claim(template: CouponTemplate, *, coupon_id: str, user_id: str, now: datetime) -> Coupon:
    """The coupon a driver holds after a claim that check_claim (and the store) accepted."""
    until = template.ends_at if template.valid_days is None else now + timedelta(days=template.valid_days)
    return Coupon(coupon_id, template.id, user_id, template.kind, template.title, template.amount_off_fen,
                  template.per_litre_off_fen, template.min_spend_fen, template.station_ids, template.grades,
                  valid_from=now, valid_until=until)


def coupon_status(coupon: Coupon, now: datetime) -> CouponStatus:
    if coupon.used_order_id is not None:
        return USED
    return USABLE if now < coupon.valid_until else EXPIRED


def use(coupon: Coupon, order_id: str) -> Coupon:
    return replace(coupon, used_order_id=order_id)


def coupon_discount(coupon: Coupon, *, station_id: str, grade: str, now: datetime, gross_fen: int,
                    liters_ml: int, user_id: str | None) -> int:
    """Fen the coupon alone takes off this order, or the error that refuses it."""
    def refuse(message: str, code: str) -> RuleViolation:
        return RuleViolation(message, code=code, field="coupon_id")
    if coupon.user_id != user_id:
        raise NotFound("no such coupon", code="COUPON_NOT_YOURS", field="coupon_id")
    if coupon.used_order_id is not None:
        raise refuse("this coupon has been used", "COUPON_USED")
    if now < coupon.valid_from:
        raise refuse("this coupon is not valid yet", "COUPON_NOT_STARTED")
    if now >= coupon.valid_until:
        raise refuse("this coupon has expired", "COUPON_EXPIRED")
    if (coupon.station_ids is not None and station_id not in coupon.station_ids) or \
            (coupon.grades is not None and grade not in coupon.grades):
        raise refuse("this coupon is not for this station or grade", "COUPON_OUT_OF_SCOPE")
    if gross_fen < coupon.min_spend_fen:
        raise refuse(f"this coupon needs a pump amount of at least {coupon.min_spend_fen} fen",
                     "COUPON_BELOW_MIN_SPEND")
    if coupon.kind == AMOUNT_OFF:
        return coupon.amount_off_fen
    return div_round_half_up(liters_ml * coupon.per_litre_off_fen, ML_PER_LITRE)
