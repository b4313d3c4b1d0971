"""Points follow the money: an order earns on what it finally kept, a refund after the confirmation
takes back its share, and points already spent become a debt the next earnings pay off. Every test
checks that money and points add up and that hq's ledger check still passes."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import requests

from chalicelib.domain.wallet import changes
from chalicelib.domain.wallet.ledger import POINTS, POINTS_DEBT
from chalicelib.services.orders import refunds as refund_service
from chalicelib.services.wallet import accounts
from chalicelib.store.orders import orders as order_store
from chalicelib.store.wallet import accounts as account_store
from tests.order_flows import confirm, create_order, paid_order, refund
from tests.paystack import driver_auth, staff_auth, staff_principal, wait_for

FUND_FEN = 200_000


@pytest.fixture
def manager(station):
    return staff_principal("manager", station.id)


@pytest.fixture
def funded(driver):
    accounts.change_account(driver.id, lambda account: changes.for_topup(
        account, f"T{uuid.uuid4().hex[:20]}", FUND_FEN, None, datetime.now(timezone.utc)))
    return driver


def _wallet_order(client, driver, station, amount_fen: int, **extra) -> dict:
    answer = create_order(client, driver, station, amount_fen=amount_fen, pay_method="wallet",
                          **extra)
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["order"]


def _confirmed(client, manager, order_id: str, body: dict | None = None):
    answer = confirm(client, manager, order_id, body)
    assert answer.status_code == 200, answer.json_body
    return order_store.get_order(order_id)


def _refunded(client, manager, order_id: str, amount_fen: int):
    answer = refund(client, manager, order_id, amount_fen)
    assert answer.status_code == 202, answer.json_body
    assert answer.json_body["refund"]["status"] == "SUCCESS"  # a wallet refund settles at once
    return order_store.get_order(order_id)


def _moves(user_id: str, kind: str, reason: str, ref: str | None = None) -> list[int]:
    return [e.amount for e in account_store.read_chain(user_id, kind)
            if e.reason == reason and (ref is None or e.ref == ref)]


def _ledger_verifies(client, user_id: str) -> dict:
    answer = client.http.get(f"/v1/staff/ledger/{user_id}/verify",
                             headers=staff_auth(staff_principal("hq")))
    assert answer.status_code == 200, answer.json_body
    report = answer.json_body
    assert report["ok"], report
    assert {"balance", "points", "points_debt"} <= report.keys()
    return report


def _wallet(client, driver) -> dict:
    answer = client.http.get("/v1/wallet", headers=driver_auth(driver))
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def test_a_refund_before_confirmation_is_left_out_of_what_the_order_earns_on(
        client, pay, station, funded, manager):
    order = _wallet_order(client, funded, station, 30_000)
    paid = order["pay_amount_fen"]
    _refunded(client, manager, order["id"], 10_000)  # before the confirmation

    final = _confirmed(client, manager, order["id"])  # the whole prepaid amount was pumped

    kept = paid - 10_000
    assert final.refunded_fen == 10_000 and final.points_basis_fen == kept
    assert final.points_earned == kept // 100  # 1 point per whole yuan kept, not paid
    account = account_store.get_account(funded.id)
    assert account.points == final.points_earned and account.points_debt == 0
    assert account.balance_fen == FUND_FEN - paid + 10_000
    assert _wallet(client, funded)["spend_12m_fen"] == kept
    _ledger_verifies(client, funded.id)


def test_a_confirmation_with_its_own_shortfall_and_an_earlier_refund_earns_on_the_rest(
        client, pay, station, funded, manager):
    order = _wallet_order(client, funded, station, 30_000)
    _refunded(client, manager, order["id"], 5_000)

    final = _confirmed(client, manager, order["id"], {"actual_amount_fen": 21_000})

    settlement = final.refunded_fen - 5_000  # the confirmation's own refund of the shortfall
    assert settlement > 0
    kept = order["pay_amount_fen"] - final.refunded_fen
    assert final.points_basis_fen == kept and final.points_earned == kept // 100
    account = account_store.get_account(funded.id)
    assert account.points == kept // 100
    assert account.balance_fen == FUND_FEN - kept  # what went back is back in the wallet
    _ledger_verifies(client, funded.id)


def test_a_refund_after_confirmation_takes_back_its_share_of_the_points(
        client, pay, station, funded, manager):
    order = _wallet_order(client, funded, station, 30_000)
    earned = _confirmed(client, manager, order["id"]).points_earned
    basis = order["pay_amount_fen"]
    assert earned == basis // 100

    final = _refunded(client, manager, order["id"], 10_000)

    share = earned * 10_000 // basis  # rounded down: never against the driver
    assert _moves(funded.id, POINTS, "points_taken_back", order["id"]) == [-share]
    assert final.points_refunded_fen == 10_000 and final.points_earned == earned
    account = account_store.get_account(funded.id)
    assert account.points == earned - share and account.points_debt == 0
    assert _wallet(client, funded)["spend_12m_fen"] == basis - 10_000
    _ledger_verifies(client, funded.id)


def test_an_order_refunded_in_three_parts_gives_back_exactly_what_it_earned(
        client, pay, station, funded, manager):
    order = _wallet_order(client, funded, station, 29_999)
    earned = _confirmed(client, manager, order["id"]).points_earned
    paid = order["pay_amount_fen"]
    parts = [paid // 3, paid // 3, paid - 2 * (paid // 3)]

    for part in parts:
        _refunded(client, manager, order["id"], part)

    takebacks = _moves(funded.id, POINTS, "points_taken_back", order["id"])
    totals = [earned * sum(parts[:n]) // paid for n in range(4)]  # cumulative, rounded down
    assert takebacks == [-(after - before) for before, after in zip(totals, totals[1:])]
    assert -sum(takebacks) == earned
    assert order_store.get_order(order["id"]).status == "REFUNDED"
    account = account_store.get_account(funded.id)
    assert (account.points, account.points_debt, account.balance_fen) == (0, 0, FUND_FEN)
    _ledger_verifies(client, funded.id)


def test_points_already_spent_become_a_debt_and_the_next_earning_pays_it_first(
        client, pay, station, funded, manager):
    first = _wallet_order(client, funded, station, 30_000)
    earned = _confirmed(client, manager, first["id"]).points_earned
    spent = earned - 40  # 40 points are left
    _wallet_order(client, funded, station, 30_000, points=spent)
    assert account_store.get_account(funded.id).points == 40

    _refunded(client, manager, first["id"], first["pay_amount_fen"])  # all of it

    account = account_store.get_account(funded.id)
    assert (account.points, account.points_debt) == (0, earned - 40)
    assert _moves(funded.id, POINTS, "points_taken_back") == [-40]
    assert _moves(funded.id, POINTS_DEBT, "debt_incurred", first["id"]) == [earned - 40]
    view = _wallet(client, funded)
    assert (view["points"], view["points_debt"]) == (0, earned - 40)
    assert _ledger_verifies(client, funded.id)["points_debt"]["balance"] == earned - 40

    third = _wallet_order(client, funded, station, 50_000)
    third_earned = _confirmed(client, manager, third["id"]).points_earned

    debt = earned - 40
    assert third_earned == third["pay_amount_fen"] // 100 > debt
    account = account_store.get_account(funded.id)
    assert (account.points, account.points_debt) == (third_earned - debt, 0)
    assert _moves(funded.id, POINTS, "points_debt_paid", third["id"]) == [-debt]
    assert _moves(funded.id, POINTS_DEBT, "debt_repaid", third["id"]) == [-debt]
    assert _wallet(client, funded)["points_debt"] == 0
    page = client.http.get("/v1/wallet/entries?kind=points_debt", headers=driver_auth(funded))
    assert [(e["reason"], e["amount"], e["balance_after"]) for e in page.json_body["items"]] == [
        ("debt_repaid", -debt, 0), ("debt_incurred", debt, debt)]  # newest first
    entries = account_store.read_chain(funded.id, POINTS)
    assert sum(e.amount for e in entries) == account.points  # every point accounted for
    report = _ledger_verifies(client, funded.id)
    assert report["points"]["balance"] == account.points and report["points_debt"]["balance"] == 0


def test_a_refund_requested_before_confirmation_takes_nothing_back_when_it_succeeds_after(
        client, pay, station, driver, manager):
    order = paid_order(client, pay, driver, station, amount_fen=30_000)
    requests.post(f"{pay.pay_url}/sandbox/suppress-notifications",
                  json={"out_trade_no": order["id"]}, timeout=5)
    out_refund_no = refund(client, manager, order["id"], 10_000).json_body["refund"]["out_refund_no"]
    wait_for(lambda: pay.sandbox.refunds[out_refund_no].status == "SUCCESS")
    confirmed = _confirmed(client, manager, order["id"])  # the refund is still in flight here
    kept = order["pay_amount_fen"] - 10_000
    assert confirmed.refunded_fen == 0 and confirmed.points_basis_fen == kept

    refund_service.follow_up(datetime.now(timezone.utc))  # it succeeds after the confirmation

    final = order_store.get_order(order["id"])
    assert final.refunded_fen == 10_000 and final.points_refunded_fen == 0
    account = account_store.get_account(driver.id)
    assert account.points == final.points_earned == kept // 100
    assert _moves(driver.id, POINTS, "points_taken_back") == []
    assert _wallet(client, driver)["spend_12m_fen"] == kept
    _ledger_verifies(client, driver.id)
