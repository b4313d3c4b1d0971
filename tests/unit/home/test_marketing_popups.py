"""HQ marketing creating, listing, pausing, resuming and ending popups; what is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.api.staff_marketing_popups import PopupAdminView
from chalicelib.api.shapes import shaped
from chalicelib.domain.errors import DomainError
from chalicelib.services.marketing import home, popups as marketing_popups
from tests.station_factory import staff
from tests.unit.home.conftest import HQ, NOW

WINDOW = {"starts_at": "2026-11-26T00:00:00Z", "ends_at": "2026-12-03T00:00:00+08:00"}


def create(who=HQ, **changes) -> dict:
    """The new popup as the staff route answers it."""
    fields = {"title": "双十二加油节", "image_url": "https://img.example.cn/a.png", **WINDOW,
              **changes}
    return shaped(marketing_popups.create_popup(who, now=NOW, **fields), PopupAdminView)


def refused(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    return type(err.value).__name__, err.value.code


def test_hq_creates_a_popup_that_is_live_in_its_window(world):
    popup = create(priority=5, frequency="once_ever", link="/pages/coupon/index",
                   rules=[{"kind": "near_station", "station_id": "ty-h1", "radius_m": 2000}])

    assert popup["status"] == "live" and popup["stats"] == {"shown": 0, "clicked": 0}
    assert popup["ends_at"] == "2026-12-02T16:00:00Z"  # stored in UTC
    [rule] = popup["rules"]
    assert rule["station_id"] == "ty-h1" and rule["radius_m"] == 2000 and "lat" in rule


@pytest.mark.parametrize("changes, expected", [
    ({"ends_at": "2026-11-25T00:00:00Z"}, ("InvalidInput", "POPUP_WINDOW_INVALID")),
    ({"starts_at": "tomorrow"}, ("InvalidInput", "POPUP_TIME_INVALID")),
    ({"ends_at": "2026-12-03T00:00:00"}, ("InvalidInput", "POPUP_TIME_INVALID")),  # no zone
    ({"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-11-02T00:00:00Z"},
     ("RuleViolation", "POPUP_ALREADY_ENDED")),
    ({"rules": [{"kind": "member_level", "levels": ["diamond"]}]},
     ("InvalidInput", "UNKNOWN_MEMBER_LEVEL")),
    ({"rules": [{"kind": "near_station", "station_id": "ty-none", "radius_m": 100}]},
     ("InvalidInput", "UNKNOWN_STATION")),
    ({"rules": [{"kind": "new_user", "days": 0}]}, ("InvalidInput", "TARGETING_RULE_INVALID")),
    ({"rules": [{"kind": "horoscope"}]}, ("InvalidInput", "TARGETING_RULE_INVALID")),
    ({"priority": 5000}, ("InvalidInput", "POPUP_PRIORITY_INVALID")),
    ({"image_url": "http://img.example.cn/a.png"}, ("InvalidInput", "IMAGE_URL_INVALID")),
    ({"link": "https://evil.example.com"}, ("InvalidInput", "LINK_INVALID")),
    ({"title": "   "}, ("InvalidInput", "POPUP_TITLE_REQUIRED")),
])
def test_bad_popups_are_refused_with_a_clear_code(world, changes, expected):
    assert refused(create, **changes) == expected
    assert marketing_popups.list_popups(HQ, 20, None, now=NOW)["items"] == []


def test_only_hq_manages_popups(world):
    popup_id = create()["id"]
    manager = staff("manager", "ty-h1")

    assert refused(create, manager) == ("Forbidden", "ROLE_NOT_ALLOWED")
    assert refused(marketing_popups.list_popups, manager, 20, None) == ("Forbidden", "ROLE_NOT_ALLOWED")
    assert refused(marketing_popups.change_popup, manager, popup_id, "pause") == \
        ("Forbidden", "ROLE_NOT_ALLOWED")


def test_the_list_pages_latest_end_first_with_shown_and_clicked(world):
    ids = [create(ends_at=(NOW + timedelta(days=d)).isoformat())["id"] for d in (1, 3, 2)]
    home.record_seen("u1", ids[0], now=NOW)
    home.record_seen("u2", ids[0], now=NOW)
    home.record_click("u1", ids[0], now=NOW)

    first = marketing_popups.list_popups(HQ, 2, None, now=NOW)
    second = marketing_popups.list_popups(HQ, 2, first["next_cursor"], now=NOW)

    assert [p.id for p in first["items"] + second["items"]] == [ids[1], ids[2], ids[0]]
    assert second["next_cursor"] is None
    assert second["items"][0].stats == {"shown": 2, "clicked": 1}
    assert refused(marketing_popups.list_popups, HQ, 2, "nonsense") == ("InvalidInput", "INVALID_CURSOR")


def test_pause_resume_and_end_move_only_from_where_they_may(world):
    popup_id = create()["id"]

    assert marketing_popups.change_popup(HQ, popup_id, "pause", now=NOW).status == "paused"
    assert refused(marketing_popups.change_popup, HQ, popup_id, "pause", now=NOW) == \
        ("Conflict", "POPUP_NOT_ACTIVE")
    assert marketing_popups.change_popup(HQ, popup_id, "resume", now=NOW).status == "live"
    assert refused(marketing_popups.change_popup, HQ, popup_id, "resume", now=NOW) == \
        ("Conflict", "POPUP_NOT_PAUSED")
    assert marketing_popups.change_popup(HQ, popup_id, "end", now=NOW).status == "ended"
    for action in ("pause", "resume", "end"):
        assert refused(marketing_popups.change_popup, HQ, popup_id, action, now=NOW) == \
            ("Conflict", "POPUP_ENDED")


def test_a_popup_past_its_window_cannot_be_changed_and_an_unknown_one_is_not_found(world):
    popup_id = create()["id"]
    later = NOW + timedelta(days=30)

    assert refused(marketing_popups.change_popup, HQ, popup_id, "pause", now=later) == \
        ("Conflict", "POPUP_ENDED")
    assert refused(marketing_popups.change_popup, HQ, "pp_nothing", "end", now=NOW) == \
        ("NotFound", "POPUP_NOT_FOUND")


def test_a_scheduled_popup_says_so(world):
    popup = create(starts_at="2026-11-28T00:00:00Z")

    assert popup["status"] == "scheduled"
