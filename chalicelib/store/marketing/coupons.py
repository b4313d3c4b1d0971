"""Coupons drivers hold (`fuel-<stage>-coupons`), claim counters (`fuel-<stage>-coupon-claims`).

A claim is ONE TransactWrite of three items (store/marketing/coupon_claims.py builds it): the template's
`issued` raised on condition ACTIVE, window open and issued < total_stock; the (template, user)
counter raised on condition claimed < per_user_limit; and the coupon put on condition it does not
exist. Nothing is read first, so no lost update and no overselling under any concurrency.

An order spends a coupon inside the order's own transaction: `stage_use` adds the coupon's update
to the caller's TransactWrite (owned by that user, unused, valid now), `stage_release` gives it
back (only if that very order holds it). A coupon can therefore pay at most one order, ever at once.

Indexes: `by-user` (user_id, claimed_at) lists a driver's coupons newest first;
`used-by-template` (template_id, used_order_id) is sparse: only coupons an order holds.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (NumberAttribute, UnicodeAttribute, UnicodeSetAttribute,
                                 UTCDateTimeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.domain import times
from chalicelib.domain.marketing.coupons import EXPIRED, USABLE, USED, Coupon
from chalicelib.store.base import StageModel


class _ByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    claimed_at = UTCDateTimeAttribute(range_key=True)


class _UsedByTemplate(GlobalSecondaryIndex):
    class Meta:
        index_name = "used-by-template"
        projection = KeysOnlyProjection()

    template_id = UnicodeAttribute(hash_key=True)
    used_order_id = UnicodeAttribute(range_key=True)


class CouponModel(StageModel):
    logical_name = "coupons"

    class Meta:
        pass

    coupon_id = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    amount_off_fen = NumberAttribute(default=0)
    per_litre_off_fen = NumberAttribute(default=0)
    min_spend_fen = NumberAttribute(default=0)
    station_ids = UnicodeSetAttribute(null=True)
    grades = UnicodeSetAttribute(null=True)
    valid_from = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    claimed_at = UTCDateTimeAttribute()
    campaign_id = UnicodeAttribute(null=True)
    used_order_id = UnicodeAttribute(null=True)
    used_at = UTCDateTimeAttribute(null=True)

    by_user = _ByUser()
    used_by_template = _UsedByTemplate()


class ClaimCounterModel(StageModel):
    """How many coupons of a template one driver has claimed (never lowered by a release)."""
    logical_name = "coupon-claims"

    class Meta:
        pass

    template_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    claimed = NumberAttribute(default=0)


def to_model(c: Coupon, claimed_at: datetime, campaign_id: str | None = None) -> CouponModel:
    return CouponModel(
        c.id, template_id=c.template_id, user_id=c.user_id, kind=c.kind, title=c.title,
        amount_off_fen=c.amount_off_fen, per_litre_off_fen=c.per_litre_off_fen,
        min_spend_fen=c.min_spend_fen, station_ids=set(c.station_ids) if c.station_ids else None,
        grades=set(c.grades) if c.grades else None, valid_from=c.valid_from,
        valid_until=c.valid_until, claimed_at=claimed_at, campaign_id=campaign_id,
        used_order_id=c.used_order_id)


def to_coupon(m: CouponModel) -> Coupon:
    return Coupon(
        id=m.coupon_id, template_id=m.template_id, user_id=m.user_id, kind=m.kind, title=m.title,
        amount_off_fen=int(m.amount_off_fen or 0), per_litre_off_fen=int(m.per_litre_off_fen or 0),
        min_spend_fen=int(m.min_spend_fen or 0),
        station_ids=frozenset(m.station_ids) if m.station_ids else None,
        grades=frozenset(m.grades) if m.grades else None, valid_from=m.valid_from,
        valid_until=m.valid_until, used_order_id=m.used_order_id)


def get_coupon(coupon_id: str) -> Coupon | None:
    """The coupon as stored now (strongly consistent read), whoever holds it; None if no such id.

    Callers check ownership themselves (domain coupons.coupon_discount refuses another user's
    coupon as COUPON_NOT_YOURS)."""
    return CouponModel.get_or_none(coupon_id, to_coupon)


def read(coupon_id: str):
    """A batch read (store/batch.py) of the coupon: get_coupon's answer."""
    from chalicelib.store.batch import Read

    return Read(CouponModel, coupon_id, lambda model: None if model is None else to_coupon(model))


def claimed_counts(user_id: str, template_ids: list[str]) -> dict[str, int]:
    """How many of each template `user_id` has claimed (one BatchGetItem per 100 templates)."""
    keys = [(tid, user_id) for tid in dict.fromkeys(template_ids)]
    return {m.template_id: int(m.claimed or 0) for m in ClaimCounterModel.batch_get(keys)}


def _status_filter(status: str | None, now: datetime):
    M = CouponModel
    if status == USED:
        return M.used_order_id.exists()
    if status == USABLE:
        return M.used_order_id.does_not_exist() & (M.valid_until > now)
    if status == EXPIRED:
        return M.used_order_id.does_not_exist() & (M.valid_until <= now)
    return None


def list_user_coupons(user_id: str, status: str | None, now: datetime, limit: int,
                      position: dict | None = None) -> tuple[list[Coupon], dict | None]:
    """A driver's coupons newest first, optionally only those usable, used or expired at `now`.

    `position` is what the previous page returned ({coupon_id, claimed_at}); the filter runs in
    DynamoDB, and a page stops at `limit` matches, so the next page resumes right after the last
    coupon returned.
    """
    start = None
    if position:
        start = {"coupon_id": {"S": position["coupon_id"]}, "user_id": {"S": user_id},
                 "claimed_at": {"S": position["claimed_at"]}}
    results = CouponModel.by_user.query(
        user_id, scan_index_forward=False, limit=limit, page_size=max(limit, 25),
        filter_condition=_status_filter(status, now), last_evaluated_key=start)
    coupons = [to_coupon(m) for m in results]
    last = results.last_evaluated_key
    following = {"coupon_id": last["coupon_id"]["S"], "claimed_at": last["claimed_at"]["S"]} \
        if last else None
    return coupons, following


def stage_use(tx: TransactWrite, coupon: Coupon, order_id: str, *,
              now: datetime | None = None) -> None:
    """Add to the caller's transaction: `coupon` is now used by `order_id`.

    Condition: the stored coupon belongs to coupon.user_id, is unused, and is valid at `now`
    (valid_from <= now < valid_until). If it fails, the whole transaction is cancelled with a
    ConditionalCheckFailed reason for this item (its old image is returned, ALL_OLD), so two
    orders racing for one coupon can never both commit.
    """
    M, at = CouponModel, now or times.now()
    tx.update(M(coupon.id), actions=[M.used_order_id.set(order_id), M.used_at.set(at)],
              condition=(M.user_id == coupon.user_id) & M.used_order_id.does_not_exist()
              & (M.valid_from <= at) & (M.valid_until > at),
              return_values="ALL_OLD")


def stage_release(tx: TransactWrite, coupon_id: str, order_id: str) -> None:
    """Add to the caller's transaction: give the coupon back (the order closed unpaid or was
    fully refunded). Condition: `order_id` is the order holding it, so a release can never free
    a coupon another order holds, and releasing twice cancels the second transaction."""
    M = CouponModel
    tx.update(M(coupon_id), actions=[M.used_order_id.remove(), M.used_at.remove()],
              condition=M.used_order_id == order_id, return_values="ALL_OLD")
