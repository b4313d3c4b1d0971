"""Order events update a station's queue counters on moto and on DynamoDB Local.

The races run on DynamoDB Local only: moto does not serialize concurrent writes to one item,
so an atomic ADD can lose a count there that DynamoDB never loses."""
from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from chalicelib.domain.stations.queueing import arrival_bucket, update_mean_service
from chalicelib.services.stations.activity import record_order_created, record_order_fuelled
from chalicelib.store.stations import stations as station_store
from devstack import seed
from devstack.seeding import station_from_seed

T0 = datetime(2025, 3, 14, 8, 37, tzinfo=timezone.utc)


def _new_station(**changes) -> str:
    station = replace(station_from_seed(seed.load_stations()[0]),
                      id=f"st-{uuid.uuid4().hex[:12]}", **changes)
    station_store.put_station(station)
    return station.id


def test_arrivals_are_counted_per_ten_minute_bucket(dynamodb):
    station_id = _new_station()

    for minutes in (0, 1, 2, 11):
        record_order_created(station_id, T0 + timedelta(minutes=minutes))

    arrivals = station_store.get_station(station_id).queue.arrivals
    assert arrivals == {arrival_bucket(T0): 3, arrival_bucket(T0 + timedelta(minutes=11)): 1}


def test_buckets_older_than_the_window_are_pruned_by_the_next_arrival(dynamodb):
    station_id = _new_station()
    record_order_created(station_id, T0)
    record_order_created(station_id, T0 + timedelta(minutes=30))

    record_order_created(station_id, T0 + timedelta(minutes=75))

    arrivals = station_store.get_station(station_id).queue.arrivals
    assert arrival_bucket(T0) not in arrivals
    assert set(arrivals) == {arrival_bucket(T0 + timedelta(minutes=30)),
                             arrival_bucket(T0 + timedelta(minutes=75))}


def test_leftovers_of_a_long_quiet_spell_are_removed_too(dynamodb):
    station_id = _new_station()
    record_order_created(station_id, T0)

    record_order_created(station_id, T0 + timedelta(days=3))

    assert set(station_store.get_station(station_id).queue.arrivals) == {
        arrival_bucket(T0 + timedelta(days=3))}


def test_a_station_item_without_the_map_still_counts(dynamodb):
    station_id = _new_station()
    dynamodb.update_item(TableName="fuel-local-stations", Key={"station_id": {"S": station_id}},
                         UpdateExpression="REMOVE arrivals")

    record_order_created(station_id, T0)

    assert station_store.get_station(station_id).queue.arrivals == {arrival_bucket(T0): 1}


def test_concurrent_arrivals_are_all_counted(real_dynamodb):
    station_id = _new_station()
    barrier = threading.Barrier(8)

    def arrive():
        barrier.wait()
        record_order_created(station_id, T0)

    threads = [threading.Thread(target=arrive) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert station_store.get_station(station_id).queue.arrivals == {arrival_bucket(T0): 8}


def test_events_for_an_unknown_station_raise_nothing_and_write_nothing(dynamodb):
    missing = f"st-{uuid.uuid4().hex[:12]}"

    record_order_created(missing, T0)
    record_order_fuelled(missing, T0, T0 + timedelta(minutes=5))

    assert station_store.get_station(missing) is None


def test_fuelling_times_fold_into_the_learned_mean(dynamodb):
    station_id = _new_station()

    record_order_fuelled(station_id, T0, T0 + timedelta(seconds=300))
    record_order_fuelled(station_id, T0, T0 + timedelta(seconds=200))

    queue = station_store.get_station(station_id).queue
    expected = update_mean_service(*update_mean_service(None, 0, 300), 200)
    assert (queue.service_mean_s, queue.service_samples) == (expected[0], expected[1])


def test_concurrent_fuellings_lose_no_sample(real_dynamodb):
    station_id = _new_station()
    barrier = threading.Barrier(3)

    def fuelled():
        barrier.wait()
        record_order_fuelled(station_id, T0, T0 + timedelta(seconds=240))

    threads = [threading.Thread(target=fuelled) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    queue = station_store.get_station(station_id).queue
    assert queue.service_samples == 3 and queue.service_mean_s == 240.0
