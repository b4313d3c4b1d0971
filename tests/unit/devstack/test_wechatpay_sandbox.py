"""The production WeChat Pay client against the devstack sandbox, both over real HTTP on loopback."""
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from flask import Flask, request
from werkzeug.serving import make_server

from chalicelib.providers.wechatpay import crypto
from chalicelib.providers.wechatpay import (
    BillNotFound, BillNotReady, InvalidNotification, WeChatPayClient, WeChatPayError)
from devstack.sandboxes.wechatpay import (
    BILL_HEADERS, BILL_SUMMARY_HEADER, RETRY_DELAYS_S, WeChatPaySandboxConfig, create_app,
    generate_keys)

APPID, MCHID, OPENID = "wx1234567890abcdef", "1900000109", "o-driver-1"
CHINA = timezone(timedelta(hours=8))


def _serve(app: Flask):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _client(keys, base_url, **overrides) -> WeChatPayClient:
    values = dict(base_url=base_url, appid=APPID, mchid=MCHID,
                  merchant_private_key_pem=keys["merchant_private_key_pem"],
                  merchant_serial=keys["merchant_serial"], apiv3_key=keys["apiv3_key"],
                  wechatpay_public_key_pem=keys["platform_public_key_pem"],
                  wechatpay_public_key_id=keys["public_key_id"])
    return WeChatPayClient(**{**values, **overrides})


class Receiver:
    """A tiny merchant webhook: verifies with our client, records, fails on request."""

    def __init__(self, client: WeChatPayClient):
        self.client, self.received, self.failures = client, [], {}
        self.app = Flask("receiver")
        self.app.add_url_rule("/notify", view_func=self.notify, methods=["POST"])

    def notify(self):
        try:
            notification = self.client.parse_notification(request.headers, request.get_data())
        except InvalidNotification as err:
            return {"code": "FAIL", "message": err.reason}, 401
        out_trade_no = notification.resource["out_trade_no"]
        if self.failures.get(out_trade_no, 0) > 0:
            self.failures[out_trade_no] -= 1
            return {"code": "FAIL", "message": "storage busy"}, 500
        self.received.append(notification)
        return "", 204

    def wait_for(self, out_trade_no: str, event_type: str, timeout_s: float = 30.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for notification in list(self.received):
                resource, kind = notification.resource, notification.event_type
                if (resource["out_trade_no"], kind) == (out_trade_no, event_type):
                    return notification
            time.sleep(0.01)
        raise AssertionError(f"no {event_type} for {out_trade_no}")


@pytest.fixture(scope="module")
def keys():
    return generate_keys()


@pytest.fixture(scope="module")
def stack(keys):
    config = WeChatPaySandboxConfig.from_keys(keys, appid=APPID, mchid=MCHID,
                                              notify_time_scale=0.001, refund_settle_s=0.05)
    app = create_app(config)
    sandbox_server, sandbox_url = _serve(app)
    config.base_url = sandbox_url
    client = _client(keys, sandbox_url)
    receiver = Receiver(client)
    receiver_server, receiver_url = _serve(receiver.app)
    yield {"config": config, "url": sandbox_url, "client": client, "receiver": receiver,
           "notify_url": f"{receiver_url}/notify", "sandbox": app.extensions["wechatpay_sandbox"]}
    app.extensions["wechatpay_sandbox"].scheduler.stop()
    sandbox_server.shutdown()
    receiver_server.shutdown()


@pytest.fixture(autouse=True)
def fresh_switches(stack):
    config = stack["config"]
    config.bills_available_early, config.merchant_balance_fen = False, None
    config.refund_outcome, config.notify_time_scale, config.clock = "SUCCESS", 0.001, time.time


@pytest.fixture
def client(stack):
    return stack["client"]


def _otn() -> str:
    return "T" + uuid.uuid4().hex[:20]


def _expiry() -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=15)


def _create(stack, out_trade_no, amount_fen=30000, **overrides):
    values = dict(description="92号汽油 3号枪", amount_fen=amount_fen, openid=OPENID,
                  notify_url=stack["notify_url"], time_expire=_expiry())
    return stack["client"].create_jsapi(out_trade_no, **{**values, **overrides})


def _pay(stack, prepay_id) -> requests.Response:
    return requests.post(f"{stack['url']}/sandbox/pay", json={"prepay_id": prepay_id}, timeout=5)


def _deliveries(stack, out_trade_no) -> list:
    answer = requests.get(f"{stack['url']}/sandbox/notifications",
                          params={"out_trade_no": out_trade_no}, timeout=5)
    return answer.json()["items"]


def _wait(predicate, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _paid_order(stack, amount_fen=30000) -> str:
    out_trade_no = _otn()
    assert _pay(stack, _create(stack, out_trade_no, amount_fen)).status_code == 200
    stack["receiver"].wait_for(out_trade_no, "TRANSACTION.SUCCESS")
    return out_trade_no


# --- pay, notify, query ----------------------------------------------------------------------------
def test_paid_order_is_notified_and_query_shows_success(stack, client):
    out_trade_no = _otn()
    prepay_id = _create(stack, out_trade_no)

    paid = _pay(stack, prepay_id).json()

    notification = stack["receiver"].wait_for(out_trade_no, "TRANSACTION.SUCCESS")
    transaction = client.query_order(out_trade_no)
    assert notification.resource["transaction_id"] == paid["transaction_id"] == transaction["transaction_id"]
    assert notification.resource["amount"]["total"] == 30000
    assert notification.resource["payer"] == {"openid": OPENID}
    assert transaction["trade_state"] == "SUCCESS"
    assert (transaction["appid"], transaction["mchid"]) == (APPID, MCHID)
    deliveries = _deliveries(stack, out_trade_no)
    assert [(d["delivered"], [a["status"] for a in d["attempts"]]) for d in deliveries] == [(True, [204])]


def test_unpaid_order_queries_as_notpay(stack, client):
    out_trade_no = _otn()
    _create(stack, out_trade_no, 12345)

    transaction = client.query_order(out_trade_no)

    assert transaction["trade_state"] == "NOTPAY" and transaction["amount"]["total"] == 12345
    assert "transaction_id" not in transaction


def test_failed_delivery_is_retried_until_the_merchant_answers_204(stack):
    out_trade_no = _otn()
    prepay_id = _create(stack, out_trade_no)
    stack["receiver"].failures[out_trade_no] = 2

    _pay(stack, prepay_id)

    stack["receiver"].wait_for(out_trade_no, "TRANSACTION.SUCCESS")
    _wait(lambda: _deliveries(stack, out_trade_no)[0]["delivered"])
    assert [a["status"] for a in _deliveries(stack, out_trade_no)[0]["attempts"]] == [500, 500, 204]


def test_delivery_gives_up_after_fifteen_retries(stack):
    out_trade_no = _otn()
    stack["config"].notify_time_scale = 0.00001  # the ~24 h schedule in under a second
    with make_server("127.0.0.1", 0, Flask("gone")) as gone:
        dead_url = f"http://127.0.0.1:{gone.server_port}/notify"  # closed again when the block ends
    prepay_id = _create(stack, out_trade_no, notify_url=dead_url)

    _pay(stack, prepay_id)

    def given_up():  # an attempt made and none scheduled
        found = _deliveries(stack, out_trade_no)
        return found and found[0]["attempts"] and found[0]["next_attempt_at"] is None

    _wait(given_up, 10)
    delivery = _deliveries(stack, out_trade_no)[0]
    assert len(delivery["attempts"]) == 16 and not delivery["delivered"]
    assert delivery["next_attempt_at"] is None and delivery["attempts"][0]["error"]


def test_suppressed_notification_never_arrives_but_the_payment_is_queryable(stack, client):
    out_trade_no = _otn()
    prepay_id = _create(stack, out_trade_no)
    requests.post(f"{stack['url']}/sandbox/suppress-notifications",
                  json={"out_trade_no": out_trade_no}, timeout=5)

    _pay(stack, prepay_id)

    _wait(lambda: _deliveries(stack, out_trade_no) and _deliveries(stack, out_trade_no)[0]["suppressed"])
    assert not [n for n in stack["receiver"].received if n.resource["out_trade_no"] == out_trade_no]
    assert _deliveries(stack, out_trade_no)[0]["attempts"] == []
    assert client.query_order(out_trade_no)["trade_state"] == "SUCCESS"


# --- create and close ---------------------------------------------------------------------------
def test_repeated_create_with_the_same_content_returns_the_same_prepay_id(stack):
    out_trade_no = _otn()

    assert _create(stack, out_trade_no) == _create(stack, out_trade_no)


def test_reused_out_trade_no_with_other_content_is_refused(stack):
    out_trade_no = _otn()
    _create(stack, out_trade_no, 30000)

    with pytest.raises(WeChatPayError) as caught:
        _create(stack, out_trade_no, 20000)
    assert (caught.value.status, caught.value.code) == (403, "OUT_TRADE_NO_USED")


def test_closed_order_cannot_be_paid(stack, client):
    out_trade_no = _otn()
    prepay_id = _create(stack, out_trade_no)

    client.close_order(out_trade_no)
    client.close_order(out_trade_no)  # closing twice is fine, as at WeChat Pay
    answer = _pay(stack, prepay_id)

    assert (answer.status_code, answer.json()["code"]) == (400, "ORDER_CLOSED")
    assert client.query_order(out_trade_no)["trade_state"] == "CLOSED"


def test_paid_order_cannot_be_closed(stack, client):
    out_trade_no = _paid_order(stack)

    with pytest.raises(WeChatPayError) as caught:
        client.close_order(out_trade_no)
    assert caught.value.code == "ORDERPAID"


def test_paying_twice_is_refused(stack):
    out_trade_no = _otn()
    prepay_id = _create(stack, out_trade_no)
    _pay(stack, prepay_id)

    assert _pay(stack, prepay_id).json()["code"] == "ORDERPAID"


@pytest.mark.parametrize("overrides", [
    {"out_trade_no": "abc"},
    {"out_trade_no": "has space 123"},
    {"description": "油" * 128},
    {"notify_url": "http://fuel.example.cn/notify"},
    {"notify_url": "https://fuel.example.cn/notify?order=1"},
    {"amount_fen": 0},
])
def test_invalid_fields_are_param_errors(stack, overrides):
    out_trade_no = overrides.pop("out_trade_no", _otn())

    with pytest.raises(WeChatPayError) as caught:
        _create(stack, out_trade_no, **overrides)
    assert (caught.value.status, caught.value.code) == (400, "PARAM_ERROR")


def test_unknown_order_is_order_not_exist(client):
    with pytest.raises(WeChatPayError) as caught:
        client.query_order(_otn())
    assert (caught.value.status, caught.value.code) == (404, "ORDER_NOT_EXIST")


def test_appid_of_another_merchant_is_refused(stack, keys):
    client = _client(keys, stack["url"], appid="wx0000000000000000")

    with pytest.raises(WeChatPayError) as caught:
        client.create_jsapi(_otn(), "fuel", 100, OPENID, stack["notify_url"], _expiry())
    assert caught.value.code == "APPID_MCHID_NOT_MATCH"


# --- signatures -------------------------------------------------------------------------------------
def test_bad_merchant_signature_gets_401_sign_error(stack, keys):
    stranger_key = generate_keys()["merchant_private_key_pem"]
    impostor = _client(keys, stack["url"], merchant_private_key_pem=stranger_key)

    with pytest.raises(WeChatPayError) as caught:
        impostor.query_order(_otn())
    assert (caught.value.status, caught.value.code) == (401, "SIGN_ERROR")


def test_unsigned_request_gets_a_signed_401(stack, keys):
    answer = requests.get(f"{stack['url']}/v3/refund/domestic/refunds/R1", timeout=5)

    signed = crypto.response_signing_string(answer.headers["Wechatpay-Timestamp"],
                                            answer.headers["Wechatpay-Nonce"], answer.text)
    assert (answer.status_code, answer.json()["code"]) == (401, "SIGN_ERROR")
    assert answer.headers["Wechatpay-Serial"] == keys["public_key_id"]
    assert crypto.rsa_verify(signed, answer.headers["Wechatpay-Signature"], keys["platform_public_key_pem"])


# --- refunds ------------------------------------------------------------------------------------------
def test_refund_twice_with_one_out_refund_no_refunds_once(stack, client):
    out_trade_no, out_refund_no = _paid_order(stack), f"R{uuid.uuid4().hex[:16]}"

    first = client.create_refund(out_trade_no, out_refund_no, 1000, 30000, "多付退差价", stack["notify_url"])
    second = client.create_refund(out_trade_no, out_refund_no, 1000, 30000, "多付退差价", stack["notify_url"])

    assert first["status"] == "PROCESSING" and first["refund_id"] == second["refund_id"]
    notification = stack["receiver"].wait_for(out_trade_no, "REFUND.SUCCESS")
    assert notification.resource["out_refund_no"] == out_refund_no
    assert notification.resource["amount"]["refund"] == 1000
    assert client.query_refund(out_refund_no)["status"] == "SUCCESS"
    assert client.query_order(out_trade_no)["trade_state"] == "REFUND"
    # Only 1000 fen went back, so 29000 more still fit and one fen more does not.
    client.create_refund(out_trade_no, out_refund_no + "b", 29000, 30000)
    with pytest.raises(WeChatPayError):
        client.create_refund(out_trade_no, out_refund_no + "c", 1, 30000)


def test_refund_above_the_total_is_refused(stack, client):
    out_trade_no = _paid_order(stack, 5000)

    with pytest.raises(WeChatPayError) as caught:
        client.create_refund(out_trade_no, _otn(), 5001, 5000)
    assert (caught.value.status, caught.value.code) == (400, "INVALID_REQUEST")
    assert "可退金额" in caught.value.message


def test_same_out_refund_no_with_another_amount_is_refused(stack, client):
    out_trade_no, out_refund_no = _paid_order(stack), _otn()
    client.create_refund(out_trade_no, out_refund_no, 100, 30000)

    with pytest.raises(WeChatPayError) as caught:
        client.create_refund(out_trade_no, out_refund_no, 200, 30000)
    assert caught.value.code == "INVALID_REQUEST"


def test_short_merchant_balance_is_not_enough_until_topped_up(stack, client):
    out_trade_no, out_refund_no = _paid_order(stack), _otn()
    stack["config"].merchant_balance_fen = 100

    with pytest.raises(WeChatPayError) as caught:
        client.create_refund(out_trade_no, out_refund_no, 200, 30000)
    stack["config"].merchant_balance_fen = 1000
    retried = client.create_refund(out_trade_no, out_refund_no, 200, 30000)

    assert (caught.value.status, caught.value.code) == (403, "NOT_ENOUGH")
    assert retried["status"] == "PROCESSING"


def test_refund_outcome_switch_sends_refund_abnormal(stack, client):
    out_trade_no = _paid_order(stack)
    requests.post(f"{stack['url']}/sandbox/settings", json={"refund_outcome": "ABNORMAL"}, timeout=5)

    refund = client.create_refund(out_trade_no, _otn(), 500, 30000, notify_url=stack["notify_url"])

    notification = stack["receiver"].wait_for(out_trade_no, "REFUND.ABNORMAL")
    assert notification.resource["refund_status"] == "ABNORMAL"
    assert client.query_refund(refund["out_refund_no"])["status"] == "ABNORMAL"


# --- trade bill ---------------------------------------------------------------------------------------
def _bill_lines(client, day) -> list[str]:
    return client.download_trade_bill(day).decode("utf-8-sig").splitlines()


def test_trade_bill_downloads_hash_checks_and_has_the_real_layout(stack, client):
    out_trade_no, out_refund_no = _paid_order(stack, 30012), _otn()
    client.create_refund(out_trade_no, out_refund_no, 1012, 30012, notify_url=stack["notify_url"])
    stack["receiver"].wait_for(out_trade_no, "REFUND.SUCCESS")
    stack["config"].bills_available_early = True

    lines = _bill_lines(client, datetime.now(CHINA).date())

    assert lines[0] == BILL_HEADERS["ALL"]
    assert lines[-2] == BILL_SUMMARY_HEADER
    rows = [line.split(",") for line in lines[1:-2]]
    assert all(field.startswith("`") for row in rows for field in row) and all(len(r) == 27 for r in rows)
    mine = [row for row in rows if row[6] == f"`{out_trade_no}"]
    payment, refund = sorted(mine, key=lambda row: row[9])[::-1]
    # status, settled amount, fee (0.60% in 1/100000 yuan), order amount
    assert [payment[i] for i in (9, 12, 22, 24)] == ["`SUCCESS", "`300.12", "`1.80072", "`300.12"]
    # status, out_refund_no, refund amount, refund status
    assert [refund[i] for i in (9, 15, 16, 19)] == ["`REFUND", f"`{out_refund_no}", "`10.12", "`SUCCESS"]
    assert lines[-1].split(",")[0] == f"`{len(rows)}"


def test_bill_of_today_is_not_ready_before_ten_tomorrow(stack, client):
    _paid_order(stack)

    with pytest.raises(BillNotReady) as caught:
        client.download_trade_bill(datetime.now(CHINA).date())
    assert caught.value.code == "STATEMENT_CREATING"


def test_bill_of_a_past_day_is_ready_after_ten_the_next_morning(stack, client):
    two_days_ago = time.time() - 2 * 86400
    stack["config"].clock = lambda: two_days_ago
    out_trade_no = _paid_order(stack, 777)
    stack["config"].clock = time.time

    lines = _bill_lines(client, datetime.fromtimestamp(two_days_ago, CHINA).date())

    assert any(f"`{out_trade_no}," in line and "`7.77," in line for line in lines)


def test_day_without_trades_has_no_bill(stack, client):
    stack["config"].bills_available_early = True

    with pytest.raises(BillNotFound) as caught:
        client.download_trade_bill(datetime.now(CHINA).date() - timedelta(days=40))
    assert caught.value.code == "NO_STATEMENT_EXIST"
