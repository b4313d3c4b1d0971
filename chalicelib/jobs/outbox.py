"""The outbox sweeper Lambda, thin like the others (the work is services/outbox/delivery.sweep):
every minute it sends the messages committed changes still owe, so an SQS outage delays them
and never drops them."""
from __future__ import annotations

from chalicelib.needs import Needs


def run_sweep(event) -> dict:
    from chalicelib.services.outbox.delivery import sweep

    context = getattr(event, "context", None)
    return sweep(getattr(context, "get_remaining_time_in_millis", None))


# What this Lambda may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "outbox_sweeper": Needs(
        tables={"outbox": "RPD"},
        sends=("alert-fanout", "coupon-campaigns", "notifications"),
    ),
}
