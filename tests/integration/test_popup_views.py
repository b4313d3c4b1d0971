"""Frequency caps across devices, on DynamoDB Local: views of one popup reported at the same
moment from several devices take the impression slot once and count once.

The views are dated from the wall clock: a slot item expires (TTL) two days after its view, and
DynamoDB Local, like DynamoDB, deletes expired items on its own, within seconds. Views dated in
the past would have their slot deleted while the other devices still race for it, and a second
device would take it again."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

from chalicelib.services.marketing import home, popups as marketing_popups
from chalicelib.store.marketing import popups as popup_store
from tests.station_factory import staff

SHANGHAI = timezone(timedelta(hours=8))
# 10:00 in Shanghai tomorrow: in the future of the engine's clock, and far from a day's edge, so
# the ten views a few seconds apart share one daily slot.
NOW = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def _popup(frequency: str) -> str:
    return marketing_popups.create_popup(
        staff("hq"), title="并发", image_url="https://img.example.cn/c.png",
        starts_at=(NOW - timedelta(hours=1)).isoformat(),
        ends_at=(NOW + timedelta(days=1)).isoformat(), frequency=frequency, now=NOW).id


def _seen_together(user: str, popup_id: str, devices: int) -> list[bool]:
    barrier, counted = threading.Barrier(devices), []

    def view(k):
        barrier.wait()
        counted.append(home.record_seen(user, popup_id, now=NOW + timedelta(seconds=k)))

    threads = [threading.Thread(target=view, args=(k,)) for k in range(devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counted


def test_concurrent_views_in_one_slot_count_once(real_dynamodb, monkeypatch):
    monkeypatch.setenv("HOME_POPUP_CACHE_S", "0")
    popup_id, user = _popup("once_per_day"), f"u-{uuid.uuid4().hex[:10]}"

    counted = _seen_together(user, popup_id, 10)

    assert sorted(counted) == [False] * 9 + [True]
    assert popup_store.with_stats(popup_store.get_popup(popup_id)).shown == 1
    assert home.home_for(user, None, now=NOW + timedelta(minutes=1))["popup"] is None


def test_views_of_different_users_all_count(real_dynamodb, monkeypatch):
    monkeypatch.setenv("HOME_POPUP_CACHE_S", "0")
    popup_id = _popup("once_ever")

    for k in range(5):
        assert home.record_seen(f"u-{uuid.uuid4().hex[:10]}", popup_id, now=NOW)

    assert popup_store.with_stats(popup_store.get_popup(popup_id)).shown == 5
