"""Order events that feed a station's queue estimate: arrivals and learned service time.

On the order path both are written inside the order's own transaction, with no round trip of
their own: `order_stage` counts a new order on its station (the same update is the order's
price guard), `fuelled_stage` adds a confirmed order's service time to the station's pending
samples. `record_order_created` and `record_order_fuelled` apply the same figures on their own
(seeding, tools, a consumer of order events); they are advisory, so neither raises to its
caller: a missing station is logged and ignored, and a storage failure is logged (with its
cause).

Arrivals are counted per 10-minute bucket in the station item's `arrivals` map (one
UpdateItem that also removes the buckets that just left the window); the estimate reads
the last QUEUE_WINDOW_S of buckets with the station, so a search needs no extra query.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from chalicelib.domain.stations.queueing import (
    BUCKET_S, arrival_bucket, buckets_in_window, clamp_service_sample, update_mean_service)
from chalicelib.observability import get_logger
from chalicelib.store.stations import queue_counters

# The estimate looks at the last hour of orders (six 10-minute buckets plus the current one).
QUEUE_WINDOW_S = 3600
# Each arrival also removes this many buckets just older than the window; older leftovers
# (after a quiet spell longer than this) are found in the update's answer and removed too.
_PRUNE_BUCKETS = 12
_SERVICE_RETRIES = 3


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


def record_order_created(station_id: str, at: datetime) -> None:
    """Count an order created at `at` towards the station's arrival rate."""
    bucket = arrival_bucket(at)
    keep = set(buckets_in_window(at, QUEUE_WINDOW_S))
    expired = _buckets_before_window(at)
    try:
        held = _add_arrival(station_id, bucket, expired)
        if held is None:
            get_logger().warning("arrival for unknown station", extra={"station_id": station_id})
            return
        # Buckets newer than `at` are kept: events may arrive slightly out of order.
        stale = [b for b in held if b not in keep and b < min(keep)]
        queue_counters.remove_arrival_buckets(station_id, stale)
    except PynamoDBException:  # advisory counter: the order is already committed
        get_logger().exception("could not record arrival", extra={"station_id": station_id})


def record_order_fuelled(station_id: str, paid_at: datetime, fuelled_at: datetime) -> None:
    """Fold one paid->fuelled time into the station's learned mean service time."""
    sample_s = (fuelled_at - paid_at).total_seconds()
    if sample_s < 0:
        get_logger().warning("fuelled before paid; sample ignored",
                             extra={"station_id": station_id, "sample_s": sample_s})
        return
    try:
        for _ in range(_SERVICE_RETRIES):
            current = queue_counters.read_service_mean(station_id)
            if current is None:
                get_logger().warning("service time for unknown station",
                                     extra={"station_id": station_id})
                return
            mean_s, samples = current
            new_mean, new_samples = update_mean_service(mean_s, samples, sample_s)
            if queue_counters.set_service_mean(station_id, samples, new_mean, new_samples):
                return
        get_logger().warning("service time not recorded: kept conflicting",
                             extra={"station_id": station_id})
    except PynamoDBException:  # advisory figure: the order is already committed
        get_logger().exception("could not record service time", extra={"station_id": station_id})


def _add_arrival(station_id: str, bucket: str, expired: list[str]) -> list[str] | None:
    try:
        return queue_counters.add_arrival(station_id, bucket, expired)
    except queue_counters.ArrivalsMapMissing:
        # An item written before stations always carried the map: give it one, count again.
        queue_counters.ensure_arrivals_map(station_id)
        return queue_counters.add_arrival(station_id, bucket, expired)


def _buckets_before_window(at: datetime) -> list[str]:
    oldest_kept = buckets_in_window(at, QUEUE_WINDOW_S)[0]
    start = at - timedelta(seconds=QUEUE_WINDOW_S)
    candidates = (arrival_bucket(start - timedelta(seconds=BUCKET_S * k))
                  for k in range(_PRUNE_BUCKETS + 1))
    return sorted({b for b in candidates if b < oldest_kept})
