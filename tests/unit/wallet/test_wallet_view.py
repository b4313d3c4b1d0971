"""GET /v1/wallet shows the balance by bucket, redeemable points with their expiry, and the member
level from the last 12 months' spend; a level is one GetItem for pricing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.domain.wallet import points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES
from chalicelib.services.wallet.membership import member_level_of, member_terms
from chalicelib.store.wallet import accounts as store
from tests.unit.wallet.wallet_flows import entries, wallet


def test_points_with_their_expiry_and_the_level_from_the_spend(client, driver):
    now = datetime.now(timezone.utc)
    account = store.commit_change(points_changes.for_points_earned(
        store.get_account(driver.id), "FO1", 150_000, now - timedelta(days=30), RULES))
    store.commit_change(points_changes.for_points_earned(account, "FO2", 20_000, now, RULES))

    view = wallet(client, driver)

    assert view["points"] == 1_700 and view["level"] == "silver"
    assert [lot["points"] for lot in view["points_expiring"]] == [1_500, 200]
    assert view["points_expiring"][0]["expires_at"].endswith("T16:00:00Z")  # Shanghai midnight
    assert view["spend_12m_fen"] == 170_000
    assert view["next_level"] == {"name": "gold", "spend_needed_fen": 130_000}
    assert [e["reason"] for e in entries(client, driver, kind="points")["items"]] == [
        "points_earned", "points_earned"]
    assert "paid_after" not in entries(client, driver, kind="points")["items"][0]


def test_member_level_of_and_member_terms_agree(client, driver):
    now = datetime.now(timezone.utc)
    store.commit_change(points_changes.for_points_earned(store.get_account(driver.id), "FO1", 300_000, now, RULES))

    account, level, rules = member_terms(driver.id, now)

    assert member_level_of(driver.id, now) == level == "gold"
    assert account.points_available(now) == 3_000 and rules.redeem_points == 100
    assert member_level_of("u_nobody", now) is None
