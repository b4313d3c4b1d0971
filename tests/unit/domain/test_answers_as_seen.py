"""What a driver reads of coupons, campaigns and the wallet is worked out in domain and answered
through the routes' response types: each answer as the caller sees it, down to the byte."""
from __future__ import annotations

import json
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone

from chalicelib.api.coupons import CouponOffer, CouponView
from chalicelib.api.shapes import shaped
from chalicelib.api.staff_marketing_coupons import CampaignView, TemplateView
from chalicelib.api.wallet import EntryPage, WalletView
from chalicelib.domain.marketing.campaigns import Campaign
from chalicelib.domain.marketing.coupons import CouponTemplate, claim, use
from chalicelib.domain.marketing.listings import HeldCoupon, ManagedTemplate, Offer
from chalicelib.domain.wallet.accounts import Account
from chalicelib.domain.wallet.balance import BonusRule
from chalicelib.domain.wallet.ledger import Entry
from chalicelib.domain.wallet.membership import Level
from chalicelib.domain.wallet.points import Lot
from chalicelib.domain.wallet.summary import WalletSummary

NOW = datetime(2026, 11, 26, 8, 0, 7, 123456, tzinfo=timezone.utc)
DAY = timedelta(days=1)
TEMPLATE = CouponTemplate("ct_b", "per_litre_off", "每升减", NOW - DAY, NOW + 10 * DAY, 5,
                          per_user_limit=3, per_litre_off_fen=30, min_spend_fen=10_000,
                          station_ids={"st_9", "st_1"}, grades={"0", "95", "92"}, valid_days=7,
                          issued=9)


def text(answer) -> str:
    return json.dumps(answer, ensure_ascii=False)


def test_an_offer_shows_its_words_its_scope_in_list_order_and_no_negative_stock():
    assert text(shaped(Offer(TEMPLATE, 2), CouponOffer)) == text({
        "template_id": "ct_b", "kind": "per_litre_off", "title": "每升减",
        "description": "每升减0.30元（满100元可用）", "amount_off_fen": 0, "per_litre_off_fen": 30,
        "min_spend_fen": 10_000, "station_ids": ["st_1", "st_9"], "grades": ["92", "95", "0"],
        "claim_ends_at": "2026-12-06T08:00:07Z", "valid_days": 7, "valid_until": None,
        "stock_left": 0, "per_user_limit": 3, "you_may_claim": 2})


def test_a_held_coupon_is_usable_used_or_expired_at_the_moment_it_is_read():
    coupon = claim(TEMPLATE, coupon_id="cp_" + "1" * 20, user_id="u_1", now=NOW)
    seen = shaped(HeldCoupon(coupon, NOW), CouponView)
    assert seen["status"] == "usable" and seen["valid_until"] == "2026-12-03T08:00:07Z"
    assert seen["station_ids"] == ["st_1", "st_9"] and "user_id" not in seen
    assert shaped(HeldCoupon(coupon, NOW + 8 * DAY), CouponView)["status"] == "expired"
    used = shaped(HeldCoupon(use(coupon, "o_1"), NOW + 8 * DAY), CouponView)
    assert (used["status"], used["used_order_id"]) == ("used", "o_1")


def test_a_managed_template_shows_its_state_and_what_its_coupons_did():
    usage = SimpleNamespace(used=3, paid_orders=2, revenue_fen=12_345)
    seen = shaped(ManagedTemplate(TEMPLATE, "PAUSED", NOW, "s_hq", usage), TemplateView)

    assert (seen["id"], seen["status"], seen["created_at"], seen["grades"]) == (
        "ct_b", "PAUSED", "2026-11-26T08:00:07Z", ["92", "95", "0"])
    assert seen["stats"] == {"issued": 9, "stock_left": 0, "used": 3, "paid_orders": 2,
                             "revenue_fen": 12_345}


def test_a_campaign_counts_its_skips_and_is_done_once_every_user_is_decided():
    skips = {"sold_out": 2, "limit_reached": 1, "template_closed": 0, "user_not_found": 4}
    running = shaped(Campaign("cc_1", "ct_a", 17, 3, skips, NOW, "s_hq"), CampaignView)
    assert (running["status"], running["skipped"], running["created_at"]) == (
        "RUNNING", 7, "2026-11-26T08:00:07Z")
    assert running["skipped_by_reason"] == skips
    assert shaped(Campaign("cc_1", "ct_a", 17, 10, skips, NOW, "s_hq"), CampaignView)["status"] == "DONE"


def test_the_wallet_counts_only_live_points_and_names_the_next_level():
    account = Account("u_1", paid_fen=12_000, bonus_fen=800, monthly_spend={"2026-11": 90_000},
                      points_debt=15, lots=(Lot("o_1", NOW - DAY, NOW + 3 * DAY, 40),
                            Lot("o_0", NOW - 400 * DAY, NOW - DAY, 5)))
    levels = (Level("silver", 50_000), Level("gold", 200_000))
    summary = WalletSummary(account, NOW, 90_000, levels, BonusRule(50_000, 5_000))

    assert text(shaped(summary, WalletView)) == text({
        "paid_fen": 12_000, "bonus_fen": 800, "balance_fen": 12_800,
        "topup_room_fen": 500_000 - 12_800, "bonus_rule": {"every_fen": 50_000, "bonus_fen": 5_000},
        "points": 40, "points_expiring": [{"points": 40, "expires_at": "2026-11-29T08:00:07Z"}],
        "points_debt": 15, "level": "silver", "next_level": {"name": "gold", "spend_needed_fen": 110_000},
        "spend_12m_fen": 90_000})


def test_a_points_entry_leaves_out_the_money_split_a_balance_entry_carries():
    at = "2026-11-26T08:00:07.123456Z"
    page = {"items": [Entry("u_1", 2, "balance", "order", -900, 0, 0, 0, "o_1", at, "0" * 64, "f" * 64),
                      Entry("u_1", 1, "points", "points_earned", 12, 12, None, None, "o_1", at,
                            "0" * 64, "f" * 64)],
            "next_cursor": "1"}

    assert text(shaped(page, EntryPage)) == text({"items": [
        {"seq": 2, "reason": "order", "amount": -900, "balance_after": 0, "ref": "o_1", "at": at,
         "paid_after": 0, "bonus_after": 0},
        {"seq": 1, "reason": "points_earned", "amount": 12, "balance_after": 12, "ref": "o_1",
         "at": at}], "next_cursor": "1"})
