"""The minute schedules of payments, wired in app.py; thin like the routes.

- expire_unpaid_orders: pending orders past their expiry are healed (paid) or closed.
- follow_up_refunds: refunds still PROCESSING are asked after (and resent if never received).
- upload_shipping_info: confirmed orders' shipping info goes to WeChat until acknowledged.
Each returns its counts, which the Lambda logs as its result.
"""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.services import payment_expiry, refunds, shipping


def _now() -> datetime:
    return datetime.now(timezone.utc)


def expire_unpaid_orders() -> dict:
    return payment_expiry.expire_pending_orders(_now())


def follow_up_refunds() -> dict:
    return refunds.follow_up(_now())


def upload_shipping_info() -> dict:
    return shipping.upload_due(_now())
