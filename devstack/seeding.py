"""Write the seed data (devstack/seed/) into the local tables through the store, as the app would.

Staff passwords are generated at every start and returned so the devstack can print them and
write them to .local/devstack.json; only their scrypt hashes are stored.
"""
from __future__ import annotations

import secrets
import uuid

from chalicelib.domain.passwords import hash_password
from chalicelib.domain.pricing import GradePrice
from chalicelib.domain.stations import Nozzle, Station
from chalicelib.store import staff as staff_store
from chalicelib.store import stations as station_store
from devstack import seed


def seed_staff() -> list[dict]:
    created = []
    for entry in seed.load_staff():
        password = secrets.token_urlsafe(9)
        staff_id = f"s_{uuid.uuid5(uuid.NAMESPACE_DNS, entry['username']).hex[:16]}"
        staff_store.put_staff(staff_store.StaffAccount(
            username=entry["username"], staff_id=staff_id, role=entry["role"],
            station_ids=frozenset(entry.get("station_ids", [])),
            password_hash=hash_password(password), display_name=entry.get("display_name")))
        created.append({"username": entry["username"], "password": password,
                        "role": entry["role"], "station_ids": entry.get("station_ids", [])})
    return created




def station_from_seed(entry: dict) -> Station:
    return Station(
        id=entry["id"], name=entry["name"], brand=entry["brand"], district=entry["district"],
        address=entry["address"], lat=entry["lat"], lng=entry["lng"],
        open_time=entry["hours"]["open"], close_time=entry["hours"]["close"],
        payee=entry["payee"],
        grades=tuple(GradePrice(grade=g["grade"], guide_price_fen=g["guide_price_fen"],
                                pump_price_fen=g["pump_price_fen"]) for g in entry["grades"]),
        nozzles=tuple(Nozzle(no=n["no"], grade=n["grade"]) for n in entry["nozzles"]),
        stock_ml={s["grade"]: s["liters_ml"] for s in entry["stock"]})


def seed_stations() -> int:
    stations = seed.load_stations()
    for entry in stations:
        station_store.put_station(station_from_seed(entry))
    return len(stations)


def seed_all() -> list[dict]:
    """Seed everything; returns the staff logins."""
    seed_stations()
    return seed_staff()
