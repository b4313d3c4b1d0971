"""The coupon campaign worker: each SQS record is one chunk of a campaign's users.

Records are handled one after another (every grant of a campaign raises the same template's
counter, so running them side by side would only add transaction conflicts). A record that
fails is answered in `batchItemFailures` and delivered again; grants are idempotent per
(campaign, user), so a partly handled record loses and repeats nothing.
"""
from __future__ import annotations

import json

from chalicelib.jobs.batches import handle_batch
from chalicelib.observability import get_logger


def chunk_of(body: str) -> tuple[str, list[str]]:
    message = json.loads(body)
    campaign_id = message.get("campaign_id") if isinstance(message, dict) else None
    user_ids = message.get("user_ids") if isinstance(message, dict) else None
    if not isinstance(campaign_id, str) or not isinstance(user_ids, list) or \
            not all(isinstance(u, str) and u for u in user_ids):
        raise ValueError("message without campaign_id and user_ids")
    return campaign_id, user_ids


def handle_messages(event) -> dict:
    return handle_batch(event, _handle)


def _handle(record) -> str | None:
    """None when the record was handled, else its messageId (to be delivered again)."""
    from chalicelib.services.marketing.campaigns import grant_chunk

    message_id = record.to_dict()["messageId"]
    try:
        campaign_id, user_ids = chunk_of(record.body)
        outcomes = grant_chunk(campaign_id, user_ids)
    except Exception:  # noqa: BLE001 - report this record, go on with the others
        get_logger().exception("campaign message failed", extra={"message_id": message_id})
        return message_id
    get_logger().info("campaign chunk handled", extra={"campaign_id": campaign_id, **outcomes})
    return None
