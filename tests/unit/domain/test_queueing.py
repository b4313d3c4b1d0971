"""Queue estimate: Erlang C against textbook values, and a simulated stream through the buckets."""
import math
import random
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.stations.queueing import (
    DEFAULT_SERVICE_S, MIN_SERVICE_SAMPLES, SERVICE_CLAMP_S, arrival_bucket, buckets_in_window,
    erlang_c_wait_s, estimate_queue, update_mean_service, window_span_s)

NOW = datetime(2024, 5, 1, 8, 37, 20, tzinfo=timezone.utc)
PER_MINUTE = 1 / 60


@pytest.mark.parametrize("arrivals_per_min, service_min, servers, wq_min", [
    (2, 1, 3, 4 / 9),  # a = 2, rho = 2/3: P0 = 1/9, C = 4/9, Wq = C / (3 - 2)
    (0.5, 1, 1, 1.0),  # M/M/1: Wq = rho / (mu - lambda) = 0.5 / 0.5
    (1, 1, 2, 1 / 3),  # a = 1, rho = 1/2: P0 = 1/3, C = 1/3, Wq = C / (2 - 1)
])
def test_erlang_c_wait_matches_hand_computed_values(arrivals_per_min, service_min, servers, wq_min):
    wait_s = erlang_c_wait_s(arrivals_per_min * PER_MINUTE, service_min * 60, servers)

    assert wait_s == pytest.approx(wq_min * 60, rel=1e-12)


def test_no_arrivals_means_no_wait_and_full_load_means_no_finite_wait():
    assert erlang_c_wait_s(0.0, 240, 4) == 0.0
    assert erlang_c_wait_s(4 / 240, 240, 4) is None
    assert erlang_c_wait_s(5 / 240, 240, 4) is None


@given(st.floats(0.001, 0.99), st.integers(1, 40), st.floats(30, 900))
def test_the_wait_grows_with_load_and_stays_finite_below_saturation(rho, servers, service_s):
    rate = rho * servers / service_s

    wait = erlang_c_wait_s(rate, service_s, servers)
    busier = erlang_c_wait_s(min(rate * 1.01, 0.999 * servers / service_s), service_s, servers)

    assert 0.0 <= wait <= busier < math.inf


def test_a_busy_station_with_learned_service_gets_a_confident_estimate():
    est = estimate_queue(40, 3600, nozzles=4, service_samples=50, mean_service_s=300)

    expected = erlang_c_wait_s(40 / 3600, 300, 4)
    assert est.wait_minutes == math.floor(expected / 60 + 0.5)
    assert (est.confidence, est.reason) == ("high", None)
    assert est.arrivals_per_hour == pytest.approx(40)
    assert est.utilisation == pytest.approx(40 / 3600 * 300 / 4)


def test_the_default_service_time_is_used_until_enough_samples_exist():
    est = estimate_queue(40, 3600, nozzles=4, service_samples=MIN_SERVICE_SAMPLES - 1, mean_service_s=100)

    assert est.utilisation == pytest.approx(40 / 3600 * DEFAULT_SERVICE_S / 4)
    assert est.confidence == "medium"


@pytest.mark.parametrize("arrivals, nozzles, reason", [(2, 4, "too_few_orders"), (60, 4, "saturated"),
                                                       (10, 0, "no_nozzles")])
def test_too_little_data_or_a_saturated_station_gives_no_figure_and_says_why(arrivals, nozzles, reason):
    est = estimate_queue(arrivals, 3600, nozzles=nozzles, service_samples=0, mean_service_s=None)

    assert (est.wait_minutes, est.confidence, est.reason) == (None, None, reason)


def test_few_orders_give_a_low_confidence():
    assert estimate_queue(5, 3600, nozzles=1, service_samples=0, mean_service_s=None).confidence == "low"


def test_buckets_are_ten_minutes_of_utc_time():
    assert arrival_bucket(NOW) == "20240501083"
    assert arrival_bucket(datetime(2024, 5, 1, 16, 59, tzinfo=timezone(timedelta(hours=8)))) == "20240501085"


def test_the_window_is_the_last_buckets_up_to_now():
    assert buckets_in_window(NOW, 3600) == ["20240501074", "20240501075", "20240501080",
                                            "20240501081", "20240501082", "20240501083"]
    assert window_span_s(NOW, 3600) == 5 * 600 + 7 * 60 + 20


@pytest.mark.parametrize("per_hour, nozzles, service_s, seed", [(45, 4, 270.0, 11), (12, 2, 240.0, 5),
                                                                (80, 8, 200.0, 23)])
def test_a_simulated_poisson_stream_gives_the_formula_on_the_observed_rate(per_hour, nozzles, service_s, seed):
    rng = random.Random(seed)
    rate = per_hour / 3600
    counters, arrivals, t = Counter(), [], NOW - timedelta(hours=3)
    while True:
        t += timedelta(seconds=rng.expovariate(rate))
        if t > NOW:
            break
        arrivals.append(t)
        counters[arrival_bucket(t)] += 1  # what recording an order event does to the station item

    seen = sum(counters[b] for b in buckets_in_window(NOW, 3600))
    span = window_span_s(NOW, 3600)
    est = estimate_queue(seen, span, nozzles=nozzles, service_samples=100, mean_service_s=service_s)

    window_start = NOW - timedelta(seconds=span)
    assert seen == sum(1 for a in arrivals if a >= window_start)
    assert est.arrivals_per_hour == pytest.approx(seen / span * 3600)
    assert est.wait_minutes == math.floor(erlang_c_wait_s(seen / span, service_s, nozzles) / 60 + 0.5)
    assert est.arrivals_per_hour == pytest.approx(per_hour, rel=0.5)


def test_the_service_mean_starts_as_a_plain_mean_and_clamps_outliers():
    mean, n = update_mean_service(None, 0, 200)
    mean, n = update_mean_service(mean, n, 300)
    mean, n = update_mean_service(mean, n, 99_999)

    assert n == 3
    assert mean == pytest.approx((200 + 300 + SERVICE_CLAMP_S[1]) / 3)


@given(st.lists(st.floats(0, 10_000), min_size=1, max_size=200))
def test_the_service_mean_stays_within_the_clamped_range(samples):
    mean, n = None, 0
    for s in samples:
        mean, n = update_mean_service(mean, n, s)

    assert n == len(samples)
    assert SERVICE_CLAMP_S[0] - 1e-9 <= mean <= SERVICE_CLAMP_S[1] + 1e-9
