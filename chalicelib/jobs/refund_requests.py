"""The schedule that refunds drivers' refund requests nobody answered in time; wired in app.py."""
from __future__ import annotations

from chalicelib.domain import times
from chalicelib.needs import Needs


def refund_unanswered(scheduled_time: str | None) -> dict:
    """Run as of the event's `time` (the wall clock when absent or unreadable), so a run fired
    for a later moment decides as that moment would."""
    from chalicelib.jobs.reconciliation import scheduled_time as parse_time
    from chalicelib.services.orders import refund_requests

    now = parse_time(scheduled_time) or times.now()
    return refund_requests.refund_unanswered(now)


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "refund_unanswered_requests": Needs(
        tables={
            "accounts": "RP", "coupon-claims": "R", "coupons": "RU", "invoices": "RPU",
            "ledger": "RP", "order-events": "RP", "orders": "RPU", "outbox": "RPD", "promotions": "R",
            "reconciliation": "RPUD", "refunds": "RPU", "station-density": "RU", "stations": "RPU",
            "throttles": "RPU", "topups": "RPU", "user-openids": "RP", "users": "RP",
        },
        sends=("alert-fanout", "coupon-campaigns", "invoices", "notifications"),
        buckets=("invoices",),
        secrets=True,
        ledger_key=("sign",),
    ),
}
