"""Queue estimate at a station: an M/M/c (Erlang C) expected wait from its own recent orders.

The model: arrivals are Poisson at the rate seen in the window, each of the station's
nozzles is a server (all grades pooled), and service takes the learned mean time from
payment to confirmed fuelling, or DEFAULT_SERVICE_S until MIN_SERVICE_SAMPLES exist.
Orders arrive through the app only, so the rate is a floor of the real one; confidence
says how much data stands behind the figure.

The store keeps, on the station item, a counter per 10-minute bucket (`arrival_bucket`),
the mean service time and its sample count, so a nearby search reads them with the station
and never issues a query per station. The store applies `update_mean_service` with a
condition on the old sample count, so two confirmations cannot lose one another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

BUCKET_S = 600
DEFAULT_SERVICE_S = 240.0  # 4 minutes: pull in, fuel ~40 L, pay, leave
MIN_SERVICE_SAMPLES = 20  # below this the default service time is used
SERVICE_CLAMP_S = (60.0, 1800.0)  # a sample outside is a forgotten confirmation or a typo
SERVICE_EWMA_ALPHA = 0.1  # plain mean for the first 10 samples, then weight 0.1 on the newest
MIN_ARRIVALS = 3  # fewer orders in the window: no estimate ('too_few_orders')
MEDIUM_ARRIVALS, HIGH_ARRIVALS = 10, 30


@dataclass(frozen=True)
class QueueEstimate:
    wait_minutes: int | None
    confidence: str | None  # 'low' | 'medium' | 'high'; None when there is no estimate
    reason: str | None  # 'too_few_orders' | 'saturated' | 'no_nozzles'; None with an estimate
    arrivals_per_hour: float
    utilisation: float  # offered load per nozzle, lambda * service / c


def erlang_c_wait_s(arrival_rate_per_s: float, mean_service_s: float, servers: int) -> float | None:
    """Expected wait in queue Wq = C(c, a) / (c*mu - lambda) in seconds; None when load >= 1."""
    if arrival_rate_per_s <= 0:
        return 0.0
    offered = arrival_rate_per_s * mean_service_s  # a = lambda / mu, in erlangs
    if servers < 1 or offered >= servers:
        return None
    blocking = 1.0  # Erlang B by its recurrence, which never overflows
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    waiting = servers * blocking / (servers - offered * (1.0 - blocking))  # Erlang C
    return waiting * mean_service_s / (servers - offered)


def estimate_queue(arrivals_in_window: int, window_s: float, nozzles: int, service_samples: int,
                   mean_service_s: float | None) -> QueueEstimate:
    """The wait at a station from the orders that arrived in the last window_s seconds."""
    if window_s <= 0:
        raise ValueError("window_s must be positive")
    rate = arrivals_in_window / window_s
    learned = service_samples >= MIN_SERVICE_SAMPLES and mean_service_s is not None
    service_s = mean_service_s if learned else DEFAULT_SERVICE_S
    per_hour = rate * 3600.0
    utilisation = rate * service_s / nozzles if nozzles >= 1 else math.inf
    if nozzles < 1:
        return QueueEstimate(None, None, "no_nozzles", per_hour, utilisation)
    if arrivals_in_window < MIN_ARRIVALS:
        return QueueEstimate(None, None, "too_few_orders", per_hour, utilisation)
    wait_s = erlang_c_wait_s(rate, service_s, nozzles)
    if wait_s is None:
        return QueueEstimate(None, None, "saturated", per_hour, utilisation)
    if arrivals_in_window >= HIGH_ARRIVALS and learned:
        confidence = "high"
    elif arrivals_in_window >= MEDIUM_ARRIVALS:
        confidence = "medium"
    else:
        confidence = "low"
    return QueueEstimate(math.floor(wait_s / 60.0 + 0.5), confidence, None, per_hour, utilisation)


def arrival_bucket(ts: datetime) -> str:
    """10-minute bucket key 'YYYYMMDDHHm' (m = tens of minutes, UTC), e.g. 08:37 -> '...083'."""
    utc = ts.astimezone(timezone.utc)
    return f"{utc:%Y%m%d%H}{utc.minute // 10}"


def _bucket_start(ts: datetime) -> datetime:
    utc = ts.astimezone(timezone.utc)
    return utc.replace(minute=utc.minute - utc.minute % 10, second=0, microsecond=0)


def buckets_in_window(now: datetime, window_s: int) -> list[str]:
    """Keys of the ceil(window_s / 600) most recent buckets, oldest first, now's included."""
    count = max(1, math.ceil(window_s / BUCKET_S))
    start = _bucket_start(now)
    return [arrival_bucket(start - timedelta(seconds=BUCKET_S * k)) for k in range(count - 1, -1, -1)]


def window_span_s(now: datetime, window_s: int) -> float:
    """Seconds the buckets of buckets_in_window cover up to now: the rate's denominator."""
    count = max(1, math.ceil(window_s / BUCKET_S))
    return (count - 1) * BUCKET_S + (now - _bucket_start(now)).total_seconds()


def update_mean_service(mean_s: float | None, samples: int, new_sample_s: float) -> tuple[float, int]:
    """Fold one paid->fuelled time into the mean: plain mean first, then an EWMA.

    The sample is clamped to SERVICE_CLAMP_S first, so one forgotten confirmation cannot
    swamp the figure; the EWMA lets the mean follow a station that got faster or slower.
    """
    sample = clamp_service_sample(new_sample_s)
    if mean_s is None or samples <= 0:
        return sample, 1
    weight = max(1.0 / (samples + 1), SERVICE_EWMA_ALPHA)
    return mean_s + weight * (sample - mean_s), samples + 1


def clamp_service_sample(sample_s: float) -> float:
    return min(max(sample_s, SERVICE_CLAMP_S[0]), SERVICE_CLAMP_S[1])


def fold_pending_service(mean_s: float | None, samples: int, pending_sum_s: float,
                         pending: int) -> tuple[float | None, int]:
    """The mean with samples not yet folded in: confirmations add their clamped sample to a
    running sum and count on the station item inside their own transaction (no read of the
    mean), and whoever reads the station folds them, each as their average. With the one or
    two samples usually pending this is the EWMA of update_mean_service."""
    if pending <= 0:
        return mean_s, samples
    average = pending_sum_s / pending
    for _ in range(pending):
        mean_s, samples = update_mean_service(mean_s, samples, average)
    return mean_s, samples
