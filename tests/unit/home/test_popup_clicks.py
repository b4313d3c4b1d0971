"""Finding 8: a driver's clicks on a popup count once, and never on a paused or ended popup."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.services.marketing import home, popups as marketing_popups
from chalicelib.store.marketing import popups as popup_store
from tests.unit.home.conftest import HQ, NOW


def clicks(popup_id) -> int:
    return popup_store.with_stats(popup_store.get_popup(popup_id)).clicked


def test_repeated_clicks_of_one_driver_count_once(world):
    popup_id = world.popup("点我")

    answers = [home.record_click("u1", popup_id, now=NOW + timedelta(minutes=m))
               for m in range(3)]

    assert answers == [True, False, False] and clicks(popup_id) == 1


def test_a_paused_popup_counts_no_clicks(world):
    popup_id = world.popup("暂停")
    marketing_popups.change_popup(HQ, popup_id, "pause", now=NOW)

    assert home.record_click("u1", popup_id, now=NOW) is False
    assert clicks(popup_id) == 0


def test_an_ended_popup_counts_no_clicks(world):
    popup_id = world.popup("过期", ends=timedelta(hours=1))

    assert home.record_click("u1", popup_id, now=NOW + timedelta(hours=2)) is False
    assert clicks(popup_id) == 0


def test_a_click_does_not_count_as_a_view(world):
    popup_id = world.popup("看过", frequency="once_ever")
    home.record_click("u1", popup_id, now=NOW)

    assert home.record_seen("u1", popup_id, now=NOW) is True
