"""Order events that feed a station's queue estimate: arrivals and learned service time.

On the order path both are written inside the order's own transaction, with no round trip of
their own: `order_stage` counts a new order on its station (the same update is the order's
price guard), `fuelled_stage` adds a confirmed order's service time to the station's pending
samples.

Arrivals are counted per 10-minute bucket in the station item's `arrivals` map (the same
update also removes the buckets that left the window); the estimate reads the last
QUEUE_WINDOW_S of buckets with the station, so a search needs no extra query.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.stations.queueing import arrival_bucket, buckets_in_window, clamp_service_sample
from chalicelib.store.stations import queue_counters

# The estimate looks at the last hour of orders (six 10-minute buckets plus the current one).
QUEUE_WINDOW_S = 3600


def order_stage(station, created_at: datetime, own_promotion_id: str | None):
    """What a new order writes on its station in the order's transaction (`station` as read for
    the order): the arrival in its bucket, buckets that left the window dropped, and the price
    guard (store/stations/queue_counters.py stage_order). A callable of the transaction."""
    bucket = arrival_bucket(created_at)
    oldest_kept = min(buckets_in_window(created_at, QUEUE_WINDOW_S))
    # Buckets newer than `created_at` are kept: orders may commit slightly out of order.
    stale = sorted(b for b in station.queue.arrivals if b < oldest_kept)
    return lambda tx: queue_counters.stage_order(tx, station, bucket=bucket, stale_buckets=stale,
                                                 own_promotion_id=own_promotion_id)


def fuelled_stage(station_id: str, paid_at: datetime | None, fuelled_at: datetime):
    """What a confirmation writes on its station in its transaction: the paid->fuelled time as
    a pending sample; None when there is no sample (never paid, or fuelled before paid)."""
    if paid_at is None or fuelled_at < paid_at:
        return None
    sample_s = clamp_service_sample((fuelled_at - paid_at).total_seconds())
    return lambda tx: queue_counters.stage_service_sample(tx, station_id, sample_s)
