"""Shipping info (logistics_type 4, picked up by the customer) reaches WeChat after confirmation,
through the schedule, retried until WeChat acknowledges it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from chalicelib.providers.wechat import ShippingInfoRejected, get_wechat
from chalicelib.services.orders import shipping
from chalicelib.store.orders import orders as order_store
from tests.order_flows import confirm, paid_order
from tests.paystack import staff_principal


def _now():
    return datetime.now(timezone.utc)


def _uploads(pay, transaction_id):
    assert transaction_id
    return requests.get(f"{pay.wechat_url}/sandbox/shipping",
                        params={"transaction_id": transaction_id}, timeout=5).json()["items"]


def _fail_next(pay, errcode):
    requests.post(f"{pay.wechat_url}/sandbox/shipping/fail-next", json={"errcode": errcode}, timeout=5)


@pytest.fixture
def fuelled(pay, station, driver, client):
    order = paid_order(client, pay, driver, station, amount_fen=30000)
    confirm(client, staff_principal("manager", station.id), order["id"],
            {"actual_amount_fen": 25000})
    return order_store.get_order(order["id"])


def test_schedule_uploads_shipping_info_of_a_confirmed_order_once(pay, fuelled, driver):
    counts = shipping.upload_due(_now())

    (upload,) = _uploads(pay, fuelled.transaction_id)
    assert counts["uploaded"] >= 1
    assert (upload["logistics_type"], upload["delivery_mode"], upload["openid"]) == (4, 1, driver.openid)
    assert "升" in upload["item_desc"][0] and "92#" in upload["item_desc"][0]
    assert order_store.get_order(fuelled.id).shipping_uploaded_at is not None
    shipping.upload_due(_now())
    assert len(_uploads(pay, fuelled.transaction_id)) == 1


def test_paid_but_unconfirmed_order_is_not_shipped_yet(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)

    transaction_id = pay.sandbox.orders[order["id"]].transaction_id

    shipping.upload_due(_now())

    assert _uploads(pay, transaction_id) == []


def test_failed_upload_is_tried_again_by_the_next_run(pay, fuelled):
    _fail_next(pay, 10060001)  # "支付单不存在": WeChat has not indexed the payment yet

    first = shipping.upload_due(_now())
    second = shipping.upload_due(_now())

    assert first["failed"] >= 1 and second["uploaded"] >= 1
    assert len(_uploads(pay, fuelled.transaction_id)) == 1


def test_shipping_already_recorded_at_wechat_counts_as_done(pay, fuelled):
    _fail_next(pay, 10060003)

    shipping.upload_due(_now())

    assert order_store.get_order(fuelled.id).shipping_uploaded_at is not None


def test_provider_reports_wechat_errcodes(pay):
    client = get_wechat()
    client._token = ("not-a-token", float("inf"))

    with pytest.raises(ShippingInfoRejected) as caught:
        client.upload_shipping_info(transaction_id="4200X", openid="o-1", item_desc="92#汽油",
                                    upload_time=_now())

    assert caught.value.errcode == 40001 and not caught.value.already_recorded
    assert client._token is None  # a refused token is dropped and fetched again next time


def test_sandbox_refuses_a_malformed_upload(pay):
    token = get_wechat().access_token()

    answer = requests.post(f"{pay.wechat_url}/wxa/sec/order/upload_shipping_info",
                           params={"access_token": token},
                           json={"order_key": {"order_number_type": 2, "transaction_id": "4200X"},
                                 "logistics_type": 4, "delivery_mode": 1, "shipping_list": [],
                                 "upload_time": "2026-01-01T10:00:00.000+08:00",
                                 "payer": {"openid": "o-1"}}, timeout=5).json()

    assert answer["errcode"] == 47001


def test_sandbox_allows_one_reshipment_then_refuses(pay):
    client = get_wechat()
    upload = dict(transaction_id="4200RESHIP" + str(int(_now().timestamp() * 1e6)), openid="o-1",
                  item_desc="92#汽油 10.00升", upload_time=_now())

    client.upload_shipping_info(**upload)
    client.upload_shipping_info(**upload)
    with pytest.raises(ShippingInfoRejected) as caught:
        client.upload_shipping_info(**upload)

    assert caught.value.errcode == 10060003 and caught.value.already_recorded
