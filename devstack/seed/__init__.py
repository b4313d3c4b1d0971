"""Seed data of the local stack: fuel stations in and around Taiyuan, and staff accounts.

A station (taiyuan_stations.json) holds `lat`/`lng` in GCJ-02, the system WeChat maps use;
grades with `guide_price_fen` (国标价, the provincial cap) and `pump_price_fen` (枪价), both
integer fen per litre; nozzles numbered from 1, each bound to one grade; tank stock per grade
in integer millilitres; opening hours as "HH:MM", with "00:00"-"24:00" meaning open all day;
and the legal payee name. Staff entries (staff.json) carry no password: the devstack makes one
per account at start and prints it. An hq account's empty `station_ids` means every station.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent
GRADES = ("92", "95", "98", "0")
DISTRICTS = frozenset({"小店区", "迎泽区", "杏花岭区", "万柏林区", "尖草坪区", "晋源区",
                       "清徐县", "阳曲县", "娄烦县", "古交市"})
# Sanity bounds, fen per litre: wide enough for a year of Shanxi price moves, narrow enough
# to catch a price typed in yuan (7.18) or ten times too big (7180).
PRICE_BOUNDS_FEN = {"92": (600, 800), "95": (650, 860), "98": (750, 960), "0": (600, 780)}
LAT_RANGE = (37.3, 38.4)
LNG_RANGE = (111.5, 113.2)
NOZZLE_COUNT_RANGE = (4, 12)
MAX_STOCK_ML = 120_000_000  # 120 m3 of one grade: more than a city station's tanks hold
STATION_ID = re.compile(r"^ty-\d{3}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
STRING_FIELDS = ("id", "name", "brand", "district", "address", "payee")


def load_stations() -> list[dict]:
    return json.loads((SEED_DIR / "taiyuan_stations.json").read_text(encoding="utf-8"))


def load_staff() -> list[dict]:
    return json.loads((SEED_DIR / "staff.json").read_text(encoding="utf-8"))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_station(station: dict) -> list[str]:
    """Problems of one station, in words; an empty list means it is fit to seed."""
    problems = [f"{f} must be a non-empty string" for f in STRING_FIELDS
                if not isinstance(station.get(f), str) or not station.get(f)]
    if problems:
        return problems
    if not STATION_ID.match(station["id"]):
        problems.append(f"id {station['id']!r} is not like 'ty-001'")
    if station["district"] not in DISTRICTS:
        problems.append(f"district {station['district']} is not one of Taiyuan's")
    elif station["district"] not in station["address"]:
        problems.append("address does not name the district")
    problems += _check_position(station.get("lat"), station.get("lng"))
    problems += _check_hours(station.get("hours"))
    sold = _check_grades(station.get("grades"), problems)
    _check_nozzles(station.get("nozzles"), sold, problems)
    _check_stock(station.get("stock"), sold, problems)
    return problems


def check_stations(stations: list[dict]) -> list[str]:
    """Problems of each station plus those across them: duplicate ids, and guide prices,
    which are set per province, differing between stations for one grade."""
    problems = [f"{s.get('id')}: {p}" for s in stations for p in check_station(s)]
    for sid, n in Counter(s.get("id") for s in stations).items():
        if n > 1:
            problems.append(f"id {sid} is used {n} times")
    guides: dict[str, set] = {}
    for s in stations:
        for g in s.get("grades") or []:
            guides.setdefault(g.get("grade"), set()).add(g.get("guide_price_fen"))
    problems += [f"grade {g} has several guide prices {sorted(p)}" for g, p in guides.items()
                 if len(p) > 1]
    return problems


def _check_position(lat, lng) -> list[str]:
    problems = []
    for name, value, (low, high) in (("lat", lat, LAT_RANGE), ("lng", lng, LNG_RANGE)):
        if not isinstance(value, float):
            problems.append(f"{name} must be a number with decimals")
        elif not low <= value <= high:
            problems.append(f"{name} {value} is outside the Taiyuan area {low}..{high}")
        elif round(value, 6) != value:
            problems.append(f"{name} {value} has more than 6 decimals")
    return problems


def _check_hours(hours) -> list[str]:
    if not isinstance(hours, dict):
        return ["hours must be {open, close}"]
    opens, closes = hours.get("open"), hours.get("close")
    if not isinstance(opens, str) or not CLOCK.match(opens):
        return [f"hours.open {opens!r} is not HH:MM"]
    if not isinstance(closes, str) or not (CLOCK.match(closes) or closes == "24:00"):
        return [f"hours.close {closes!r} is not HH:MM or 24:00"]
    # "HH:MM" strings order like the times they name; no seeded station closes after midnight
    return [] if opens < closes else [f"hours close {closes} is not after open {opens}"]


def _check_grades(grades, problems: list[str]) -> set[str]:
    if not isinstance(grades, list) or not grades:
        problems.append("grades must be a non-empty list")
        return set()
    sold: set[str] = set()
    for g in grades:
        grade, guide, pump = g.get("grade"), g.get("guide_price_fen"), g.get("pump_price_fen")
        if grade not in GRADES:
            problems.append(f"grade {grade!r} is not one of {GRADES}")
            continue
        if grade in sold:
            problems.append(f"grade {grade} is listed twice")
        sold.add(grade)
        low, high = PRICE_BOUNDS_FEN[grade]
        for name, price in (("guide_price_fen", guide), ("pump_price_fen", pump)):
            if not _is_int(price) or not low <= price <= high:
                problems.append(f"grade {grade} {name} {price!r} is outside {low}..{high}")
        if _is_int(guide) and _is_int(pump) and pump > guide:
            problems.append(f"grade {grade} pump price {pump} is above the guide price {guide}")
    return sold


def _check_nozzles(nozzles, sold: set[str], problems: list[str]) -> None:
    low, high = NOZZLE_COUNT_RANGE
    if not isinstance(nozzles, list) or not low <= len(nozzles) <= high:
        problems.append(f"a station has {low} to {high} nozzles")
        return
    numbers = [n.get("no") for n in nozzles]
    if not all(_is_int(no) and no >= 1 for no in numbers):
        problems.append("nozzle numbers must be integers from 1")
    elif len(set(numbers)) != len(numbers):
        problems.append(f"nozzle numbers repeat: {sorted(numbers)}")
    bound = {n.get("grade") for n in nozzles}
    problems += [f"nozzle grade {g!r} is not sold here" for g in sorted(bound - sold, key=str)]
    problems += [f"grade {g} has no nozzle" for g in sorted(sold - bound)]


def _check_stock(stock, sold: set[str], problems: list[str]) -> None:
    if not isinstance(stock, list):
        problems.append("stock must be a list")
        return
    stocked = [s.get("grade") for s in stock]
    if sorted(stocked, key=str) != sorted(sold):
        problems.append(f"stock grades {stocked} differ from the grades sold {sorted(sold)}")
    for s in stock:
        ml = s.get("liters_ml")
        if not _is_int(ml) or not 0 <= ml <= MAX_STOCK_ML:
            problems.append(f"stock of grade {s.get('grade')} {ml!r} is outside 0..{MAX_STOCK_ML}")
