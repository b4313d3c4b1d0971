"""A station written to the store reads back the same, with its geo index keys."""
from __future__ import annotations

from chalicelib.domain.stations.geocells import station_cell_keys
from chalicelib.store.stations import stations as station_store
from devstack import seed
from devstack.seeding import seed_stations, station_from_seed


def test_seeded_station_reads_back_whole(aws):
    entry = seed.load_stations()[0]
    station = station_from_seed(entry)

    station_store.put_station(station)

    assert station_store.get_station(station.id) == station


def test_seeding_writes_every_station_with_its_geo_keys(aws):
    count = seed_stations()
    items = aws.scan(TableName="fuel-local-stations")["Items"]
    assert count == len(items) >= 40
    first = next(i for i in items if i["station_id"]["S"] == "ty-001")
    cell, sort = station_cell_keys(float(first["lat"]["N"]), float(first["lng"]["N"]), "ty-001")
    assert (first["geo_cell"]["S"], first["geo_sort"]["S"]) == (cell, sort)


def test_unknown_station_is_none(aws):
    assert station_store.get_station("ty-999") is None
