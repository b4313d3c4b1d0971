"""The density map follows the stations put into the store."""
from __future__ import annotations

import time
from dataclasses import replace

from pynamodb.expressions.operand import Path

from chalicelib.store.stations import density as station_density
from chalicelib.store.stations import stations as station_store
from tests.station_factory import make_station


def counts_around(station):
    cell = station_density.density_cell(station.lat, station.lng)
    counts, _ = station_density.counts_in([cell[:3]])
    return counts, cell


def test_new_stations_are_counted_in_their_cell(aws):
    first = make_station(distance_m=10)
    station_store.put_station(first)
    station_store.put_station(make_station(distance_m=20))

    counts, cell = counts_around(first)

    assert counts[cell] == 2


def test_replacing_a_station_in_place_does_not_count_it_twice(aws):
    station = make_station()
    station_store.put_station(station)
    station_store.put_station(replace(station, name="改名加油站"))

    counts, cell = counts_around(station)

    assert counts[cell] == 1


def test_a_moved_station_leaves_its_old_cell(aws):
    station = make_station()
    station_store.put_station(station)
    moved = make_station(station.id, bearing=90, distance_m=30_000)

    station_store.put_station(moved)

    old_counts, old_cell = counts_around(station)
    new_counts, new_cell = counts_around(moved)
    assert old_cell != new_cell
    assert old_counts[old_cell] == 0 and new_counts[new_cell] == 1


def test_an_unknown_partition_reads_as_empty(aws):
    assert station_density.counts_in(["zzz"]) == ({}, 0)


def test_a_process_reads_the_map_once_and_its_own_writes_show_at_once(aws):
    first = make_station(distance_m=10)
    station_store.put_station(first)
    cell = station_density.density_cell(first.lat, first.lng)

    counts, items = station_density.counts_in([cell[:3]])
    assert counts[cell] == 1 and items == 1  # the whole map, one partition item here

    station_store.put_station(make_station(distance_m=20))
    counts, items = station_density.counts_in([cell[:3]])
    assert counts[cell] == 2 and items == 0  # from memory, with this process's write


def test_another_process_s_count_shows_once_the_map_is_read_again(aws, monkeypatch):
    station = make_station()
    station_store.put_station(station)
    cell = station_density.density_cell(station.lat, station.lng)
    assert station_density.counts_in([cell[:3]])[0][cell] == 1
    station_density.DensityModel._get_connection().update_item(  # as another process adds
        cell[:3], actions=[Path([cell]).add(4)])

    assert station_density.counts_in([cell[:3]])[0][cell] == 1  # kept: a stale map only costs reads
    monkeypatch.setattr(station_density, "MAX_AGE_S", 0.0)
    assert station_density.counts_in([cell[:3]])[0][cell] in (1, 5)  # not waiting for the read

    deadline = time.monotonic() + 30
    while station_density.counts_in([cell[:3]])[0][cell] != 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert station_density.counts_in([cell[:3]])[0][cell] == 5
