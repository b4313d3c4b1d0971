"""The density map follows the stations put into the store."""
from __future__ import annotations

from dataclasses import replace

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
