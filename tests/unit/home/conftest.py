"""Home popups on moto: no popup cache unless a test asks for one, users and popups on demand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.services.marketing import home, popups as marketing_popups
from chalicelib.store.stations import stations as station_store
from chalicelib.store.identity import users as user_store
from tests.conftest import reset_caches
from tests.station_factory import make_station, staff

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
HQ = staff("hq", subject="s_marketing")


@pytest.fixture(autouse=True)
def fresh_popups(monkeypatch):
    monkeypatch.setenv("HOME_POPUP_CACHE_S", "0")
    reset_caches()
    home.clear_cache()
    yield
    home.clear_cache()


@pytest.fixture
def world(aws):
    station_store.put_station(make_station("ty-h1"))
    return World()


class World:
    def user(self, user_id: str, registered_days_ago: float = 100) -> str:
        user_store.create_user(user_store.User(
            id=user_id, openid=f"o-{user_id}",
            created_at=NOW - timedelta(days=registered_days_ago)))
        return user_id

    def popup(self, title: str = "欢迎", *, placement: str = "popup", priority: int = 0,
              frequency: str = "once_per_day", rules: list | None = None,
              starts: timedelta = timedelta(days=-1), ends: timedelta = timedelta(days=7)) -> str:
        created = marketing_popups.create_popup(
            HQ, title=title, image_url="https://img.example.cn/p.png", link="pages/home/index",
            starts_at=(NOW + starts).isoformat(), ends_at=(NOW + ends).isoformat(),
            placement=placement, priority=priority, frequency=frequency, rules=rules or [],
            now=NOW)
        return created.id
