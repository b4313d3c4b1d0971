"""Write the seed data (devstack/seed/) into the local tables through the store, as the app would.

Staff passwords are generated at every start and returned so the devstack can print them and
write them to .local/devstack.json; only their scrypt hashes are stored.
"""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone

from chalicelib.domain.marketing.coupons import AMOUNT_OFF, PER_LITRE_OFF, CouponTemplate
from chalicelib.domain.passwords import hash_password
from chalicelib.domain.stations.prices import GradePrice
from chalicelib.domain.stations.stations import Nozzle, Station
from chalicelib.domain.marketing.targeting import (
    BANNER, ONCE_EVER, POPUP, UNLIMITED, NewUser, Popup)
from chalicelib.store.marketing import coupon_templates
from chalicelib.store.marketing import popups as popup_store
from chalicelib.store.identity import staff as staff_store
from chalicelib.store.stations import stations as station_store
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
                                pump_price_fen=g["pump_price_fen"],
                                member_prices=g.get("member_prices", {}))
                     for g in entry["grades"]),
        nozzles=tuple(Nozzle(no=n["no"], grade=n["grade"]) for n in entry["nozzles"]),
        stock_ml={s["grade"]: s["liters_ml"] for s in entry["stock"]})


def seed_stations() -> int:
    stations = seed.load_stations()
    for entry in stations:
        station_store.put_station(station_from_seed(entry))
    return len(stations)


def seed_popups(now=None) -> int:
    """Two home cards to see locally: a welcome popup for drivers in their first week (once
    ever) and a chain-wide banner (unlimited), both running for a year from the start."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=365)}
    cards = [
        (Popup(id="pp_seed_welcome", priority=10, frequency=ONCE_EVER, rules=(NewUser(7),),
               placement=POPUP, **window), "新人加油礼：首单立减10元", "pages/coupon/index"),
        (Popup(id="pp_seed_banner", priority=1, frequency=UNLIMITED, placement=BANNER, **window),
         "周三会员日 92#每升直降3毛", "pages/station/list"),
    ]
    for popup, title, link in cards:
        popup_store.create_popup(popup_store.PopupRecord(
            popup, title, f"https://static.fuel.example.cn/popups/{popup.id}.png", link,
            popup_store.ACTIVE, "seed", now))
    return len(cards)


def seed_coupon_templates(now=None) -> int:
    """Coupon centre templates claimable for a year: 满200减10 at every station, 92# 每升减0.30
    at three stations (valid 30 days from the claim), and a 无门槛减5元 that sells out soon."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=365)}
    templates = [
        CouponTemplate(id="ct_seed_full200off10", kind=AMOUNT_OFF, title="满200减10元",
                       total_stock=100_000, per_user_limit=2, amount_off_fen=1_000,
                       min_spend_fen=20_000, **window),
        CouponTemplate(id="ct_seed_92perlitre30", kind=PER_LITRE_OFF, title="92#每升减0.30元",
                       total_stock=5_000, per_user_limit=1, per_litre_off_fen=30,
                       station_ids=frozenset({"ty-001", "ty-002", "ty-003"}),
                       grades=frozenset({"92"}), valid_days=30, **window),
        CouponTemplate(id="ct_seed_flash5yuan0", kind=AMOUNT_OFF, title="限量无门槛5元券",
                       total_stock=20, per_user_limit=1, amount_off_fen=500, **window),
    ]
    for template in templates:
        coupon_templates.put_template(template, "seed", now)
    return len(templates)


def seed_all() -> list[dict]:
    """Seed everything; returns the staff logins."""
    seed_stations()
    seed_popups()
    seed_coupon_templates()
    return seed_staff()
