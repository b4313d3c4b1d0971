"""Home popups: targeting rules, time windows, priority and frequency caps."""
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.marketing.targeting import (
    BANNER, ONCE_EVER, ONCE_PER_DAY, UNLIMITED, District, InactiveDays, MemberLevel, NearStation,
    NewUser, Popup, UserFacts, impression_slot, parse_rules, record_view, rule_from_dict,
    rule_to_dict, select_for_user, shanghai_day, validate_popup)

NOW = datetime(2024, 5, 1, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
DAY = timedelta(days=1)
LEVELS = {"silver", "gold", "platinum"}
STATIONS = {"s-jinqiao": (31.2701, 121.6010)}  # GCJ-02
USER = UserFacts(registered_at=NOW - 3 * DAY, member_level="gold", last_fuelled_at=NOW - 40 * DAY,
                 position=(31.2750, 121.6010), district="浦东新区")  # ~545 m north of the station


def popup(id="p1", *, starts_at=NOW - DAY, ends_at=NOW + DAY, **kwargs):
    return Popup(id=id, starts_at=starts_at, ends_at=ends_at, **kwargs)


def shown_ids(popups, user=USER, seen=None, now=NOW, **kwargs):
    return [p.id for p in select_for_user(popups, user, seen or {}, now, **kwargs)]


def rules(*raw):
    return parse_rules(list(raw), locate_station=STATIONS.get)


# --- rules ------------------------------------------------------------------------------------

def test_a_popup_without_rules_shows_to_everyone():
    assert shown_ids([popup()], user=UserFacts(registered_at=NOW - 900 * DAY)) == ["p1"]


def test_new_user_means_registered_less_than_n_days_ago():
    rule = NewUser(days=7)

    assert rule.matches(UserFacts(registered_at=NOW - 7 * DAY + timedelta(seconds=1)), NOW)
    assert not rule.matches(UserFacts(registered_at=NOW - 7 * DAY), NOW)


def test_member_level_rule_matches_only_listed_levels():
    rule = MemberLevel(levels=["gold", "platinum"])

    assert rule.matches(USER, NOW)
    assert not rule.matches(UserFacts(registered_at=NOW, member_level="silver"), NOW)
    assert not rule.matches(UserFacts(registered_at=NOW), NOW)


def test_near_station_uses_the_great_circle_distance_and_needs_a_position():
    (near,) = rules({"kind": "near_station", "station_id": "s-jinqiao", "radius_m": 600})
    (too_far,) = rules({"kind": "near_station", "station_id": "s-jinqiao", "radius_m": 500})

    assert near.matches(USER, NOW)
    assert not too_far.matches(USER, NOW)
    assert not near.matches(UserFacts(registered_at=NOW), NOW)


def test_district_rule_matches_listed_districts_only():
    assert District(districts=["浦东新区", "徐汇区"]).matches(USER, NOW)
    assert not District(districts=["徐汇区"]).matches(USER, NOW)
    assert not District(districts=["徐汇区"]).matches(UserFacts(registered_at=NOW), NOW)


def test_inactive_days_counts_from_the_last_fuelling_or_else_from_registration():
    rule = InactiveDays(days=30)

    assert rule.matches(USER, NOW)
    assert not rule.matches(UserFacts(registered_at=NOW - 90 * DAY, last_fuelled_at=NOW - 29 * DAY), NOW)
    assert rule.matches(UserFacts(registered_at=NOW - 30 * DAY), NOW)
    assert not rule.matches(UserFacts(registered_at=NOW - 2 * DAY), NOW)


def test_rules_combine_with_and():
    both = popup(rules=rules({"kind": "member_level", "levels": ["gold"]}, {"kind": "new_user", "days": 7}))
    one_fails = popup("p2", rules=rules({"kind": "member_level", "levels": ["gold"]},
                                        {"kind": "district", "districts": ["徐汇区"]}))

    assert shown_ids([both, one_fails]) == ["p1"]


def test_rules_survive_the_stored_form():
    parsed = rules({"kind": "new_user", "days": 7}, {"kind": "member_level", "levels": ["gold", "silver"]},
                   {"kind": "near_station", "station_id": "s-jinqiao", "radius_m": 3000},
                   {"kind": "district", "districts": ["浦东新区"]}, {"kind": "inactive_days", "days": 30})

    stored = [rule_to_dict(r) for r in parsed]

    assert stored[1] == {"kind": "member_level", "levels": ["gold", "silver"]}
    assert stored[2] == {"kind": "near_station", "station_id": "s-jinqiao", "radius_m": 3000,
                         "lat": 31.2701, "lng": 121.6010}
    assert tuple(rule_from_dict(d) for d in stored) == parsed


@pytest.mark.parametrize("raw, code", [
    ({"kind": "vip"}, "TARGETING_RULE_INVALID"),
    ({"kind": ["new_user"]}, "TARGETING_RULE_INVALID"),
    ("new_user", "TARGETING_RULE_INVALID"),
    ({"kind": "new_user"}, "TARGETING_RULE_INVALID"),
    ({"kind": "new_user", "days": 0}, "TARGETING_RULE_INVALID"),
    ({"kind": "new_user", "days": True}, "TARGETING_RULE_INVALID"),
    ({"kind": "new_user", "days": 7, "extra": 1}, "TARGETING_RULE_INVALID"),
    ({"kind": "inactive_days", "days": 7.5}, "TARGETING_RULE_INVALID"),
    ({"kind": "member_level", "levels": []}, "TARGETING_RULE_INVALID"),
    ({"kind": "member_level", "levels": "gold"}, "TARGETING_RULE_INVALID"),
    ({"kind": "district", "districts": [""]}, "TARGETING_RULE_INVALID"),
    ({"kind": "near_station", "station_id": "s-jinqiao", "radius_m": 50_001}, "TARGETING_RULE_INVALID"),
    ({"kind": "near_station", "station_id": "s-jinqiao"}, "TARGETING_RULE_INVALID"),
    ({"kind": "near_station", "station_id": "s-nowhere", "radius_m": 100}, "UNKNOWN_STATION"),
    ({"kind": "near_station", "station_id": 7, "radius_m": 100}, "UNKNOWN_STATION"),
])
def test_malformed_rules_are_refused_with_a_code(raw, code):
    with pytest.raises(InvalidInput) as err:
        parse_rules([raw], locate_station=STATIONS.get)

    assert err.value.code == code


def test_a_station_rule_with_impossible_coordinates_is_refused():
    with pytest.raises(InvalidInput) as err:
        NearStation(station_id="s-bad", radius_m=100, lat=91.0, lng=121.6)

    assert err.value.code == "LAT_OUT_OF_RANGE"


def test_rules_must_be_a_short_list():
    for raw in ({"kind": "new_user", "days": 1}, [{"kind": "new_user", "days": 1}] * 11):
        with pytest.raises(InvalidInput) as err:
            parse_rules(raw, locate_station=STATIONS.get)
        assert err.value.code == "TARGETING_RULE_INVALID"


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, code", [
    (dict(starts_at=NOW, ends_at=NOW - timedelta(seconds=1)), "POPUP_WINDOW_INVALID"),
    (dict(starts_at=NOW, ends_at=NOW), "POPUP_WINDOW_INVALID"),
    (dict(starts_at=datetime(2024, 5, 1), ends_at=datetime(2024, 5, 2)), "POPUP_WINDOW_INVALID"),
    (dict(priority=-1), "POPUP_PRIORITY_INVALID"),
    (dict(priority=1001), "POPUP_PRIORITY_INVALID"),
    (dict(frequency="twice_a_day"), "POPUP_FREQUENCY_INVALID"),
    (dict(placement="toast"), "POPUP_PLACEMENT_INVALID"),
    (dict(rules=(MemberLevel(levels=["gold", "diamond"]),)), "UNKNOWN_MEMBER_LEVEL"),
    (dict(rules=({"kind": "new_user", "days": 1},)), "TARGETING_RULE_INVALID"),
])
def test_a_bad_popup_is_refused_with_its_code(bad, code):
    with pytest.raises(InvalidInput) as err:
        validate_popup(popup(**bad), known_levels=LEVELS)

    assert err.value.code == code


def test_a_well_formed_popup_validates():
    well_formed = popup(priority=5, frequency=ONCE_EVER, placement=BANNER,
                        rules=rules({"kind": "member_level", "levels": ["gold"]}))

    assert validate_popup(well_formed, known_levels=LEVELS) is None


# --- window and order -------------------------------------------------------------------------

def test_the_window_includes_its_start_and_excludes_its_end():
    p = popup(starts_at=NOW, ends_at=NOW + DAY, frequency=UNLIMITED)

    assert shown_ids([p], now=NOW) == ["p1"]
    assert shown_ids([p], now=NOW - timedelta(microseconds=1)) == []
    assert shown_ids([p], now=NOW + DAY) == []
    assert shown_ids([p], now=NOW + DAY - timedelta(microseconds=1)) == ["p1"]


@given(st.integers(-3 * 86_400_000, 3 * 86_400_000), st.integers(1, 2 * 86_400_000))
def test_a_popup_shows_exactly_inside_its_window(offset_ms, length_ms):
    p = popup(starts_at=NOW, ends_at=NOW + timedelta(milliseconds=length_ms), frequency=UNLIMITED)
    now = NOW + timedelta(milliseconds=offset_ms)

    assert (shown_ids([p], now=now) == ["p1"]) == (0 <= offset_ms < length_ms)


def test_paused_popups_do_not_show():
    assert shown_ids([popup(paused=True)]) == []


def test_higher_priority_comes_first_then_id_and_the_list_is_cut():
    popups = [popup("b", priority=1), popup("c", priority=5), popup("a", priority=1), popup("d", priority=0)]

    assert shown_ids(popups, max_items=3) == ["c", "a", "b"]
    assert shown_ids(popups) == ["c"]
    assert shown_ids(popups, max_items=0) == []


# --- frequency caps ---------------------------------------------------------------------------

def test_once_per_day_resets_at_shanghai_midnight_not_utc_midnight():
    p = popup(frequency=ONCE_PER_DAY, starts_at=NOW - 5 * DAY, ends_at=NOW + 5 * DAY)
    seen = {"p1": datetime(2024, 5, 1, 15, 59, tzinfo=timezone.utc)}  # 23:59 on 1 May in Shanghai

    assert shown_ids([p], seen=seen, now=datetime(2024, 5, 1, 15, 59, 59, tzinfo=timezone.utc)) == []
    assert shown_ids([p], seen=seen, now=datetime(2024, 5, 1, 16, 0, tzinfo=timezone.utc)) == ["p1"]


def test_once_ever_never_shows_again_and_unlimited_always_does():
    seen = {"p1": NOW - 30 * DAY, "p2": NOW - timedelta(seconds=1)}

    assert shown_ids([popup("p1", frequency=ONCE_EVER), popup("p2", frequency=UNLIMITED)],
                     seen=seen, max_items=5) == ["p2"]


def test_impression_slots_name_the_cap_a_view_uses():
    assert impression_slot(ONCE_EVER, NOW) == "ever"
    assert impression_slot(ONCE_PER_DAY, datetime(2024, 5, 1, 16, 0, tzinfo=timezone.utc)) == "2024-05-02"
    assert impression_slot(UNLIMITED, NOW) is None


@given(st.lists(st.integers(0, 6 * 86_400 - 1), min_size=1, max_size=60).map(sorted),
       st.sampled_from([ONCE_EVER, ONCE_PER_DAY, UNLIMITED]))
def test_caps_hold_over_any_sequence_of_visits_across_days(offsets_s, frequency):
    start = datetime(2024, 5, 1, 10, 17, tzinfo=timezone.utc)
    p = popup(frequency=frequency, starts_at=start, ends_at=start + 7 * DAY)
    seen, shown_at, visits = {}, [], [start + timedelta(seconds=s) for s in offsets_s]

    for now in visits:
        if shown_ids([p], seen=seen, now=now):
            shown_at.append(now)
            seen = record_view(seen, "p1", now)

    per_day = Counter(shanghai_day(t) for t in shown_at)
    if frequency == ONCE_EVER:
        assert shown_at == visits[:1]
    elif frequency == ONCE_PER_DAY:
        assert max(per_day.values()) == 1
        assert set(per_day) == {shanghai_day(t) for t in visits}  # and it does show each day visited
    else:
        assert shown_at == visits


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=20))
def test_the_log_keeps_the_latest_view_whatever_order_views_arrive_in(offsets_s):
    seen = {}
    for s in offsets_s:
        seen = record_view(seen, "p1", NOW + timedelta(seconds=s))

    assert seen == {"p1": NOW + timedelta(seconds=max(offsets_s))}
