"""Staff changing prices, stock and promotions on moto: who may, what is kept, what is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.services.stations import admin as station_admin, search as stations
from chalicelib.store.stations import price_history, changes as station_changes
from chalicelib.store.stations import promotions as promotion_store
from chalicelib.store.stations import stations as station_store
from tests.station_factory import make_station, staff

NOW = datetime(2025, 3, 14, 2, 30, tzinfo=timezone.utc)
WINDOW = {"starts_at": "2025-03-14T00:00:00Z", "ends_at": "2025-03-21T00:00:00Z"}


@pytest.fixture
def station(aws):
    s = make_station("ty-901")
    station_store.put_station(s)
    station_store.put_station(make_station("ty-902"))
    return s


def refused(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    return type(err.value).__name__, err.value.code


def promotion(who, station_ids=("ty-901",), **changes):
    args = {"title": "满减", "kind": "per_litre_off", "per_litre_off_fen": 20, **WINDOW, **changes}
    ids = list(station_ids) if station_ids is not None else None
    return station_admin.create_promotion(who, station_ids=ids, now=NOW, **args)


# --- prices ---------------------------------------------------------------------------------

def test_manager_changes_prices_and_the_old_ones_stay_as_history(station):
    manager = staff("manager", "ty-901", subject="s_mgr")

    result = station_admin.update_prices(manager, "ty-901", [("92", 730, 715)], now=NOW)

    assert result.changed == ("92",) and result.version == 1
    stored = station_store.get_station("ty-901")
    assert stored.grade_price("92").pump_price_fen == 715 and stored.version == 1
    [entry] = price_history.price_history("ty-901")
    assert (entry.changed_by, entry.role, entry.changed_at, entry.version) == \
        ("s_mgr", "manager", NOW, 1)
    assert entry.grades == (price_history.GradeChange("92", 718, 718, 730, 715),)


def test_member_prices_and_other_grades_are_untouched_by_a_price_change(station):
    station_admin.update_prices(staff("hq"), "ty-901", [("95", 770, 760)], now=NOW)

    stored = station_store.get_station("ty-901")
    assert stored.grade_price("92") == station.grade_price("92")
    assert stored.grade_price("95").pump_price_fen == 760


def test_unchanged_prices_write_no_history(station):
    result = station_admin.update_prices(staff("hq"), "ty-901", [("92", 718, 718)], now=NOW)

    assert result.changed == () and result.version == 0
    assert price_history.price_history("ty-901") == []


def test_a_concurrent_change_is_not_lost_the_write_is_conditional_on_the_version(station):
    calls = []
    original = station_changes.change_prices

    def first_loses(change, expected_version, also=None):
        calls.append(expected_version)
        if len(calls) == 1:  # another manager commits in between
            assert original(price_history.PriceChange("ty-901", 1, NOW, "s_other", "hq", (
                price_history.GradeChange("95", 768, 768, 790, 780),)), 0)
        return original(change, expected_version, also)

    station_changes.change_prices = first_loses
    try:
        station_admin.update_prices(staff("hq"), "ty-901", [("92", 730, 720)], now=NOW)
    finally:
        station_changes.change_prices = original

    assert calls == [0, 1]
    stored = station_store.get_station("ty-901")
    assert (stored.grade_price("92").pump_price_fen, stored.grade_price("95").pump_price_fen,
            stored.version) == (720, 780, 2)
    assert [h.version for h in price_history.price_history("ty-901")] == [2, 1]


@pytest.mark.parametrize("who, station_id, expected", [
    (staff("attendant", "ty-901"), "ty-901", ("Forbidden", "ROLE_NOT_ALLOWED")),
    (staff("manager", "ty-902"), "ty-901", ("Forbidden", "STATION_NOT_YOURS")),
    (staff("hq"), "ty-999", ("NotFound", "STATION_NOT_FOUND")),
])
def test_who_may_change_prices(station, who, station_id, expected):
    assert refused(station_admin.update_prices, who, station_id, [("92", 730, 720)]) == expected


@pytest.mark.parametrize("prices, expected", [
    ([], ("InvalidInput", "GRADES_REQUIRED")),
    ([("93", 730, 720)], ("InvalidInput", "UNKNOWN_GRADE")),
    ([("92", 730, 720), ("92", 731, 721)], ("InvalidInput", "DUPLICATE_GRADE")),
    ([("92", 730, -5)], ("InvalidInput", "PRICE_INVALID")),
    ([("92", 73_000, 72_000)], ("InvalidInput", "PRICE_INVALID")),
    ([("92", 700, 720)], ("RuleViolation", "PUMP_PRICE_ABOVE_GUIDE")),
    ([("92", 730, 720), ("98", 880, 870)], ("RuleViolation", "GRADE_NOT_SOLD")),
])
def test_bad_prices_are_refused_and_nothing_is_written(station, prices, expected):
    assert refused(station_admin.update_prices, staff("hq"), "ty-901", prices) == expected
    assert station_store.get_station("ty-901").grades == station.grades
    assert price_history.price_history("ty-901") == []


# --- inventory ------------------------------------------------------------------------------

def test_inventory_sets_stock_levels_and_states(station):
    result = station_admin.update_inventory(staff("manager", "ty-901"), "ty-901",
                                            [("92", 0), ("95", 800_000)])

    assert {g.grade: g.stock for g in result.grades} == {"92": "out", "95": "low"}
    assert station_store.get_station("ty-901").stock_ml == {"92": 0, "95": 800_000}


@pytest.mark.parametrize("levels, expected", [
    ([("98", 1000)], ("RuleViolation", "GRADE_NOT_SOLD")),
    ([("92", -1)], ("InvalidInput", "INVENTORY_INVALID")),
    ([("92", 10 ** 12)], ("InvalidInput", "INVENTORY_INVALID")),
    ([("92", 1), ("92", 2)], ("InvalidInput", "DUPLICATE_GRADE")),
])
def test_bad_inventory_is_refused_and_nothing_is_written(station, levels, expected):
    assert refused(station_admin.update_inventory, staff("hq"), "ty-901", levels) == expected
    assert station_store.get_station("ty-901").stock_ml == station.stock_ml


def test_attendant_may_not_change_stock(station):
    assert refused(station_admin.update_inventory, staff("attendant", "ty-901"), "ty-901",
                   [("92", 1000)]) == ("Forbidden", "ROLE_NOT_ALLOWED")


# --- promotions -----------------------------------------------------------------------------

def test_a_promotion_is_kept_on_its_stations_in_the_same_write(station):
    created = promotion(staff("manager", "ty-901"))

    assert created.description == "直降0.20元/升" and created.active
    assert promotion_store.get_promotion(created.id) is not None
    own = station_store.read_station("ty-901").promotions
    assert [p.id for p in own] == [created.id]
    assert station_store.read_station("ty-902").promotions == ()


def test_deleting_a_promotion_removes_it_from_its_stations(station):
    manager = staff("manager", "ty-901")
    created = promotion(manager)

    station_admin.delete_promotion(manager, created.id)

    assert promotion_store.get_promotion(created.id) is None
    assert station_store.read_station("ty-901").promotions == ()
    assert refused(station_admin.delete_promotion, manager, created.id) == \
        ("NotFound", "PROMOTION_NOT_FOUND")


def test_ended_promotions_are_dropped_from_the_station_when_a_new_one_is_added(station):
    old = station_admin.create_promotion(
        staff("hq"), station_ids=["ty-901"], title="早间", kind="per_litre_off", per_litre_off_fen=20,
        starts_at="2025-03-14T00:00:00Z", ends_at="2025-03-14T02:00:00Z", now=NOW - timedelta(hours=1))
    new = promotion(staff("hq"))

    assert [p.id for p in station_store.read_station("ty-901").promotions] == [new.id]
    assert promotion_store.get_promotion(old.id) is not None  # the record stays


@pytest.mark.parametrize("who, kwargs, expected", [
    (staff("attendant", "ty-901"), {}, ("Forbidden", "ROLE_NOT_ALLOWED")),
    (staff("manager", "ty-902"), {}, ("Forbidden", "STATION_NOT_YOURS")),
    (staff("manager", "ty-901"), {"station_ids": None}, ("Forbidden", "CHAIN_PROMOTION_HQ_ONLY")),
    (staff("hq"), {"station_ids": ["ty-999"]}, ("NotFound", "STATION_NOT_FOUND")),
    (staff("hq"), {"ends_at": "2025-03-13T00:00:00Z"}, ("InvalidInput", "PROMOTION_WINDOW_INVALID")),
    (staff("hq"), {"starts_at": "2025-03-01T00:00:00Z", "ends_at": "2025-03-02T00:00:00Z"},
     ("RuleViolation", "PROMOTION_ALREADY_ENDED")),
    (staff("hq"), {"starts_at": "2025-03-14 08:00"}, ("InvalidInput", "PROMOTION_TIME_INVALID")),
    (staff("hq"), {"starts_at": "0001-01-01T00:00:00+14:00"}, ("InvalidInput", "PROMOTION_TIME_INVALID")),
    (staff("hq"), {"per_litre_off_fen": -20}, ("InvalidInput", "PROMOTION_FIGURE_INVALID")),
    (staff("hq"), {"kind": "buy_one_get_one"}, ("InvalidInput", "PROMOTION_KIND_UNKNOWN")),
    (staff("hq"), {"grades": ["93"]}, ("InvalidInput", "UNKNOWN_GRADE")),
    (staff("hq"), {"grades": ["98"]}, ("RuleViolation", "GRADE_NOT_SOLD")),
    (staff("hq"), {"station_ids": []}, ("InvalidInput", "PROMOTION_SCOPE_INVALID")),
    (staff("hq"), {"title": "  "}, ("InvalidInput", "FIELD_REQUIRED")),
])
def test_bad_promotions_are_refused_and_nothing_is_written(station, who, kwargs, expected):
    assert refused(promotion, who, **kwargs) == expected
    assert station_store.read_station("ty-901").promotions == ()
    assert promotion_store.promotions_not_ended(NOW - timedelta(days=30), None, 10) == []


def test_managers_cannot_delete_what_is_not_theirs(station):
    theirs = promotion(staff("hq"), station_ids=["ty-902"])
    chain = promotion(staff("hq"), station_ids=None)
    manager = staff("manager", "ty-901")

    assert refused(station_admin.delete_promotion, manager, theirs.id) == \
        ("Forbidden", "STATION_NOT_YOURS")
    assert refused(station_admin.delete_promotion, manager, chain.id) == \
        ("Forbidden", "CHAIN_PROMOTION_HQ_ONLY")
    assert refused(station_admin.delete_promotion, staff("attendant", "ty-902"), theirs.id) == \
        ("Forbidden", "ROLE_NOT_ALLOWED")


def test_listing_shows_a_stations_promotions_and_the_chains_in_end_order(station):
    hq = staff("hq")
    late = promotion(hq, ends_at="2025-03-30T00:00:00Z")
    chain = promotion(hq, station_ids=None, ends_at="2025-03-20T00:00:00Z")
    promotion(hq, station_ids=["ty-902"])

    listed = station_admin.list_promotions(staff("attendant", "ty-901"), "ty-901", 20, None, NOW)

    assert [p.id for p in listed["items"]] == [chain.id, late.id]
    assert listed["next_cursor"] is None


def test_hq_pages_through_every_promotion(station):
    hq = staff("hq")
    made = [promotion(hq, ends_at=f"2025-03-{20 + k}T00:00:00Z").id for k in range(5)]
    seen, cursor = [], None
    while True:
        page = station_admin.list_promotions(hq, None, 2, cursor, NOW)
        seen += [p.id for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made


def test_a_manager_lists_promotions_of_their_stations_only(station):
    hq = staff("hq")
    mine = promotion(hq, station_ids=["ty-901"])
    promotion(hq, station_ids=["ty-902"])

    listed = station_admin.list_promotions(staff("manager", "ty-901"), None, 20, None, NOW)

    assert [p.id for p in listed["items"]] == [mine.id]
    assert refused(station_admin.list_promotions, staff("manager", "ty-901"), "ty-902", 20, None) \
        == ("Forbidden", "STATION_NOT_YOURS")


def test_a_listing_cursor_not_shaped_like_ours_is_refused(station):
    assert refused(station_admin.list_promotions, staff("hq"), None, 5, "page-2") == \
        ("InvalidInput", "INVALID_CURSOR")
    assert refused(station_admin.list_promotions, staff("hq"), None, 0, None) == \
        ("InvalidInput", "LIMIT_OUT_OF_RANGE")


def test_a_manager_sets_member_prices_that_search_and_history_show(station):
    manager = staff("manager", "ty-901")

    result = station_admin.update_prices(
        manager, "ty-901", [("92", 718, 718, {"silver": 700, "gold": 690})], now=NOW)

    grade = next(g for g in result.grades if g.grade == "92")
    assert result.changed == ("92",) and grade.member_prices == {"silver": 700, "gold": 690}
    stored = station_store.get_station("ty-901").grade_price("92")
    assert dict(stored.member_prices) == {"silver": 700, "gold": 690}
    latest = price_history.price_history("ty-901", 1)[0].grades[0]
    assert (latest.old_member_prices, latest.new_member_prices) == ({}, {"silver": 700, "gold": 690})
    detail = stations.station_detail("ty-901", member_level="gold", now=NOW)
    assert detail.grade("92").price_fen == 690


def test_member_prices_left_out_stay_and_an_empty_map_removes_them(station):
    hq = staff("hq")
    station_admin.update_prices(hq, "ty-901", [("92", 718, 718, {"silver": 700})], now=NOW)

    station_admin.update_prices(hq, "ty-901", [("92", 730, 720)], now=NOW)
    assert dict(station_store.get_station("ty-901").grade_price("92").member_prices) == {
        "silver": 700}
    station_admin.update_prices(hq, "ty-901", [("92", 730, 720, {})], now=NOW)
    assert dict(station_store.get_station("ty-901").grade_price("92").member_prices) == {}


@pytest.mark.parametrize("member, code", [
    ({"diamond": 700}, "UNKNOWN_MEMBER_LEVEL"),
    ({"silver": 718}, "MEMBER_PRICE_NOT_BELOW_PUMP"),
    ({"silver": 0}, "PRICE_INVALID"),
])
def test_bad_member_prices_are_refused_and_nothing_changes(station, member, code):

    with pytest.raises(DomainError) as refused:
        station_admin.update_prices(staff("hq"), "ty-901", [("92", 718, 718, member)], now=NOW)

    assert refused.value.code == code
    assert dict(station_store.get_station("ty-901").grade_price("92").member_prices) == {}
