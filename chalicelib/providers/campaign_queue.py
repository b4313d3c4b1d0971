"""SQS: the coupon campaign queue."""
from __future__ import annotations

from chalicelib.providers import queues
from chalicelib.settings import get_settings


def campaign_queue_url() -> str:
    settings = get_settings()
    return settings.coupon_campaign_queue_url or queues.queue_url(
        queues.named(settings.coupon_campaign_queue_name, "coupon-campaigns"))


def send_all(bodies: list[str]) -> None:
    """Queue every body, ten per call; raises if SQS refused any (nothing is silently dropped)."""
    url = campaign_queue_url()
    for start in range(0, len(bodies), queues.BATCH_SIZE):
        failed = queues.send_batch(url, bodies[start:start + queues.BATCH_SIZE])
        if failed:
            codes = sorted({code for _, code, _ in failed})
            raise RuntimeError(f"SQS refused {len(failed)} campaign messages: {codes}")
