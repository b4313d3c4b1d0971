"""Stations: one item each, holding prices, nozzles, stock and the queue counters, and indexed by
geohash cell (GSI `geo`, see domain/geocells.py) for nearby search."""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain.geocells import station_cell_keys
from chalicelib.domain.pricing import GradePrice
from chalicelib.domain.stations import Nozzle, QueueCounters, Station
from chalicelib.store.base import StageModel


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
    # 10-minute bucket -> orders created (domain/queueing.py)
    arrivals = MapAttribute(null=True)
    service_mean_s = NumberAttribute(null=True)
    service_samples = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


def to_station(model: StationModel, promotions=()) -> Station:
    grades = model.grades.as_dict() if isinstance(model.grades, MapAttribute) else model.grades
    nozzles = model.nozzles.as_dict() if isinstance(model.nozzles, MapAttribute) else model.nozzles
    stock = model.stock.as_dict() if isinstance(model.stock, MapAttribute) else model.stock
    arrivals = model.arrivals.as_dict() if isinstance(model.arrivals, MapAttribute) \
        else (model.arrivals or {})
    return Station(
        id=model.station_id, name=model.name, brand=model.brand, district=model.district,
        address=model.address, lat=float(model.lat), lng=float(model.lng),
        open_time=model.open_time, close_time=model.close_time, payee=model.payee,
        grades=tuple(GradePrice(grade=g, guide_price_fen=int(p["guide"]),
                                pump_price_fen=int(p["pump"]),
                                member_prices={k: int(v) for k, v in (p.get("member") or {}).items()})
                     for g, p in sorted(grades.items())),
        nozzles=tuple(sorted((Nozzle(no=int(no), grade=g) for no, g in nozzles.items()),
                             key=lambda n: n.no)),
        stock_ml={g: int(ml) for g, ml in stock.items()},
        promotions=tuple(promotions),
        queue=QueueCounters(arrivals={k: int(v) for k, v in arrivals.items()},
                            service_mean_s=float(model.service_mean_s)
                            if model.service_mean_s is not None else None,
                            service_samples=int(model.service_samples or 0)),
        version=int(model.version or 0))


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
        stock=dict(station.stock_ml), arrivals=dict(station.queue.arrivals) or None,
        service_mean_s=station.queue.service_mean_s,
        service_samples=station.queue.service_samples, version=station.version)


def get_station(station_id: str) -> Station | None:
    try:
        return to_station(StationModel.get(station_id))
    except StationModel.DoesNotExist:
        return None


def put_station(station: Station) -> None:
    """Create or replace a station (seeding and administration)."""
    to_model(station).save()
