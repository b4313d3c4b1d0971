"""Stations: one item each, holding prices, nozzles, stock and the queue counters, and indexed by
geohash cell (GSI `geo`, see domain/stations/geocells.py) for nearby search."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain import times
from chalicelib.domain.stations.geocells import station_cell_keys
from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.promotions import Promotion
from chalicelib.domain.stations.queueing import fold_pending_service
from chalicelib.domain.stations.stations import Nozzle, QueueCounters, Station
from chalicelib.store.stations import promotions as promotion_store
from chalicelib.store.base import StageModel, plain_json_reads, plain_value
from chalicelib.store.stations.density import density_cell, move_station


class GeoIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "geo"
        projection = AllProjection()

    geo_cell = UnicodeAttribute(hash_key=True)
    geo_sort = UnicodeAttribute(range_key=True)


class StationModel(StageModel):
    logical_name = "stations"

    class Meta:
        pass

    station_id = UnicodeAttribute(hash_key=True)
    geo_cell = UnicodeAttribute()
    geo_sort = UnicodeAttribute()
    geo = GeoIndex()
    name = UnicodeAttribute()
    brand = UnicodeAttribute()
    district = UnicodeAttribute()
    address = UnicodeAttribute()
    payee = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()
    open_time = UnicodeAttribute()
    close_time = UnicodeAttribute()
    # grade -> {"guide": fen/L, "pump": fen/L, "member": {level: fen/L}}
    grades = MapAttribute()
    # nozzle number (as text) -> grade
    nozzles = MapAttribute()
    # grade -> millilitres in the tank
    stock = MapAttribute()
    # 10-minute bucket -> orders created (domain/stations/queueing.py)
    arrivals = MapAttribute(null=True)
    service_mean_s = NumberAttribute(null=True)
    service_samples = NumberAttribute(default=0)
    # Confirmed service times not yet folded into the mean: sum of clamped seconds and count,
    # each confirmation ADDs to them in its own transaction (store/stations/queue_counters.py)
    service_pending_sum_s = NumberAttribute(null=True)
    service_pending_n = NumberAttribute(null=True)
    # promotion id -> promotion document (store/stations/promotions.py): the station-scoped promotions,
    # kept in step with the promotions table by the same transaction (station_changes.py)
    promotions = MapAttribute(null=True)
    # bumped by every price change; the price transaction is conditional on it
    version = NumberAttribute(default=0)


def _plain(value) -> dict:
    if isinstance(value, MapAttribute):
        return value.as_dict()
    return value or {}


def own_promotions(model: StationModel) -> list[Promotion]:
    """The station-scoped promotions the item carries (ended ones included, in id order)."""
    return _promotions(_plain(model.promotions))


def _promotions(docs: dict) -> list[Promotion]:
    return [promotion_store.from_doc(docs[key]) for key in sorted(docs)]


_DOC_FIELDS = ("station_id", "name", "brand", "district", "address", "payee", "lat", "lng",
               "open_time", "close_time", "grades", "nozzles", "stock", "arrivals",
               "service_mean_s", "service_samples", "service_pending_sum_s",
               "service_pending_n", "version")


def to_station(model: StationModel, promotions=()) -> Station:
    return _station({name: getattr(model, name) for name in _DOC_FIELDS}, promotions)


def _station(doc: dict, promotions=()) -> Station:
    """A Station from the item's attributes as plain values (maps as dicts)."""
    grades, nozzles, stock = _plain(doc["grades"]), _plain(doc["nozzles"]), _plain(doc["stock"])
    arrivals = _plain(doc.get("arrivals"))
    return Station(
        id=doc["station_id"], name=doc["name"], brand=doc["brand"], district=doc["district"],
        address=doc["address"], lat=float(doc["lat"]), lng=float(doc["lng"]),
        open_time=doc["open_time"], close_time=doc["close_time"], payee=doc["payee"],
        grades=tuple(GradePrice(grade=g, guide_price_fen=int(p["guide"]),
                                pump_price_fen=int(p["pump"]),
                                member_prices={k: int(v) for k, v in (p.get("member") or {}).items()})
                     for g, p in sorted(grades.items())),
        nozzles=tuple(sorted((Nozzle(no=int(no), grade=g) for no, g in nozzles.items()),
                             key=lambda n: n.no)),
        stock_ml={g: int(ml) for g, ml in stock.items()},
        promotions=tuple(promotions),
        queue=_queue(doc, arrivals), version=int(doc.get("version") or 0))


def _queue(doc: dict, arrivals: dict) -> QueueCounters:
    """The queue counters with the confirmations' pending service times folded into the mean."""
    pending_sum = float(doc.get("service_pending_sum_s") or 0)
    pending = int(doc.get("service_pending_n") or 0)
    mean, samples = fold_pending_service(
        float(doc["service_mean_s"]) if doc.get("service_mean_s") is not None else None,
        int(doc.get("service_samples") or 0), pending_sum, pending)
    return QueueCounters(arrivals={k: int(v) for k, v in arrivals.items()}, service_mean_s=mean,
                         service_samples=samples, pending_sum_s=pending_sum,
                         pending_samples=pending)


def station_from_item(raw: dict) -> Station:
    """The station of an index item as DynamoDB answered it, with its own promotions: the same
    Station as to_station(StationModel.from_raw_data(raw)), a few times faster."""
    doc = {name: plain_value(value) for name, value in raw.items()}
    return _station(doc, _promotions(doc.get("promotions") or {}))


def to_model(station: Station) -> StationModel:
    cell, sort = station_cell_keys(station.lat, station.lng, station.id)
    return StationModel(
        station.id, geo_cell=cell, geo_sort=sort, name=station.name, brand=station.brand,
        district=station.district, address=station.address, payee=station.payee,
        lat=station.lat, lng=station.lng, open_time=station.open_time,
        close_time=station.close_time,
        grades={g.grade: {"guide": g.guide_price_fen, "pump": g.pump_price_fen,
                          "member": dict(g.member_prices)} for g in station.grades},
        nozzles={str(n.no): n.grade for n in station.nozzles},
        stock=dict(station.stock_ml),
        # Only the station's own promotions live on its item; chain-wide ones have their index.
        promotions={p.id: promotion_store.to_doc(p) for p in station.promotions
                     if p.station_ids is not None},
        # Always a map, even empty: a nested ADD needs the parent map to exist on DynamoDB.
        arrivals=dict(station.queue.arrivals),
        service_mean_s=station.queue.service_mean_s,
        service_samples=station.queue.service_samples, version=station.version)


def get_station(station_id: str, now: datetime | None = None) -> Station | None:
    """The station with the promotions active at `now` (its own and chain-wide), or None.

    Orders price with quote(station.grades, station.promotions, ...), the same inputs the
    nearby list uses, so the list and the payment agree.
    """
    now = now or times.now()
    station = read_station(station_id)
    if station is None:
        return None
    return with_active_promotions(station, promotion_store.chain_promotions_not_ended(now), now)


def with_active_promotions(station: Station, chain: list[Promotion], now: datetime) -> Station:
    """The station (as read, with its own promotions) with only the promotions active at `now`,
    its own and the chain-wide ones `chain`."""
    candidates = list(station.promotions) + list(chain)
    return replace(station, promotions=tuple(p for p in candidates
                                             if p.starts_at <= now < p.ends_at))


def read(station_id: str):
    """A batch read (store/batch.py) of the station as read_station answers it."""
    from chalicelib.store.batch import Read

    return Read(StationModel, station_id,
                lambda model: None if model is None else to_station(model, own_promotions(model)))


def read_station(station_id: str) -> Station | None:
    """The station as stored (consistent read), with its own promotions, ended ones included."""
    try:
        model = StationModel.get(station_id, consistent_read=True)
    except StationModel.DoesNotExist:
        return None
    return to_station(model, own_promotions(model))


def page_stations(limit: int, after: str | None) -> tuple[list[Station], str | None]:
    """Up to `limit` stations in the table's own (hash) order, from after the station `after`;
    and the last id read when the table may hold more (a scan: hq's list of the chain)."""
    start = {"station_id": {"S": after}} if after else None
    page = StationModel.scan(limit=limit, page_size=limit, last_evaluated_key=start)
    stations = [to_station(model) for model in page]
    last = page.last_evaluated_key
    return stations, (last["station_id"]["S"] if last and len(stations) == limit else None)


def put_station(station: Station) -> None:
    """Create or replace a station (seeding and administration), keeping the density map."""
    try:
        old = StationModel.get(station.id, consistent_read=True, attributes_to_get=["lat", "lng"])
        previous = (float(old.lat), float(old.lng))
    except StationModel.DoesNotExist:
        previous = None
    to_model(station).save()
    if previous is None or density_cell(*previous) != density_cell(station.lat, station.lng):
        move_station(previous, (station.lat, station.lng))


@dataclass
class GeoReadStats:
    """What a search cost the index: Query calls (pages included), items read and returned."""
    ranges: int = 0
    queries: int = 0
    scanned: int = 0
    capacity_units: float = 0.0
    density_items: int = 0  # density-map items read (the whole map, on a process's first search)


class IndexedStation:
    """A station as the geo index answered it: its id and place at once, the rest decoded on
    first use. A search reads about three stations for each it shows, and decoding an item
    costs more than measuring its distance."""

    __slots__ = ("id", "lat", "lng", "_raw", "_station")

    def __init__(self, station_id: str, lat: float, lng: float, *, raw: dict | None = None,
                 station: Station | None = None):
        self.id, self.lat, self.lng = station_id, lat, lng
        self._raw, self._station = raw, station

    @classmethod
    def of(cls, station: Station) -> "IndexedStation":
        return cls(station.id, station.lat, station.lng, station=station)

    def station(self) -> Station:
        """The station with its own promotions (ended ones included)."""
        if self._station is None:
            self._station, self._raw = station_from_item(self._raw), None
        return self._station


def stations_in_ranges(ranges, stats: GeoReadStats) -> list[IndexedStation]:
    """Every station whose geo keys fall in one of `ranges` (geocells.CellRange). One Query
    per range (more only past 1 MB pages), run side by side: a search waits for its slowest
    range, not for their sum. They are sent in the order given, the first from the calling
    thread (it holds the interpreter already, so no other query is built before it)."""
    connection = StationModel._get_connection()
    plain_json_reads(connection, "Query")
    others = [_range_readers().submit(_read_range, connection, r) for r in ranges[1:]]
    answers = [_read_range(connection, r) for r in ranges[:1]] + [f.result() for f in others]
    found = []
    for items, queries, scanned, units in answers:
        stats.ranges += 1
        stats.queries += queries
        stats.scanned += scanned
        stats.capacity_units += units
        found += [IndexedStation(raw["station_id"]["S"], float(raw["lat"]["N"]),
                                 float(raw["lng"]["N"]), raw=raw) for raw in items]
    return found


@lru_cache(maxsize=1)
def _range_readers():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=9, thread_name_prefix="geo-range")


def _read_range(connection, cell_range) -> tuple[list, int, int, float]:
    """The range's items, Query by Query, sent on the connection's botocore client with the
    request written out: PynamoDB would build the same request from expression objects, about
    0.1 ms of the interpreter per Query while the ring's other queries wait to be sent."""
    client = connection.connection.client
    request = {"TableName": connection.table_name, "IndexName": "geo",
               "KeyConditionExpression": "#cell = :cell AND #sort BETWEEN :lo AND :hi",
               "ExpressionAttributeNames": {"#cell": "geo_cell", "#sort": "geo_sort"},
               "ExpressionAttributeValues": {":cell": {"S": cell_range.partition},
                                             ":lo": {"S": cell_range.lo},
                                             ":hi": {"S": cell_range.hi}},
               "ReturnConsumedCapacity": "TOTAL"}
    items, queries, scanned, units = [], 0, 0, 0.0
    while True:
        page = client.query(**request)
        queries += 1
        scanned += int(page.get("ScannedCount", 0))
        units += float((page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0))
        items += page.get("Items", [])
        if not page.get("LastEvaluatedKey"):
            return items, queries, scanned, units
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
