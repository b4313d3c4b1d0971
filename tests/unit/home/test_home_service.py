"""What the home page shows whom, and how views keep the frequency caps."""
from __future__ import annotations

import importlib
import uuid
from datetime import timedelta

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.orders.orders import Order
from chalicelib.services.marketing import home, popups as marketing_popups
from chalicelib.store.marketing import popups as popup_store
from chalicelib.store.orders.orders import to_model
from tests.station_factory import TAIYUAN, destination
from tests.unit.home.conftest import HQ, NOW

NEXT_DAY = NOW + timedelta(days=1)


def shown(user_id, now=NOW, position=None) -> tuple[str | None, list[str]]:
    answer = home.home_for(user_id, position, now=now)
    popup = answer["popup"]
    return popup.title if popup else None, [b.title for b in answer["banners"]]


def test_nothing_to_show_is_an_empty_home(world):
    assert home.home_for(world.user("u1"), None, now=NOW) == {"popup": None, "banners": []}


def test_the_highest_priority_popup_shows_alone_and_banners_in_priority_order(world):
    world.popup("低", priority=1)
    world.popup("高", priority=9)
    world.popup("横幅乙", placement="banner", priority=1)
    world.popup("横幅甲", placement="banner", priority=5)

    assert shown(world.user("u1")) == ("高", ["横幅甲", "横幅乙"])


def test_a_popup_outside_its_window_or_paused_does_not_show(world):
    world.popup("未开始", starts=timedelta(hours=1))
    paused = world.popup("已暂停")
    marketing_popups.change_popup(HQ, paused, "pause", now=NOW)

    assert shown(world.user("u1")) == (None, [])
    assert shown("u1", now=NOW + timedelta(days=8)) == (None, [])


def test_once_per_day_hides_a_seen_popup_until_the_next_shanghai_day(world):
    world.popup("每日", frequency="once_per_day")
    user = world.user("u1")

    home.record_seen(user, popup_store.popups_not_ended(NOW)[0].popup.id, now=NOW)

    assert shown(user) == (None, [])
    assert shown(user, now=NOW + timedelta(hours=13)) == (None, [])  # 23:00 in Shanghai
    assert shown(user, now=NOW + timedelta(hours=14)) == ("每日", [])  # next day there


def test_once_ever_never_shows_again(world):
    popup_id = world.popup("一次", frequency="once_ever")
    user = world.user("u1")

    home.record_seen(user, popup_id, now=NOW)

    assert shown(user, now=NOW + timedelta(days=3)) == (None, [])


def test_a_second_view_in_the_same_slot_is_not_counted_again(world):
    popup_id = world.popup("每日")
    user = world.user("u1")

    first = home.record_seen(user, popup_id, now=NOW)
    second = home.record_seen(user, popup_id, now=NOW + timedelta(minutes=1))
    next_day = home.record_seen(user, popup_id, now=NEXT_DAY)

    assert (first, second, next_day) == (True, False, True)
    stats = popup_store.with_stats(popup_store.get_popup(popup_id))
    assert (stats.shown, stats.clicked) == (2, 0)


def test_unlimited_popups_show_and_count_every_time(world):
    popup_id = world.popup("不限", frequency="unlimited")
    user = world.user("u1")

    assert [home.record_seen(user, popup_id, now=NOW) for _ in range(3)] == [True] * 3
    assert shown(user) == ("不限", [])


def test_clicks_are_counted_and_unknown_popups_are_not_found(world):
    popup_id = world.popup("点我")

    home.record_click("u1", popup_id, now=NOW)
    home.record_click("u2", popup_id, now=NOW)

    assert popup_store.with_stats(popup_store.get_popup(popup_id)).clicked == 2
    with pytest.raises(NotFound):
        home.record_seen("u1", "pp_nothing", now=NOW)
    with pytest.raises(NotFound):
        home.record_click("u1", "a#b", now=NOW)


def test_new_user_popups_show_to_new_users_only(world):
    world.popup("新人礼", rules=[{"kind": "new_user", "days": 7}])

    assert shown(world.user("fresh", registered_days_ago=2)) == ("新人礼", [])
    assert shown(world.user("old", registered_days_ago=30)) == (None, [])


def test_near_station_popups_need_a_position_near_the_station(world):
    world.popup("附近", rules=[{"kind": "near_station", "station_id": "ty-h1", "radius_m": 1000}])
    user = world.user("u1")

    assert shown(user, position=destination(*TAIYUAN, 90, 400)) == ("附近", [])
    assert shown(user, position=destination(*TAIYUAN, 90, 3000)) == (None, [])
    assert shown(user, position=None) == (None, [])


def test_district_popups_use_the_district_of_the_nearest_station(world):
    world.popup("迎泽", rules=[{"kind": "district", "districts": ["迎泽区"]}])
    user = world.user("u1")

    assert shown(user, position=destination(*TAIYUAN, 0, 800)) == ("迎泽", [])
    assert shown(user, position=destination(*TAIYUAN, 0, 40_000)) == (None, [])


def test_member_level_popups_ask_membership_for_the_level(world, monkeypatch):
    membership = importlib.import_module("chalicelib.services.wallet.membership")
    monkeypatch.setattr(membership, "member_level_of",
                        lambda user_id, now: {"gold-user": "gold"}.get(user_id))
    world.popup("金卡", rules=[{"kind": "member_level", "levels": ["gold", "platinum"]}])

    assert shown(world.user("gold-user")) == ("金卡", [])
    assert shown(world.user("plain-user")) == (None, [])


def _fuelled_order(user_id: str, days_ago: float) -> None:
    at = NOW - timedelta(days=days_ago)
    to_model(Order(
        id=f"o{uuid.uuid4().hex[:20]}", user_id=user_id, openid="o", station_id="ty-h1",
        station_name="站", grade="92", nozzle_no=1, price_fen=718, list_price_fen=718,
        pump_amount_fen=20000, discount_fen=0, pay_amount_fen=20000, liters_ml=27855,
        pay_method="wechatpay", description="d", request_hash="h", created_at=at,
        expires_at=at + timedelta(minutes=15), status="FUELLED", paid_at=at,
        fuelled_at=at + timedelta(minutes=5), actual_amount_fen=20000, version=2)).save()


def test_inactive_days_popups_reach_drivers_who_have_not_fuelled_lately(world):
    world.popup("好久不见", rules=[{"kind": "inactive_days", "days": 30}])
    lapsed, regular = world.user("lapsed"), world.user("regular")
    _fuelled_order(lapsed, 45)
    _fuelled_order(regular, 45)
    _fuelled_order(regular, 3)

    assert shown(lapsed) == ("好久不见", [])
    assert shown(regular) == (None, [])
    assert shown(world.user("never", registered_days_ago=60)) == ("好久不见", [])
    assert shown(world.user("newcomer", registered_days_ago=5)) == (None, [])


def test_a_cached_popup_list_is_read_again_once_it_is_stale(world, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("HOME_POPUP_CACHE_S", "60")
    reset_caches()
    user = world.user("u1")
    assert shown(user) == (None, [])

    world.popup("新")

    assert shown(user) == (None, [])  # this Lambda read the list a moment ago
    home.clear_cache()
    assert shown(user) == ("新", [])
