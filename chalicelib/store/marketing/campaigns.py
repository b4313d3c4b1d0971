"""Coupon campaigns: `fuel-<stage>-coupon-campaigns`, keyed (campaign_id, entry).

Entry "CAMPAIGN" is the campaign with its counters; entry "USER#<user_id>" is the outcome for one
user, put (attribute_not_exists) in the same transaction that grants the coupon or counts the
skip. So each (campaign, user) is decided exactly once: a redelivered message finds the outcome
already there, and neither grants nor counts again. The granted coupon's id is derived from
(campaign, user) too, a second guard of the same rule.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.marketing.campaigns import Campaign
from chalicelib.domain.marketing.coupons import Coupon, CouponTemplate
from chalicelib.store.marketing import coupon_claims
from chalicelib.store.base import StageModel, get_connection, transaction_condition_failed
from chalicelib.store.identity.users import UserModel
from chalicelib.store.retries import retry_lost_writes

CAMPAIGN = "CAMPAIGN"
GRANTED, SKIPPED, ALREADY_DONE = "GRANTED", "SKIPPED", "ALREADY_DONE"
# claim refusal -> the counter of skips it adds to
SKIP_COUNTERS = {
    coupon_claims.SOLD_OUT: "skipped_sold_out",
    coupon_claims.CLAIM_LIMIT_REACHED: "skipped_limit_reached",
    coupon_claims.TEMPLATE_NOT_ACTIVE: "skipped_template_closed",
    coupon_claims.NOT_STARTED: "skipped_template_closed",
    coupon_claims.ENDED: "skipped_template_closed",
    "USER_NOT_FOUND": "skipped_user_not_found",
}


class CampaignModel(StageModel):
    logical_name = "coupon-campaigns"

    class Meta:
        pass

    campaign_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    template_id = UnicodeAttribute(null=True)
    total = NumberAttribute(null=True)
    granted = NumberAttribute(null=True)
    skipped_sold_out = NumberAttribute(null=True)
    skipped_limit_reached = NumberAttribute(null=True)
    skipped_template_closed = NumberAttribute(null=True)
    skipped_user_not_found = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    # outcome entries
    outcome = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    coupon_id = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)


def coupon_id_for(campaign_id: str, user_id: str) -> str:
    return "cp_" + hashlib.sha256(f"{campaign_id}\n{user_id}".encode()).hexdigest()[:24]


def put_campaign(campaign_id: str, template_id: str, total: int, created_by: str,
                 now: datetime, also: Callable | None = None) -> None:
    """Record a new campaign and, in the same transaction, `also(tx)`: the outbox messages of
    its chunks, so a campaign is never recorded without all of its users queued."""
    zeros = {name: 0 for name in set(SKIP_COUNTERS.values())}
    with TransactWrite(connection=get_connection()) as tx:
        tx.save(CampaignModel(campaign_id, CAMPAIGN, template_id=template_id, total=total,
                              granted=0, created_at=now, created_by=created_by, **zeros),
                condition=CampaignModel.campaign_id.does_not_exist())
        if also is not None:
            also(tx)


def get_campaign(campaign_id: str) -> Campaign | None:
    try:
        m = CampaignModel.get(campaign_id, CAMPAIGN, consistent_read=True)
    except CampaignModel.DoesNotExist:
        return None
    skipped = {name.removeprefix("skipped_"): int(getattr(m, name) or 0)
               for name in sorted(set(SKIP_COUNTERS.values()))}
    return Campaign(m.campaign_id, m.template_id, int(m.total), int(m.granted or 0), skipped,
                    m.created_at, m.created_by)


def _outcome(campaign_id: str, user_id: str, outcome: str, now: datetime,
             reason: str | None = None, coupon_id: str | None = None) -> CampaignModel:
    return CampaignModel(campaign_id, f"USER#{user_id}", outcome=outcome, reason=reason,
                         coupon_id=coupon_id, decided_at=now)


def grant(campaign_id: str, template: CouponTemplate, coupon: Coupon, now: datetime) -> str:
    """Grant `coupon` (id from coupon_id_for) to its user for the campaign, or record why not.

    Returns GRANTED, SKIPPED or ALREADY_DONE; raises coupon_claims.ClaimBusy under contention.
    """
    M, user_id = CampaignModel, coupon.user_id

    def puts(tx):
        tx.save(_outcome(campaign_id, user_id, GRANTED, now, coupon_id=coupon.id),
                condition=M.entry.does_not_exist())

    def updates(tx):
        tx.update(M(campaign_id, CAMPAIGN), actions=[M.granted.add(1)])
    try:
        coupon_claims.write_claim(template, user_id, coupon, now, campaign_id=campaign_id,
                                  extra_puts=puts, extra_updates=updates, extra_put_count=1)
        return GRANTED
    except coupon_claims.ClaimRefused as refused:
        if refused.reason == coupon_claims.DUPLICATE:
            return ALREADY_DONE
        return skip(campaign_id, user_id, refused.reason, now)


def skip(campaign_id: str, user_id: str, reason: str, now: datetime) -> str:
    """Record that `user_id` gets nothing from the campaign, once; SKIPPED or ALREADY_DONE."""
    M, counter = CampaignModel, getattr(CampaignModel, SKIP_COUNTERS[reason])

    def attempt(_: int) -> str:
        try:
            with TransactWrite(connection=get_connection()) as tx:
                tx.save(_outcome(campaign_id, user_id, SKIPPED, now, reason=reason),
                        condition=M.entry.does_not_exist())
                tx.update(M(campaign_id, CAMPAIGN), actions=[counter.add(1)])
            return SKIPPED
        except TransactWriteError as err:
            if transaction_condition_failed(err):
                return ALREADY_DONE
            if not coupon_claims.conflicted(err):
                raise
            raise coupon_claims.ClaimBusy(f"campaign {campaign_id} stayed contended") from err
    return retry_lost_writes(attempt, coupon_claims.ClaimBusy, attempts=coupon_claims.MAX_ATTEMPTS)


def existing_user_ids(user_ids: list[str]) -> set[str]:
    """Which of these drivers exist (one BatchGetItem per 100, keys only)."""
    return {m.user_id for m in UserModel.batch_get(user_ids, attributes_to_get=["user_id"])}
