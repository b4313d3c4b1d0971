"""What orders and confirmations write on their station's queue counters, on moto and on
DynamoDB Local, through the stages the order's and the confirmation's own transactions carry
(services/stations/activity.py order_stage and fuelled_stage). Orders and confirmations made
at once through the services are in tests/integration/orders/test_order_concurrency.py."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from chalicelib.domain.stations.queueing import arrival_bucket, update_mean_service
from chalicelib.services.stations.activity import fuelled_stage
from chalicelib.store.stations import stations as station_store
from devstack import seed
from devstack.seeding import station_from_seed
from tests.station_factory import count_fuelling, count_order

T0 = datetime(2025, 3, 14, 8, 37, tzinfo=timezone.utc)


def _new_station(**changes) -> str:
    station = replace(station_from_seed(seed.load_stations()[0]),
                      id=f"st-{uuid.uuid4().hex[:12]}", **changes)
    station_store.put_station(station)
    return station.id


def _queue(station_id: str):
    return station_store.read_station(station_id).queue


def test_arrivals_are_counted_per_ten_minute_bucket(dynamodb):
    station_id = _new_station()

    for minutes in (0, 1, 2, 11):
        count_order(station_id, T0 + timedelta(minutes=minutes))

    assert _queue(station_id).arrivals == {arrival_bucket(T0): 3,
                                           arrival_bucket(T0 + timedelta(minutes=11)): 1}


def test_buckets_older_than_the_window_are_pruned_by_the_next_arrival(dynamodb):
    station_id = _new_station()
    count_order(station_id, T0)
    count_order(station_id, T0 + timedelta(minutes=30))

    count_order(station_id, T0 + timedelta(minutes=75))

    arrivals = _queue(station_id).arrivals
    assert arrival_bucket(T0) not in arrivals
    assert set(arrivals) == {arrival_bucket(T0 + timedelta(minutes=30)),
                             arrival_bucket(T0 + timedelta(minutes=75))}


def test_leftovers_of_a_long_quiet_spell_are_removed_too(dynamodb):
    station_id = _new_station()
    count_order(station_id, T0)
    count_order(station_id, T0 + timedelta(minutes=20))

    count_order(station_id, T0 + timedelta(days=3))

    assert _queue(station_id).arrivals == {arrival_bucket(T0 + timedelta(days=3)): 1}


def test_an_order_arriving_slightly_out_of_order_keeps_the_newer_bucket(dynamodb):
    station_id = _new_station()
    count_order(station_id, T0 + timedelta(minutes=12))

    count_order(station_id, T0)

    assert _queue(station_id).arrivals == {arrival_bucket(T0): 1,
                                           arrival_bucket(T0 + timedelta(minutes=12)): 1}


def test_a_station_item_without_the_map_still_counts(dynamodb):
    station_id = _new_station()
    dynamodb.update_item(TableName="fuel-local-stations", Key={"station_id": {"S": station_id}},
                         UpdateExpression="REMOVE arrivals")

    count_order(station_id, T0)
    count_order(station_id, T0 + timedelta(minutes=1))

    assert _queue(station_id).arrivals == {arrival_bucket(T0): 2}


def test_fuelling_times_fold_into_the_learned_mean_and_the_next_order_stores_it(dynamodb):
    station_id = _new_station()

    count_fuelling(station_id, T0, T0 + timedelta(seconds=300))
    count_order(station_id, T0 + timedelta(minutes=6))  # stores the mean, nothing left pending
    count_fuelling(station_id, T0, T0 + timedelta(seconds=200))

    queue = _queue(station_id)
    expected = update_mean_service(*update_mean_service(None, 0, 300), 200)
    assert (queue.service_mean_s, queue.service_samples) == expected
    assert queue.pending_samples == 1


def test_a_fuelling_sample_is_clamped_to_the_plausible_range(dynamodb):
    station_id = _new_station()

    count_fuelling(station_id, T0, T0 + timedelta(seconds=5))
    count_order(station_id, T0 + timedelta(minutes=6))
    count_fuelling(station_id, T0, T0 + timedelta(hours=5))

    queue = _queue(station_id)
    expected = update_mean_service(*update_mean_service(None, 0, 60), 1800)
    assert (queue.service_mean_s, queue.service_samples) == expected


def test_an_order_never_paid_or_fuelled_before_paid_gives_no_sample():
    assert fuelled_stage("st-1", None, T0) is None
    assert fuelled_stage("st-1", T0, T0 - timedelta(seconds=1)) is None
