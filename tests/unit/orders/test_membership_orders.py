"""Orders paid from the wallet, with points and coupons: what the driver is charged, what the
wallet, the ledger and the coupon show afterwards, and what goes back on cancel and refund."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.marketing import coupons as coupon_rules
from chalicelib.domain.wallet.ledger import verify_chain
from chalicelib.domain.wallet.balance import BonusRule
from chalicelib.domain.wallet import changes, points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES
from chalicelib.services.wallet import accounts
from chalicelib.services.orders import refunds as refund_service
from chalicelib.services.marketing import coupons as coupon_service
from chalicelib.store.wallet import accounts as account_store
from chalicelib.store.marketing import coupon_templates as template_store
from chalicelib.store.marketing import coupons as coupon_store
from chalicelib.store.orders import orders as order_store
from chalicelib.store.orders import refunds as refund_store
from tests.order_flows import confirm, create_order, get_order, paid_order, post, refund
from tests.paystack import driver_auth, staff_principal, wait_for


def _fund(user_id: str, amount_fen: int, bonus_fen: int = 0) -> None:
    """A paid top-up (and its bonus) credited the way the top-up webhook credits one."""
    rule = BonusRule(every_fen=amount_fen, bonus_fen=bonus_fen) if bonus_fen else None
    accounts.change_account(user_id, lambda account: changes.for_topup(
        account, f"T{uuid.uuid4().hex[:20]}", amount_fen, rule, datetime.now(timezone.utc)))


def _earn_points(user_id: str, points: int) -> None:
    """Points earned the way a confirmed order earns them (1 point per yuan by default)."""
    accounts.change_account(user_id, lambda account: points_changes.for_points_earned(
        account, f"FO-earlier-{uuid.uuid4().hex[:8]}", points * 100, datetime.now(timezone.utc), RULES))


def _coupon(user_id: str, **terms) -> str:
    now = datetime.now(timezone.utc)
    template = coupon_rules.CouponTemplate(
        id=f"ct_{uuid.uuid4().hex[:20]}", kind=terms.pop("kind", coupon_rules.AMOUNT_OFF),
        title=terms.pop("title", "满200减10"), starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30), total_stock=10,
        amount_off_fen=terms.pop("amount_off_fen", 1000),
        min_spend_fen=terms.pop("min_spend_fen", 20000), **terms)
    template_store.put_template(template, "s_hq_test", now)
    return coupon_service.claim_coupon(user_id, template.id, now).id


def _account(user_id: str):
    return account_store.get_account(user_id)


def _ledger_is_whole(user_id: str) -> None:
    account = _account(user_id)
    for kind in ("balance", "points"):
        check = verify_chain(account_store.read_chain(user_id, kind), account_id=user_id, kind=kind,
                             expected_last_seq=account.head(kind).seq,
                             expected_balance=account.ledger_balance(kind))
        assert check.ok, check


@pytest.fixture
def manager(station):
    return staff_principal("manager", station.id)


def test_a_wallet_order_is_paid_at_once_from_paid_money_first(client, pay, station, driver):
    _fund(driver.id, 25000, bonus_fen=5000)

    answer = create_order(client, driver, station, amount_fen=28000, pay_method="wallet")

    assert answer.status_code == 201, answer.json_body
    body = answer.json_body
    assert body["payment"] is None and body["order"]["status"] == "PAID"
    assert body["order"]["pay_method"] == "wallet" and body["order"]["paid_at"]
    account = _account(driver.id)
    assert (account.paid_fen, account.bonus_fen) == (0, 2000)
    order = order_store.get_order(body["order"]["id"])
    assert (order.wallet_paid_fen, order.wallet_bonus_fen) == (25000, 3000)
    newest = account_store.list_entries(driver.id, "balance", 1, None)[0][0]
    assert (newest.reason, newest.amount, newest.ref) == ("order", -28000, order.id)
    assert order.id not in pay.sandbox.orders  # WeChat Pay never heard of it
    _ledger_is_whole(driver.id)


def test_a_short_balance_refuses_the_order_and_changes_nothing(client, pay, station, driver):
    _fund(driver.id, 10000)

    answer = create_order(client, driver, station, amount_fen=10001, pay_method="wallet")

    assert answer.status_code == 422 and answer.json_body["code"] == "INSUFFICIENT_BALANCE"
    assert _account(driver.id).paid_fen == 10000
    assert client.http.get("/v1/orders", headers=driver_auth(driver)).json_body["items"] == []


def test_the_same_key_pays_a_wallet_order_once(client, pay, station, driver):
    _fund(driver.id, 50000)
    key = uuid.uuid4().hex

    first = create_order(client, driver, station, amount_fen=20000, pay_method="wallet", key=key)
    second = create_order(client, driver, station, amount_fen=20000, pay_method="wallet", key=key)

    assert first.status_code == second.status_code == 201
    assert first.json_body["order"]["id"] == second.json_body["order"]["id"]
    assert _account(driver.id).paid_fen == 30000


def test_a_wallet_refund_goes_back_to_the_wallet_bonus_to_bonus(client, pay, station, driver,
                                                               manager):
    _fund(driver.id, 20000, bonus_fen=10000)
    order_id = create_order(client, driver, station, amount_fen=30000,
                            pay_method="wallet").json_body["order"]["id"]
    assert (_account(driver.id).paid_fen, _account(driver.id).bonus_fen) == (0, 0)

    answer = refund(client, manager, order_id, 12000)

    assert answer.status_code == 202, answer.json_body
    assert answer.json_body["refund"]["status"] == "SUCCESS"
    assert answer.json_body["order"]["refunded_fen"] == 12000
    account = _account(driver.id)
    assert (account.paid_fen, account.bonus_fen) == (2000, 10000)  # bonus goes back first
    assert not [no for no in pay.sandbox.refunds if no.startswith(order_id)]
    _ledger_is_whole(driver.id)


def test_confirming_less_puts_the_difference_back_in_the_wallet(client, pay, station, driver):
    _fund(driver.id, 30000)
    order_id = create_order(client, driver, station, amount_fen=30000,
                            pay_method="wallet").json_body["order"]["id"]
    confirmer = staff_principal("manager", station.id)

    confirmed = confirm(client, confirmer, order_id, {"actual_amount_fen": 21000})

    assert confirmed.status_code == 200, confirmed.json_body
    final = order_store.get_order(order_id)
    assert final.status == "FUELLED" and final.refunded_fen == 9000
    account = _account(driver.id)
    assert account.paid_fen == 9000
    assert final.points_earned == 210 and account.points == 210  # 1 point per yuan charged
    _ledger_is_whole(driver.id)


def test_points_lower_the_price_and_come_back_when_the_order_is_cancelled(client, pay, station,
                                                                          driver):
    _earn_points(driver.id, 1000)

    created = create_order(client, driver, station, amount_fen=30000, points=500)

    assert created.status_code == 201, created.json_body
    order = created.json_body["order"]
    assert order["points_redeemed"] == 500 and order["points_fen"] == 500
    assert order["pay_amount_fen"] == order["pump_amount_fen"] - order["discount_fen"]
    assert _account(driver.id).points == 500
    cancelled = post(client, f"/v1/orders/{order['id']}/cancel", None, driver_auth(driver))
    assert cancelled.status_code == 200 and cancelled.json_body["status"] == "CLOSED"
    assert _account(driver.id).points == 1000
    _ledger_is_whole(driver.id)


def test_points_beyond_the_balance_are_refused(client, pay, station, driver):
    _earn_points(driver.id, 100)

    answer = create_order(client, driver, station, amount_fen=30000, points=200)

    assert answer.status_code == 422 and answer.json_body["code"] == "POINTS_INSUFFICIENT"
    assert _account(driver.id).points == 100


def test_a_coupon_is_used_by_one_order_and_returned_when_it_closes_unpaid(client, pay, station,
                                                                         driver):
    coupon_id = _coupon(driver.id)

    created = create_order(client, driver, station, amount_fen=30000, coupon_id=coupon_id)

    assert created.status_code == 201, created.json_body
    order = created.json_body["order"]
    assert order["coupon_id"] == coupon_id and order["coupon_fen"] == 1000
    assert coupon_store.get_coupon(coupon_id).used_order_id == order["id"]
    again = create_order(client, driver, station, amount_fen=30000, coupon_id=coupon_id)
    assert again.status_code == 422 and again.json_body["code"] == "COUPON_USED"
    post(client, f"/v1/orders/{order['id']}/cancel", None, driver_auth(driver))
    assert coupon_store.get_coupon(coupon_id).used_order_id is None


def test_a_coupon_below_its_minimum_or_of_another_driver_is_refused(client, pay, station, driver):
    from tests.paystack import seed_driver
    mine, theirs = _coupon(driver.id), _coupon(seed_driver().id)

    small = create_order(client, driver, station, amount_fen=10000, coupon_id=mine)
    other = create_order(client, driver, station, amount_fen=30000, coupon_id=theirs)

    assert small.status_code == 422 and small.json_body["code"] == "COUPON_BELOW_MIN_SPEND"
    assert other.status_code == 404 and other.json_body["code"] == "COUPON_NOT_YOURS"
    assert coupon_store.get_coupon(mine).used_order_id is None


def test_a_full_refund_returns_coupon_and_points(client, pay, station, driver, manager):
    _earn_points(driver.id, 1000)
    coupon_id = _coupon(driver.id)
    order = paid_order(client, pay, driver, station, amount_fen=30000, points=1000,
                       coupon_id=coupon_id)

    answer = refund(client, manager, order["id"], order["pay_amount_fen"])

    assert answer.status_code == 202, answer.json_body
    wait_for(lambda: order_store.get_order(order["id"]).status == "REFUNDED")
    assert coupon_store.get_coupon(coupon_id).used_order_id is None
    assert _account(driver.id).points == 1000
    _ledger_is_whole(driver.id)


def test_a_partial_refund_returns_points_in_proportion(client, pay, station, driver, manager):
    _earn_points(driver.id, 1000)
    order = paid_order(client, pay, driver, station, amount_fen=30000, points=1000)
    quarter = order["pay_amount_fen"] // 4

    refund(client, manager, order["id"], quarter)

    wait_for(lambda: order_store.get_order(order["id"]).refunded_fen == quarter)
    assert _account(driver.id).points == 250
    _ledger_is_whole(driver.id)


def test_a_member_sees_and_pays_the_member_price(client, pay, driver):
    from chalicelib.domain.stations.prices import GradePrice
    from tests.paystack import seed_station
    st = seed_station(grades=(GradePrice("92", 718, 718, {"silver": 688}),
                              GradePrice("95", 768, 768), GradePrice("0", 695, 695)))
    anonymous = client.http.get(f"/v1/stations/{st.id}").json_body
    _fund_spend(driver.id, 150_000)  # 1,500 yuan in the last 12 months: silver

    member = client.http.get(f"/v1/stations/{st.id}", headers=driver_auth(driver)).json_body
    created = create_order(client, driver, st, amount_fen=30000)

    def price(view):
        return next(g["price_fen"] for g in view["grades"] if g["grade"] == "92")
    assert (price(anonymous), price(member)) == (718, 688)
    assert created.status_code == 201, created.json_body
    order = created.json_body["order"]
    assert order["member_level"] == "silver" and order["price_fen"] == 688
    assert order["pay_amount_fen"] == 30000 - order["discount_fen"] < 30000


def _fund_spend(user_id: str, fen: int) -> None:
    accounts.change_account(user_id, lambda account: points_changes.for_points_earned(
        account, f"FO-earlier-{uuid.uuid4().hex[:8]}", fen, datetime.now(timezone.utc), RULES))


def test_refunds_of_a_wallet_order_are_not_sent_to_wechatpay(client, pay, station, driver,
                                                             manager):
    _fund(driver.id, 30000)
    order_id = create_order(client, driver, station, amount_fen=30000,
                            pay_method="wallet").json_body["order"]["id"]

    refund(client, manager, order_id, 30000)

    stored = [r for r in refund_store.refunds_in_flight(datetime.now(timezone.utc), 50)
              if r.order_id == order_id]
    assert stored == []  # settled at once: nothing left for the follow-up
    assert get_order(client, driver, order_id)["status"] == "REFUNDED"
    assert _account(driver.id).paid_fen == 30000


def test_a_wallet_refund_without_room_under_the_cap_waits_and_settles_once_it_fits(
        client, pay, station, driver, manager):
    _fund(driver.id, 30000)
    order_id = create_order(client, driver, station, amount_fen=30000,
                            pay_method="wallet").json_body["order"]["id"]
    _fund(driver.id, 490000)  # the wallet is full again: 4,900 of 5,000 yuan

    answer = refund(client, manager, order_id, 20000)

    assert answer.status_code == 202, answer.json_body
    assert answer.json_body["refund"]["status"] == "PROCESSING"
    assert _account(driver.id).paid_fen == 490000
    create_order(client, driver, station, amount_fen=100000, pay_method="wallet")
    counts = refund_service.follow_up(datetime.now(timezone.utc) + timedelta(minutes=1))
    assert counts["settled"] == 1
    assert order_store.get_order(order_id).refunded_fen == 20000
    assert _account(driver.id).paid_fen == 410000
    _ledger_is_whole(driver.id)
