"""The alerts table on moto: follows, the per-user count, and paging a station's followers."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.notifications.price_alerts import Alert
from chalicelib.store.notifications import alerts as store

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def follow(user: str, station: str = "ty-1", grade: str = "92", below: int | None = None,
           limit: int = 20) -> str:
    return store.save_alert(Alert(user, station, grade, below), "站", NOW, limit)


def test_a_new_follow_is_created_and_counted(aws):
    assert follow("u1") == store.CREATED

    [saved] = store.alerts_of("u1")
    assert (saved.alert, saved.station_name, saved.created_at) == (Alert("u1", "ty-1", "92"), "站", NOW)
    assert store.count_alerts("u1") == 1


def test_following_again_updates_the_threshold_without_counting_twice(aws):
    follow("u1")

    assert follow("u1", below=700) == store.UPDATED

    assert [s.alert.below_price_fen for s in store.alerts_of("u1")] == [700]
    assert store.count_alerts("u1") == 1
    assert follow("u1", below=None) == store.UPDATED
    assert store.alerts_of("u1")[0].alert.below_price_fen is None


def test_the_limit_refuses_a_new_follow_but_not_an_update(aws):
    follow("u1", "ty-1", limit=2)
    follow("u1", "ty-2", limit=2)

    assert follow("u1", "ty-3", limit=2) == store.LIMIT_REACHED
    assert follow("u1", "ty-2", below=650, limit=2) == store.UPDATED
    assert store.count_alerts("u1") == 2
    assert len(store.alerts_of("u1")) == 2


def test_deleting_frees_a_place_and_a_second_delete_finds_nothing(aws):
    follow("u1", "ty-1", limit=1)

    assert store.delete_alert("u1", "ty-1", "92") is True
    assert store.delete_alert("u1", "ty-1", "92") is False
    assert store.count_alerts("u1") == 0
    assert follow("u1", "ty-2", limit=1) == store.CREATED


def test_followers_are_paged_with_a_cursor_and_keep_their_thresholds(aws):
    for k in range(7):
        follow(f"u{k}", below=700 if k == 3 else None)
    follow("other", grade="95")

    pages, after = [], None
    while True:
        page, after = store.followers_page("ty-1", "92", after, 3)
        pages.append(page)
        if after is None:
            break

    users = [a.user_id for page in pages for a in page]
    assert users == [f"u{k}" for k in range(7)]
    assert {a.user_id: a.below_price_fen for page in pages for a in page}["u3"] == 700
    assert all(len(page) <= 3 for page in pages)
