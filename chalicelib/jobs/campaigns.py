"""The coupon campaign worker: each SQS record is one chunk of a campaign's users.

Records are handled one after another (every grant of a campaign raises the same template's
counter, so running them side by side would only add transaction conflicts). A record that
fails is answered in `batchItemFailures` by jobs/batches and delivered again; grants are
idempotent per (campaign, user), so a partly handled record loses and repeats nothing.
"""
from __future__ import annotations

from chalicelib.jobs.batches import decode, handle_batch
from chalicelib.jobs.messages import CampaignChunk
from chalicelib.observability import get_logger
from chalicelib.needs import Needs


def handle_messages(event) -> dict:
    return handle_batch(event, _handle)


def _handle(record) -> None:
    from chalicelib.services.marketing.campaigns import grant_chunk

    chunk = decode(record.body, CampaignChunk)
    outcomes = grant_chunk(chunk.campaign_id, list(chunk.user_ids))
    get_logger().info("campaign chunk handled",
                      extra={"campaign_id": chunk.campaign_id, **outcomes})


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "coupon_campaign_worker": Needs(
        tables={
            "coupon-campaigns": "RPU", "coupon-claims": "RU", "coupon-templates": "RPU",
            "coupons": "RPU", "order-events": "RP", "orders": "RPU", "outbox": "RPD", "promotions": "R",
            "refunds": "RPU", "station-density": "RU", "stations": "RP", "user-openids": "RP",
            "users": "RP",
        },
        sends=("alert-fanout", "coupon-campaigns", "notifications"),
        secrets=True,
    ),
}
