"""The price-drop fan-out Lambda, thin like the API views (the work is
services/notifications/price_alerts.fan_out).

Each record is handled on its own; a failed one is answered in `batchItemFailures` by
jobs/batches and delivered again. A redelivery is harmless: the events it hands the notifier
carry the same ids as before, and the notifier sends each id once.
"""
from __future__ import annotations

import msgspec

from chalicelib.jobs.batches import decode, handle_batch
from chalicelib.jobs.messages import PriceDropFanOut
from chalicelib.observability import get_logger
from chalicelib.needs import Needs


def handle_messages(event) -> dict:
    return handle_batch(event, _handle)


def _handle(record) -> None:
    from chalicelib.services.notifications.price_alerts import fan_out

    message = decode(record.body, PriceDropFanOut)
    handed_over = fan_out(msgspec.to_builtins(message))
    get_logger().info("alert fan-out message handled",
                      extra={"station_id": message.station_id, "events": handed_over})


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "alert_fanout_worker": Needs(
        tables={
            "alerts": "RPUD", "promotions": "R", "station-density": "RU", "stations": "RP",
        },
        sends=("alert-fanout", "notifications"),
    ),
}
