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


def test_an_index_item_decodes_to_the_station_pynamodb_reads():
    from dataclasses import replace
    from datetime import datetime, timezone

    from chalicelib.domain.stations.prices import GradePrice
    from chalicelib.domain.stations.promotions import PER_LITRE_OFF, Promotion
    from chalicelib.domain.stations.stations import QueueCounters
    from tests.station_factory import make_station

    base = make_station("st-decode")
    own = Promotion(id="p1", kind=PER_LITRE_OFF, title="直降", per_litre_off_fen=30,
                    starts_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
                    ends_at=datetime(2025, 2, 1, tzinfo=timezone.utc),
                    station_ids={"st-decode"}, grades={"92"})
    station = replace(base, grades=base.grades + (GradePrice("95", 790, 800, {"gold": 780}),),
                      promotions=(own,), version=7,
                      queue=QueueCounters(arrivals={"20250101T0010": 3}, service_mean_s=215.5,
                                          service_samples=12))
    raw = station_store.to_model(station).serialize()
    raw["station_id"] = {"S": station.id}

    model = station_store.StationModel.from_raw_data(raw)
    expected = station_store.to_station(model, station_store.own_promotions(model))
    assert station_store.station_from_item(raw) == expected
    assert expected.promotions == (own,) and expected.version == 7


def test_ranges_read_every_station_once_across_pages_and_threads(aws, monkeypatch):
    """Each range is read Query by Query until DynamoDB says it is done (here two stations a
    page), the first range from the calling thread and the rest side by side."""
    from chalicelib.domain.stations.geocells import plan_queries
    from tests.station_factory import TAIYUAN, make_station

    stations = [make_station(f"pg-{k:02d}", bearing=k * 36.0, distance_m=300.0 + 150 * k)
                for k in range(10)]
    for station in stations:
        station_store.put_station(station)
    connection = station_store.StationModel._get_connection()
    client = connection.connection.client
    query = client.query
    monkeypatch.setattr(client, "query", lambda **request: query(Limit=2, **request))
    ranges = plan_queries(*TAIYUAN, 2_500, max_queries=4)
    stats = station_store.GeoReadStats()

    found = station_store.stations_in_ranges(ranges, stats)

    assert len(ranges) > 1
    assert sorted(f.id for f in found) == sorted(s.id for s in stations)
    assert {f.id: f.station() for f in found} == {s.id: s for s in stations}
    assert stats.ranges == len(ranges) and stats.queries >= len(found) // 2 + 1
