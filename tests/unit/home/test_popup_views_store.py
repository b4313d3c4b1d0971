"""The per-user seen log on moto: one claim per slot, the latest view wins, expired slots cap nothing."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.store.marketing import popup_views
from tests.unit.home.conftest import NOW


def test_a_slot_is_claimed_once(aws):
    assert popup_views.claim_view("u1", "pp_a", "ever", NOW, NOW + timedelta(days=9)) is True
    assert popup_views.claim_view("u1", "pp_a", "ever", NOW, NOW + timedelta(days=9)) is False
    assert popup_views.claim_view("u2", "pp_a", "ever", NOW, NOW + timedelta(days=9)) is True


def test_the_log_holds_each_popups_latest_view(aws):
    day2 = NOW + timedelta(days=1)
    popup_views.claim_view("u1", "pp_a", "2026-11-27", day2, day2 + timedelta(days=2))
    popup_views.claim_view("u1", "pp_a", "2026-11-26", NOW, NOW + timedelta(days=2))
    popup_views.claim_view("u1", "pp_b", "ever", NOW, NOW + timedelta(days=5))

    assert popup_views.seen_log("u1", day2) == {"pp_a": day2, "pp_b": NOW}


def test_an_expired_slot_is_left_out_even_before_ttl_removes_it(aws):
    popup_views.claim_view("u1", "pp_a", "2026-11-26", NOW, NOW + timedelta(days=2))

    assert popup_views.seen_log("u1", NOW + timedelta(days=3)) == {}
