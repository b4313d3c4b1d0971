"""The claim transaction: template counter, per-user counter and the coupon, all or nothing.

Items, in the order DynamoDB sees them (PynamoDB sends puts before updates, and cancellation
reasons come back one per item in that order):
  puts:    the coupon (attribute_not_exists), then any the caller adds (a campaign's outcome)
  updates: the template (ADD issued 1 if ACTIVE, in window, issued < total_stock, old image
           returned), the (template, user) counter (ADD claimed 1 if absent or < limit), then
           any the caller adds (a campaign's counters)
A cancelled transaction names the items whose condition failed; the template's old image tells
not active / window / sold out apart. TransactionConflict (another claim of the same template
in flight) is retried (store/retries.py). Each attempt carries its own ClientRequestToken (random:
a campaign's redelivered grant has the same coupon id but other times), so botocore's own retry
of a timed-out attempt can never apply it twice.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.marketing.coupons import Coupon, CouponTemplate
from chalicelib.store.base import get_connection
from chalicelib.store.marketing.coupon_templates import ACTIVE, CouponTemplateModel
from chalicelib.store.marketing.coupons import ClaimCounterModel, CouponModel, to_model
from chalicelib.store.retries import retry_lost_writes

SOLD_OUT, CLAIM_LIMIT_REACHED = "SOLD_OUT", "CLAIM_LIMIT_REACHED"
TEMPLATE_NOT_ACTIVE = "TEMPLATE_NOT_ACTIVE"
NOT_STARTED, ENDED, DUPLICATE = "NOT_STARTED", "ENDED", "DUPLICATE"
MAX_ATTEMPTS = 8


class ClaimRefused(Exception):
    """A condition of the claim failed; nothing was written. `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ClaimBusy(Exception):
    """Every attempt met a concurrent transaction on the same items; nothing was written."""


Stage = Callable[[TransactWrite], None]


def claim(template: CouponTemplate, user_id: str, coupon: Coupon, now: datetime) -> Coupon:
    """Issue `coupon` (built by domain coupons.claim) to `user_id` in one transaction.

    Raises ClaimRefused(reason) with reason SOLD_OUT, CLAIM_LIMIT_REACHED, TEMPLATE_NOT_ACTIVE,
    NOT_STARTED or ENDED (nothing written), or ClaimBusy when the template stayed contended
    through every retry. Returns the coupon as stored.
    """
    write_claim(template, user_id, coupon, now)
    return coupon


def write_claim(template: CouponTemplate, user_id: str, coupon: Coupon, now: datetime, *,
                campaign_id: str | None = None, extra_puts: Stage | None = None,
                extra_updates: Stage | None = None, extra_put_count: int = 0) -> int:
    """Run the claim transaction, retrying conflicts; returns how many attempts it took.
    ClaimRefused when a condition failed, ClaimBusy when every attempt met a conflict."""
    def attempt(n: int) -> int:
        try:
            _attempt(template, user_id, coupon, now, campaign_id, extra_puts, extra_updates,
                     token=uuid.uuid4().hex)
            return n + 1
        except TransactWriteError as err:
            reasons = list(err.cancellation_reasons or [])
            if not reasons:
                raise
            refused = _refusal(reasons, extra_put_count, template.id, now)
            if refused is not None:
                raise ClaimRefused(refused) from err
            if not conflicted(err):
                raise
            raise ClaimBusy(f"template {template.id} stayed contended") from err
    return retry_lost_writes(attempt, ClaimBusy, attempts=MAX_ATTEMPTS)


def conflicted(err: TransactWriteError) -> bool:
    """True when a transaction was cancelled by another one in flight on the same items."""
    return any(r is not None and r.code == "TransactionConflict"
               for r in (err.cancellation_reasons or []))


def _attempt(template, user_id, coupon, now, campaign_id, extra_puts, extra_updates, token):
    T, C = CouponTemplateModel, ClaimCounterModel
    with TransactWrite(connection=get_connection(), client_request_token=token) as tx:
        tx.save(to_model(coupon, now, campaign_id),
                condition=CouponModel.coupon_id.does_not_exist())
        if extra_puts is not None:
            extra_puts(tx)
        tx.update(T(template.id), actions=[T.issued.add(1)],
                  condition=(T.status == ACTIVE) & (T.starts_at <= now) & (T.ends_at > now)
                  & (T.issued < T.total_stock), return_values="ALL_OLD")
        tx.update(C(template.id, user_id), actions=[C.claimed.add(1)],
                  condition=C.claimed.does_not_exist() | (C.claimed < template.per_user_limit))
        if extra_updates is not None:
            extra_updates(tx)


def _refusal(reasons: list, extra_put_count: int, template_id: str, now: datetime) -> str | None:
    """The reason a cancelled claim was refused, None if no condition failed (a conflict)."""
    def failed(index: int) -> bool:
        r = reasons[index] if index < len(reasons) else None
        return r is not None and r.code == "ConditionalCheckFailed"
    template_at = 1 + extra_put_count
    if failed(template_at):
        return _template_refusal(reasons[template_at].raw_item, template_id, now)
    if failed(template_at + 1):
        return CLAIM_LIMIT_REACHED
    if any(failed(i) for i in range(template_at)):
        return DUPLICATE  # the coupon (or a campaign outcome) was written before
    if any(failed(i) for i in range(template_at + 2, len(reasons))):
        return DUPLICATE
    return None


def _template_refusal(old: dict | None, template_id: str, now: datetime) -> str:
    """From the template's old image; an engine that sends none back costs one read instead."""
    if old:
        model = CouponTemplateModel.from_raw_data(old)
    else:
        try:
            model = CouponTemplateModel.get(template_id, consistent_read=True)
        except CouponTemplateModel.DoesNotExist:
            return TEMPLATE_NOT_ACTIVE
    if model.status != ACTIVE:
        return TEMPLATE_NOT_ACTIVE
    if model.starts_at > now:
        return NOT_STARTED
    if model.ends_at <= now:
        return ENDED
    return SOLD_OUT
