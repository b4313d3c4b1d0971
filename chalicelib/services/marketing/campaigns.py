"""Campaigns: HQ marketing grants one coupon of a template to each user of a list, off the
request path. The request checks the template and records the campaign together with one
outbox message per chunk of its users, in one transaction, then sends them; what SQS did not
take, the outbox sweeper sends later (services/outbox), so a campaign whose queueing half
failed resumes with exactly the chunks still owed. The SQS worker (jobs/campaigns.py) grants
each user exactly once (store/marketing/campaigns.py), however often a chunk comes, within the
template's stock and per-user limit, and the campaign counts what was granted and what
skipped, and why.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from chalicelib.domain.marketing import coupons as rules
from chalicelib.domain.marketing.coupons import MAX_CAMPAIGN_USERS
from chalicelib.domain.marketing.campaigns import Campaign
from chalicelib.domain.errors import InvalidInput, NotFound, RuleViolation
from chalicelib.domain.outbox.messages import OutboxQueue, new_message
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.services.marketing.coupon_templates import require_marketing
from chalicelib.services.marketing.coupons import plausible_id
from chalicelib.services.identity.tokens import Principal
from chalicelib.store.marketing import campaigns as store
from chalicelib.store.marketing import coupon_templates as templates

USERS_PER_MESSAGE = 50  # one message is at most 50 grants: a few seconds of a worker's 60
# The campaign and every chunk's outbox message are one TransactWrite: 1 + 1000 / 50 = 21 items
# of DynamoDB's 100 (a test keeps it so).


def create_campaign(staff: Principal, template_id: str, user_ids: list[str],
                    now: datetime | None = None) -> Campaign:
    """Check the template can still be claimed and has stock, record the campaign, queue it."""
    now = now or times.now()
    require_marketing(staff)
    users = list(dict.fromkeys(user_ids))
    if not 0 < len(users) <= MAX_CAMPAIGN_USERS or not all(plausible_id(u) for u in users):
        raise InvalidInput(f"give 1 to {MAX_CAMPAIGN_USERS} user ids of printable text",
                           code="USER_IDS_INVALID", field="user_ids")
    stored = templates.get_template(template_id) if plausible_id(template_id) else None
    if stored is None:
        raise NotFound(f"no coupon template {template_id}", code="TEMPLATE_NOT_FOUND",
                       field="template_id")
    if stored.status != templates.ACTIVE:
        raise RuleViolation("this template is not active", code="TEMPLATE_NOT_ACTIVE",
                            field="template_id")
    rules.check_claim(stored.template, 0, now)  # window open and stock left, or a coded 422
    campaign_id = f"cc_{uuid.uuid4().hex[:20]}"
    chunks = [new_message(OutboxQueue.COUPON_CAMPAIGNS, json.dumps(
        {"campaign_id": campaign_id, "user_ids": users[i:i + USERS_PER_MESSAGE]},
        separators=(",", ":")), times.now()) for i in range(0, len(users), USERS_PER_MESSAGE)]
    from chalicelib.services.outbox import delivery as outbox
    store.put_campaign(campaign_id, template_id, len(users), staff.subject, now,
                       outbox.staged(chunks))
    queued = outbox.send_now(chunks)  # never raises: the sweeper sends what SQS did not take
    get_logger().info("campaign recorded", extra={
        "campaign_id": campaign_id, "users": len(users), "template_id": template_id,
        "chunks": len(chunks), "queued": queued})
    return store.get_campaign(campaign_id)


def get_campaign(staff: Principal, campaign_id: str) -> Campaign:
    require_marketing(staff)
    campaign = store.get_campaign(campaign_id) if plausible_id(campaign_id) else None
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}", code="CAMPAIGN_NOT_FOUND")
    return campaign


def grant_chunk(campaign_id: str, user_ids: list[str], now: datetime | None = None) -> dict:
    """Decide each user of one queued chunk: grant, skip (and why) or already done. Safe to run
    again for the same chunk; raises only what should make SQS deliver it again."""
    now = (now or times.now()).replace(microsecond=0)
    campaign = store.get_campaign(campaign_id)
    if campaign is None:
        get_logger().warning("campaign message for no campaign", extra={"campaign_id": campaign_id})
        return {}
    stored = templates.get_template(campaign.template_id)
    outcomes: dict[str, int] = {}
    existing = store.existing_user_ids(user_ids) if user_ids else set()
    for user_id in user_ids:
        if user_id not in existing:
            outcome = store.skip(campaign_id, user_id, "USER_NOT_FOUND", now)
        else:
            coupon = rules.claim(stored.template, user_id=user_id, now=now,
                                 coupon_id=store.coupon_id_for(campaign_id, user_id))
            outcome = store.grant(campaign_id, stored.template, coupon, now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
