"""The minute schedules of payments, wired in app.py; thin like the routes.

- expire_unpaid_orders: pending orders past their expiry are healed (paid) or closed.
- follow_up_refunds: refunds still PROCESSING are asked after (and resent if never received).
- upload_shipping_info: confirmed orders' shipping info goes to WeChat until acknowledged.
Each returns its counts, which the Lambda logs as its result.
"""
from __future__ import annotations

from chalicelib.domain import times
from chalicelib.needs import SETTLES_ORDERS

# Services are imported inside the schedule that uses them: every Lambda of this app imports
# app.py, so a top-level import here would load payment code into each of them.


def expire_unpaid_orders() -> dict:
    from chalicelib.services.orders import payment_expiry
    from chalicelib.services.wallet import topup_expiry

    now = times.now()
    counts = payment_expiry.expire_pending_orders(now)
    # Wallet top-ups share this schedule: unpaid ones close, over-cap refunds are followed up.
    return {**counts, "topups": topup_expiry.settle_due(now)}


def follow_up_refunds() -> dict:
    from chalicelib.services.orders import refunds

    return refunds.follow_up(times.now())


def upload_shipping_info() -> dict:
    from chalicelib.services.orders import shipping

    return shipping.upload_due(times.now())


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
# The three schedules load the same payment code, so they may touch the same things.
NEEDS = {name: SETTLES_ORDERS for name in ("expire_unpaid_orders", "follow_up_refunds",
                                         "upload_shipping_info")}
