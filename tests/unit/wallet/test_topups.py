"""Top-ups through WeChat Pay end to end on moto: created idempotently, credited once with their
bonus, refused or refunded over the cap, closed when unpaid, healed when a notification is lost."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.services.wallet import topup_expiry
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.wallet import topups as topup_store
from chalicelib.store.wallet.topups import TopupModel
from tests.paystack import driver_auth, seed_driver
from tests.unit.wallet.wallet_flows import (create_topup, entries, get_topup, paid_topup,
                                            prepay_id, suppress, wait_status, wallet)


def _deliver(client, headers, body):
    return client.http.post("/v1/webhooks/wechatpay", headers=headers, body=body)


def _topups_of(driver) -> list:
    return [t for t in TopupModel.scan() if t.user_id == driver.id]


def test_a_new_driver_has_an_empty_wallet(client, driver):
    view = wallet(client, driver)

    assert view == {"paid_fen": 0, "bonus_fen": 0, "balance_fen": 0, "topup_room_fen": 500_000,
                    "bonus_rule": {"every_fen": 50_000, "bonus_fen": 2_000}, "points": 0,
                    "points_expiring": [], "points_debt": 0, "level": None,
                    "next_level": {"name": "silver", "spend_needed_fen": 100_000},
                    "spend_12m_fen": 0}


def test_a_paid_topup_credits_paid_money_and_bonus_with_their_entries(pay, client, driver):
    topup = paid_topup(client, pay, driver, 100_001)

    assert topup["bonus_fen"] == 4_000 and topup["paid_at"] is not None
    view = wallet(client, driver)
    assert (view["paid_fen"], view["bonus_fen"], view["balance_fen"]) == (100_001, 4_000, 104_001)
    page = entries(client, driver)
    assert [(e["reason"], e["amount"], e["balance_after"], e["paid_after"], e["bonus_after"],
             e["ref"], e["seq"]) for e in page["items"]] == [
        ("bonus", 4_000, 104_001, 100_001, 4_000, topup["id"], 2),
        ("topup", 100_001, 100_001, 100_001, 0, topup["id"], 1)]
    assert page["next_cursor"] is None


def test_a_repeated_notification_credits_nothing_more(pay, client, driver):
    topup = paid_topup(client, pay, driver, 30_000)
    transaction = pay.sandbox.query_order(topup["id"])

    answers = [_deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction))
               for _ in range(3)]

    assert [a.status_code for a in answers] == [204, 204, 204]
    assert account_store.get_account(driver.id).balance_fen == 30_000
    assert len(account_store.read_chain(driver.id, "balance")) == 1


def test_the_same_key_and_body_answer_the_same_topup_and_another_body_conflicts(pay, client, driver):
    key = uuid.uuid4().hex
    first = create_topup(client, driver, 20_000, key)
    again = create_topup(client, driver, 20_000, key)
    other = create_topup(client, driver, 20_001, key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json_body["topup"]["id"] == first.json_body["topup"]["id"]
    assert prepay_id(again) == prepay_id(first)
    assert (other.status_code, other.json_body["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert len(_topups_of(driver)) == 1


@pytest.mark.parametrize("body, status, code", [
    ({"amount_fen": 0}, 400, "AMOUNT_INVALID"),
    ({"amount_fen": -100}, 400, "AMOUNT_INVALID"),
    ({"amount_fen": 100.5}, 400, "FIELD_INVALID"),
    ({"amount_fen": "100"}, 400, "FIELD_INVALID"),
    ({"amount_fen": True}, 400, "FIELD_INVALID"),
    ({"amount_fen": 500_001}, 422, "TOPUP_OVER_CAP"),
    ({"amount_fen": 100, "bonus_fen": 5}, 400, "UNKNOWN_FIELD"),
])
def test_bad_amounts_are_refused_with_their_own_code_and_nothing_written(pay, client, driver,
                                                                         body, status, code):
    headers = {**driver_auth(driver), "Content-Type": "application/json",
               "Idempotency-Key": uuid.uuid4().hex}

    answer = client.http.post("/v1/wallet/topups", headers=headers, body=json.dumps(body).encode())

    assert (answer.status_code, answer.json_body["code"]) == (status, code)
    assert _topups_of(driver) == []


def test_a_topup_without_an_idempotency_key_is_refused(pay, client, driver):
    headers = {**driver_auth(driver), "Content-Type": "application/json"}

    answer = client.http.post("/v1/wallet/topups", headers=headers, body=b'{"amount_fen": 100}')

    assert (answer.status_code, answer.json_body["code"]) == (400, "IDEMPOTENCY_KEY_REQUIRED")


def test_a_topup_over_what_the_cap_leaves_is_refused(pay, client, driver):
    paid_topup(client, pay, driver, 450_000)  # + 18,000 bonus: 32,000 left under the cap

    over = create_topup(client, driver, 32_001)
    fits = create_topup(client, driver, 32_000)

    assert (over.status_code, over.json_body["code"]) == (422, "TOPUP_OVER_CAP")
    assert fits.status_code == 201


def test_a_topup_paid_after_another_filled_the_balance_is_refunded_in_full(pay, client, driver):
    first = create_topup(client, driver, 300_000).json_body
    second = create_topup(client, driver, 300_000)
    pay.pay(first["payment"]["package"].split("=", 1)[1])
    wait_status(client, driver, first["topup"]["id"], "PAID")

    pay.pay(prepay_id(second))

    refunded = wait_status(client, driver, second.json_body["topup"]["id"], "REFUNDED")
    assert refunded["refunded_at"] is not None and refunded["bonus_fen"] == 0
    assert pay.sandbox.refunds[f"{refunded['id']}-R"].refund == 300_000
    assert account_store.get_account(driver.id).balance_fen == 312_000
    assert [e["ref"] for e in entries(client, driver)["items"]] == [first["topup"]["id"]] * 2


def test_an_unpaid_topup_closes_after_the_payment_window(pay, client, driver):
    created = create_topup(client, driver, 10_000).json_body["topup"]
    later = datetime.now(timezone.utc) + timedelta(minutes=16)

    counts = topup_expiry.settle_due(later)

    assert counts["closed"] >= 1
    assert get_topup(client, driver, created["id"]).json_body["status"] == "CLOSED"
    assert pay.sandbox.orders[created["id"]].state == "CLOSED"
    assert topup_store.get_topup(created["id"]).due_at is None


def test_a_topup_paid_with_a_lost_notification_is_credited_when_read(pay, client, driver):
    created = create_topup(client, driver, 10_000)
    topup_id = created.json_body["topup"]["id"]
    suppress(pay, topup_id)
    pay.pay(prepay_id(created))

    answer = get_topup(client, driver, topup_id)

    assert answer.json_body["status"] == "PAID"
    assert account_store.get_account(driver.id).balance_fen == 10_000


def test_a_topup_paid_with_a_lost_notification_is_credited_by_the_schedule(pay, client, driver):
    created = create_topup(client, driver, 10_000)
    topup_id = created.json_body["topup"]["id"]
    suppress(pay, topup_id)
    pay.pay(prepay_id(created))

    topup_expiry.settle_due(datetime.now(timezone.utc) + timedelta(minutes=16))

    assert topup_store.get_topup(topup_id).status == "PAID"
    assert account_store.get_account(driver.id).balance_fen == 10_000


@pytest.mark.parametrize("tamper", [
    lambda t: t["amount"].update(total=t["amount"]["total"] - 1),
    lambda t: t["payer"].update(openid="o-someone-else"),
    lambda t: t.update(mchid="1900000000"),
    lambda t: t.update(out_trade_no="TU" + "Z" * 26),
])
def test_a_notification_that_does_not_fit_the_topup_is_rejected(pay, client, driver, tamper):
    created = create_topup(client, driver, 10_000)
    topup_id = created.json_body["topup"]["id"]
    suppress(pay, topup_id)
    pay.pay(prepay_id(created))
    transaction = pay.sandbox.query_order(topup_id)
    tamper(transaction)

    answer = _deliver(client, *pay.notification("TRANSACTION.SUCCESS", transaction))

    assert (answer.status_code, answer.json_body["code"]) == (400, "FAIL")
    assert topup_store.get_topup(topup_id).status == "PENDING_PAYMENT"
    assert account_store.get_account(driver.id).balance_fen == 0


def test_another_drivers_topup_is_not_found(pay, client, driver):
    created = create_topup(client, driver, 10_000).json_body["topup"]
    stranger = seed_driver()

    assert get_topup(client, stranger, created["id"]).status_code == 404
    assert get_topup(client, driver, "TU" + "Q" * 26).json_body["code"] == "TOPUP_NOT_FOUND"
    assert get_topup(client, driver, "nonsense").status_code == 404


def test_entries_page_with_a_cursor_and_refuse_a_foreign_one(pay, client, driver):
    for amount in (100, 200, 300):
        paid_topup(client, pay, driver, amount)

    first = entries(client, driver, limit=2)
    second = entries(client, driver, limit=2, cursor=first["next_cursor"])
    bad = client.http.get("/v1/wallet/entries?cursor=abc", headers=driver_auth(driver))

    assert [e["amount"] for e in first["items"] + second["items"]] == [300, 200, 100]
    assert second["next_cursor"] is None
    assert bad.status_code == 400
    assert entries(client, driver, kind="points")["items"] == []

