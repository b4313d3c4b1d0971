"""SQS: the coupon campaign queue."""
from __future__ import annotations

from chalicelib.providers import queues
from chalicelib.settings import get_settings


def campaign_queue_url() -> str:
    settings = get_settings()
    return settings.coupon_campaign_queue_url or queues.queue_url(
        queues.named(settings.coupon_campaign_queue_name, "coupon-campaigns"))
