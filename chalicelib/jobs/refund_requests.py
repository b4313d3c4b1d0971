"""The schedule that refunds drivers' refund requests nobody answered in time; wired in app.py."""
from __future__ import annotations

from chalicelib.domain import times
from chalicelib.needs import SETTLES_ORDERS


def refund_unanswered(scheduled_time: str | None) -> dict:
    """Run as of the event's `time` (the wall clock when absent or unreadable), so a run fired
    for a later moment decides as that moment would."""
    from chalicelib.jobs.reconciliation import scheduled_time as parse_time
    from chalicelib.services.orders import refund_requests

    now = parse_time(scheduled_time) or times.now()
    return refund_requests.refund_unanswered(now)


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "refund_unanswered_requests": SETTLES_ORDERS.with_tables({"reconciliation": "RPUD"}),
}
