"""Stations for tests: placed by bearing and distance from a centre, priced as asked."""
from __future__ import annotations

import math
import uuid
from datetime import datetime

from chalicelib.domain.stations.geo import EARTH_RADIUS_M
from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.stations import Nozzle, Station
from chalicelib.services.identity.tokens import STAFF, Principal

TAIYUAN = (37.8706, 112.5489)  # GCJ-02, Yingze district


def destination(lat: float, lng: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    phi, lmb, theta = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lmb2 = lmb + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi),
                            math.cos(delta) - math.sin(phi) * math.sin(phi2))
    return math.degrees(phi2), (math.degrees(lmb2) + 540.0) % 360.0 - 180.0


def make_station(station_id: str | None = None, *, at: tuple[float, float] = TAIYUAN,
                 bearing: float = 0.0, distance_m: float = 0.0, pump_92: int = 718,
                 guide_92: int = 718, nozzles: int = 4, stock_92_ml: int = 20_000_000,
                 open_time: str = "00:00", close_time: str = "24:00") -> Station:
    lat, lng = destination(*at, bearing, distance_m)
    return Station(
        id=station_id or f"st-{uuid.uuid4().hex[:10]}", name="测试加油站", brand="中国石化",
        district="迎泽区", address="太原市迎泽区测试路1号", lat=lat, lng=lng,
        open_time=open_time, close_time=close_time, payee="测试石油分公司",
        grades=(GradePrice("92", guide_92, pump_92), GradePrice("95", 768, 768)),
        nozzles=tuple(Nozzle(no=i + 1, grade="92" if i % 2 == 0 else "95") for i in range(nozzles)),
        stock_ml={"92": stock_92_ml, "95": 5_000_000})


def staff(role: str = "manager", *station_ids: str, subject: str = "s_test") -> Principal:
    return Principal(kind=STAFF, subject=subject, role=role, station_ids=frozenset(station_ids))


def count_order(station_id: str, at: datetime) -> None:
    """An order created at `at` counted on its station exactly as the order's own transaction
    counts it (services/stations/activity.py order_stage), with nothing else of an order."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.services.stations import activity
    from chalicelib.store.base import get_connection
    from chalicelib.store.stations import stations as station_store

    stage = activity.order_stage(station_store.read_station(station_id), at, None)
    with TransactWrite(connection=get_connection()) as tx:
        stage(tx)


def count_fuelling(station_id: str, paid_at: datetime, fuelled_at: datetime) -> None:
    """A confirmation's paid->fuelled time left on its station exactly as the confirmation's
    transaction leaves it (services/stations/activity.py fuelled_stage)."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.services.stations import activity
    from chalicelib.store.base import get_connection

    stage = activity.fuelled_stage(station_id, paid_at, fuelled_at)
    with TransactWrite(connection=get_connection()) as tx:
        stage(tx)
