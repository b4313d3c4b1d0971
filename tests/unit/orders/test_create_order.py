"""Creating an order: priced by the shared pricing function, paid through a signed JSAPI
transaction, idempotent per Idempotency-Key, and refused with its own code when it cannot be."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.stations.pricing import quote
from chalicelib.domain.stations.promotions import PER_LITRE_OFF, Promotion
from chalicelib.providers.wechatpay import crypto
from tests import paystack
from tests.order_flows import create_order, get_order, prepay_id
from tests.paystack import APPID, driver_auth


def _orders_in_table(aws) -> int:
    return aws.scan(TableName="fuel-local-orders", Select="COUNT")["Count"]


def test_order_is_priced_stored_pending_and_comes_with_signed_payment(pay, station, driver, client):
    created = create_order(client, driver, station, amount_fen=30000, grade="92")

    assert created.status_code == 201
    order, payment = created.json_body["order"], created.json_body["payment"]
    assert order["status"] == "PENDING_PAYMENT" and order["out_trade_no"] == order["id"]
    assert (order["pump_amount_fen"], order["pay_amount_fen"], order["list_price_fen"]) == (30000, 30000, 718)
    assert order["liters_ml"] == 41783 and order["station_name"] == station.name
    expires = datetime.fromisoformat(order["expires_at"].replace("Z", "+00:00"))
    created_at = datetime.fromisoformat(order["created_at"].replace("Z", "+00:00"))
    assert expires - created_at == timedelta(minutes=15)
    signed = f"{APPID}\n{payment['timeStamp']}\n{payment['nonceStr']}\n{payment['package']}\n"
    assert payment["signType"] == "RSA"
    assert crypto.rsa_verify(signed, payment["paySign"], pay.keys["merchant_public_key_pem"])
    at_wechatpay = pay.sandbox.orders[order["id"]]
    assert (at_wechatpay.total, at_wechatpay.openid, at_wechatpay.state) == (30000, driver.openid, "NOTPAY")
    assert at_wechatpay.notify_url == f"{pay.api_url}/v1/webhooks/wechatpay"


def test_order_charges_exactly_what_the_pricing_function_quotes(pay, aws, driver, client):
    now = datetime.now(timezone.utc)
    promotion = Promotion(id="p-direct", kind=PER_LITRE_OFF, title="直降", starts_at=now - timedelta(days=1),
                          ends_at=now + timedelta(days=1), station_ids=frozenset({"ts-promo"}),
                          per_litre_off_fen=30)
    station = paystack.seed_station(station_id="ts-promo", promotions=(promotion,))

    order = create_order(client, driver, station, amount_fen=25000).json_body["order"]

    expected = quote(station.grades, [promotion], station_id=station.id, grade="92", now=now,
                     amount_fen=25000)
    assert (order["pay_amount_fen"], order["discount_fen"], order["price_fen"], order["liters_ml"]) == (
        expected.pay_fen, expected.discount_fen, expected.price_fen, expected.liters_ml)
    assert order["discount_fen"] > 0


def test_same_key_and_body_answer_the_same_order_and_payment(pay, station, driver, client):
    key = uuid.uuid4().hex
    first = create_order(client, driver, station, key=key)

    second = create_order(client, driver, station, key=key)

    assert second.status_code == 201
    assert second.json_body["order"]["id"] == first.json_body["order"]["id"]
    assert prepay_id(second) == prepay_id(first)
    assert first.json_body["order"]["id"] in pay.sandbox.orders


def test_same_key_with_another_body_is_a_conflict(pay, station, driver, client, aws):
    key = uuid.uuid4().hex
    create_order(client, driver, station, key=key, amount_fen=30000)

    answer = create_order(client, driver, station, key=key, amount_fen=20000)

    assert (answer.status_code, answer.json_body["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert _orders_in_table(aws) == 1


def test_same_key_from_two_drivers_makes_two_orders(pay, station, driver, client):
    key, other = uuid.uuid4().hex, paystack.seed_driver()

    mine = create_order(client, driver, station, key=key).json_body["order"]["id"]
    theirs = create_order(client, other, station, key=key).json_body["order"]["id"]

    assert mine != theirs


def test_missing_idempotency_key_is_refused(pay, station, driver, client, aws):
    answer = client.http.post("/v1/orders", headers={**driver_auth(driver),
                                                     "Content-Type": "application/json"},
                              body=f'{{"station_id":"{station.id}","nozzle_no":1,"amount_fen":30000}}'.encode())

    assert (answer.status_code, answer.json_body["code"]) == (400, "IDEMPOTENCY_KEY_REQUIRED")
    assert _orders_in_table(aws) == 0


@pytest.mark.parametrize("overrides, status, code", [
    ({"amount_fen": 99}, 400, "AMOUNT_TOO_SMALL"),
    ({"amount_fen": 300_001}, 400, "AMOUNT_TOO_LARGE"),
    ({"station_id": "ts-nowhere"}, 404, "STATION_NOT_FOUND"),
    ({"nozzle_no": 9}, 400, "UNKNOWN_NOZZLE"),
    ({"grade": "95"}, 422, "NOZZLE_GRADE_MISMATCH"),
    ({"nozzle_no": 3}, 422, "GRADE_OUT_OF_STOCK"),
    ({"pay_method": "balance"}, 400, "FIELD_INVALID"),
    ({"coupon_id": "c1"}, 404, "COUPON_NOT_YOURS"),
    ({"pay_method": "wallet"}, 422, "INSUFFICIENT_BALANCE"),
    ({"points": 100}, 422, "POINTS_INSUFFICIENT"),
    ({"points": 10_000_000}, 422, "POINTS_OVER_LIMIT"),
    ({"amount_fen": True}, 400, "FIELD_INVALID"),
])
def test_bad_orders_are_refused_with_their_code_and_nothing_is_written(
        pay, station, driver, client, aws, overrides, status, code):
    body = {"station_id": station.id, "nozzle_no": 1, "amount_fen": 30000, **overrides}
    station_id = body.pop("station_id")

    answer = create_order(client, driver, paystack.station(station_id), **body)

    assert (answer.status_code, answer.json_body["code"]) == (status, code)
    assert _orders_in_table(aws) == 0


def test_closed_station_refuses_orders(pay, driver, client, aws):
    now = datetime.now(timezone(timedelta(hours=8)))
    opens = (now + timedelta(minutes=1)).strftime("%H:%M")  # open one minute a day, not now
    closes = (now + timedelta(minutes=2)).strftime("%H:%M")
    station = paystack.seed_station(open_time=opens, close_time=closes)

    answer = create_order(client, driver, station)

    assert (answer.status_code, answer.json_body["code"]) == (422, "STATION_CLOSED")


def test_cap_is_configurable(pay, station, driver, client, monkeypatch):
    monkeypatch.setenv("ORDER_MAX_AMOUNT_FEN", "50000")
    from tests.conftest import reset_caches
    reset_caches()

    assert create_order(client, driver, station, amount_fen=50001).json_body["code"] == "AMOUNT_TOO_LARGE"
    assert create_order(client, driver, station, amount_fen=50000).status_code == 201


def test_unreachable_wechatpay_leaves_a_pending_order_that_a_retry_pays(
        pay, station, driver, client, monkeypatch):
    from tests.conftest import reset_caches
    key = uuid.uuid4().hex
    monkeypatch.setenv("WECHATPAY_API_URL", "http://127.0.0.1:9")
    reset_caches()

    failed = create_order(client, driver, station, key=key)
    monkeypatch.setenv("WECHATPAY_API_URL", pay.pay_url)
    reset_caches()
    retried = create_order(client, driver, station, key=key)

    assert (failed.status_code, failed.json_body["code"]) == (503, "PAYMENT_UNAVAILABLE")
    assert retried.status_code == 201 and retried.json_body["payment"]["package"].startswith("prepay_id=")
    assert retried.json_body["order"]["status"] == "PENDING_PAYMENT"


def test_driver_lists_own_orders_newest_first_in_pages(pay, station, driver, client):
    ids = [create_order(client, driver, station).json_body["order"]["id"] for _ in range(3)]
    create_order(client, paystack.seed_driver(), station)

    first = client.http.get("/v1/orders?limit=2", headers=driver_auth(driver)).json_body
    second = client.http.get(f"/v1/orders?limit=2&cursor={first['next_cursor']}",
                             headers=driver_auth(driver)).json_body

    listed = [o["id"] for o in first["items"] + second["items"]]
    assert sorted(listed) == sorted(ids) and len(listed) == 3
    assert listed[0] == ids[-1] or first["items"][0]["created_at"] >= first["items"][1]["created_at"]


def test_cursor_of_another_shape_is_a_400_and_a_well_shaped_one_just_pages(pay, driver, client):
    forged = client.http.get("/v1/orders?cursor=eyJvIjoieCJ9", headers=driver_auth(driver))
    shaped = client.http.get("/v1/orders?cursor=20991231T235959000000-FO" + "A" * 26,
                             headers=driver_auth(driver))

    assert (forged.status_code, forged.json_body["code"]) == (400, "PARAM_INVALID")
    assert shaped.status_code == 200 and shaped.json_body["items"] == []


def test_another_drivers_order_does_not_exist_for_me(pay, station, driver, client):
    order_id = create_order(client, driver, station).json_body["order"]["id"]
    stranger = paystack.seed_driver()

    read = client.http.get(f"/v1/orders/{order_id}", headers=driver_auth(stranger))
    cancel = client.http.post(f"/v1/orders/{order_id}/cancel", headers=driver_auth(stranger))

    assert (read.status_code, read.json_body["code"]) == (404, "ORDER_NOT_FOUND")
    assert (cancel.status_code, cancel.json_body["code"]) == (404, "ORDER_NOT_FOUND")
    assert get_order(client, driver, order_id)["status"] == "PENDING_PAYMENT"


def test_malformed_order_id_is_simply_not_found(pay, driver, client):
    answer = client.http.get("/v1/orders/" + "x" * 3000, headers=driver_auth(driver))
    assert (answer.status_code, answer.json_body["code"]) == (404, "ORDER_NOT_FOUND")


def test_a_chain_promotion_ended_between_the_read_and_the_write_answers_price_changed(
        pay, aws, station, driver, client, monkeypatch):
    from chalicelib.services.orders import creation
    from chalicelib.store.stations import changes as station_changes

    now = datetime.now(timezone.utc)
    promotion = Promotion(id=f"pr_{uuid.uuid4().hex[:20]}", kind=PER_LITRE_OFF, title="全网直降",
                          starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1),
                          station_ids=None, per_litre_off_fen=50)
    assert station_changes.add_promotion(promotion, "s_hq", now, {})
    real = creation.read_facts

    def read_then_remove(*args, **kwargs):
        facts = real(*args, **kwargs)
        monkeypatch.setattr(creation, "read_facts", real)  # once
        assert station_changes.remove_promotion(promotion)
        return facts
    monkeypatch.setattr(creation, "read_facts", read_then_remove)
    key = uuid.uuid4().hex

    refused = create_order(client, driver, station, amount_fen=30000, key=key)

    assert refused.status_code == 409 and refused.json_body["code"] == "PRICE_CHANGED"
    quote_now = refused.json_body["details"]
    assert (quote_now["promotion_id"], quote_now["discount_fen"], quote_now["pay_amount_fen"],
            quote_now["price_fen"]) == (None, 0, 30000, 718)
    assert _orders_in_table(aws) == 0
    again = create_order(client, driver, station, amount_fen=30000, key=key)
    assert again.status_code == 201 and again.json_body["order"]["pay_amount_fen"] == 30000
