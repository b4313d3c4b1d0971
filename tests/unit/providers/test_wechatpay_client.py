"""WeChat Pay client without a server: what it signs, what it trusts, what it refuses."""
import base64
import json
import re
import socket
import time
from datetime import datetime, timezone

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from chalicelib.domain.errors import Unauthenticated, UpstreamUnavailable
from chalicelib.providers import http, secrets
from chalicelib.providers.wechatpay import (
    InvalidNotification, InvalidResponse, WeChatPayClient, WeChatPayError, WeChatPayUnavailable,
    crypto, get_wechatpay)
from chalicelib.settings import get_settings
from devstack.sandboxes.wechatpay import (
    WeChatPaySandboxConfig, build_notification, generate_keys, sign_notification)

APPID, MCHID = "wx1234567890abcdef", "1900000109"


@pytest.fixture(scope="module")
def keys():
    return generate_keys()


@pytest.fixture(scope="module")
def wechatpay(keys):
    """The sandbox's side: its keys and its notification builder act as WeChat Pay."""
    return WeChatPaySandboxConfig.from_keys(keys, appid=APPID, mchid=MCHID)


def _client(keys, base_url="https://api.mch.weixin.qq.com", **overrides) -> WeChatPayClient:
    values = dict(base_url=base_url, appid=APPID, mchid=MCHID,
                  merchant_private_key_pem=keys["merchant_private_key_pem"],
                  merchant_serial=keys["merchant_serial"], apiv3_key=keys["apiv3_key"],
                  wechatpay_public_key_pem=keys["platform_public_key_pem"],
                  wechatpay_public_key_id=keys["public_key_id"])
    return WeChatPayClient(**{**values, **overrides})


@pytest.fixture(scope="module")
def client(keys):
    return _client(keys)


TRANSACTION = {"appid": APPID, "mchid": MCHID, "out_trade_no": "ORD20240501000001",
               "transaction_id": "4200000000202405010000000001", "trade_type": "JSAPI",
               "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
               "success_time": "2024-05-01T10:00:00+08:00", "payer": {"openid": "o-driver-1"},
               "amount": {"total": 30000, "payer_total": 30000, "currency": "CNY"}}


def _notification(wechatpay, resource=TRANSACTION, event_type="TRANSACTION.SUCCESS", **signing):
    body = build_notification(wechatpay, event_type, resource)
    return sign_notification(wechatpay, body, **signing), body


# --- notifications -----------------------------------------------------------------------------
def test_notification_built_by_the_sandbox_parses_in_the_client(client, wechatpay):
    headers, body = _notification(wechatpay)

    notification = client.parse_notification(headers, body)

    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.id.startswith("EV-")
    assert notification.summary == "支付成功"
    assert notification.resource == TRANSACTION


def test_refund_notification_parses_with_its_refund_resource(client, wechatpay):
    refund = {"mchid": MCHID, "out_trade_no": "ORD1", "out_refund_no": "R1", "refund_status": "SUCCESS",
              "amount": {"total": 100, "refund": 40, "payer_total": 100, "payer_refund": 40}}
    headers, body = _notification(wechatpay, refund, "REFUND.SUCCESS")

    notification = client.parse_notification(headers, body)

    assert (notification.event_type, notification.resource) == ("REFUND.SUCCESS", refund)


def test_header_names_are_matched_case_insensitively(client, wechatpay):
    headers, body = _notification(wechatpay)

    notification = client.parse_notification({k.lower(): v for k, v in headers.items()}, body)

    assert notification.resource["out_trade_no"] == "ORD20240501000001"


# A minute outside the window, so the test's own delay cannot bring a future one back inside;
# the exact edge is the next test's, against a given now.
@pytest.mark.parametrize("offset_s", [-360, 360])
def test_stale_or_future_timestamp_is_rejected(client, wechatpay, offset_s):
    headers, body = _notification(wechatpay, timestamp=int(time.time()) + offset_s)

    with pytest.raises(InvalidNotification, match="5 minutes"):
        client.parse_notification(headers, body)


def test_timestamp_is_judged_against_the_given_now(client, wechatpay):
    headers, body = _notification(wechatpay, timestamp=1714528800)

    assert client.parse_notification(headers, body, now=1714528800 + 299).event_type
    with pytest.raises(InvalidNotification):
        client.parse_notification(headers, body, now=datetime.fromtimestamp(1714528800 + 301, timezone.utc))


def test_wrong_serial_is_rejected(client, wechatpay):
    headers, body = _notification(wechatpay)
    headers["Wechatpay-Serial"] = "PUB_KEY_ID_00000000000000000000000000000000"

    with pytest.raises(InvalidNotification, match="serial"):
        client.parse_notification(headers, body)


def test_during_a_key_migration_either_the_certificate_or_the_public_key_verifies_by_serial(
        keys, wechatpay):
    """While a merchant moves from platform certificates to the public key, WeChat Pay signs
    with either; each signature is checked with the key its serial names."""
    import dataclasses

    migrating = _client(keys, platform_certificates={
        keys["certificate_serial"]: keys["certificate_pem"]})
    by_certificate = dataclasses.replace(wechatpay, sign_with="certificate")

    for signer in (wechatpay, by_certificate):
        headers, body = _notification(signer)
        assert migrating.parse_notification(headers, body).resource == TRANSACTION
    cert_headers, cert_body = _notification(by_certificate)
    assert cert_headers["Wechatpay-Serial"] == keys["certificate_serial"]
    with pytest.raises(InvalidNotification, match="serial"):
        _client(keys).parse_notification(cert_headers, cert_body)   # certificate not configured
    # The certificate's serial with the public key's signature (or the reverse) never verifies.
    swapped = {**cert_headers, "Wechatpay-Serial": keys["public_key_id"]}
    with pytest.raises(InvalidNotification, match="verify"):
        migrating.parse_notification(swapped, cert_body)


def test_signtest_probe_is_rejected(client, wechatpay):
    headers, body = _notification(wechatpay)
    headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]

    with pytest.raises(InvalidNotification, match="probe"):
        client.parse_notification(headers, body)


def test_signature_forged_with_another_key_is_rejected(client, wechatpay):
    forger = WeChatPaySandboxConfig.from_keys(generate_keys(), appid=APPID, mchid=MCHID)
    body = build_notification(wechatpay, "TRANSACTION.SUCCESS", TRANSACTION)
    headers = {**sign_notification(forger, body), "Wechatpay-Serial": wechatpay.public_key_id}

    with pytest.raises(InvalidNotification, match="does not verify"):
        client.parse_notification(headers, body)


def test_replay_with_a_new_timestamp_but_the_old_signature_is_rejected(client, wechatpay):
    headers, body = _notification(wechatpay, timestamp=int(time.time()) - 3600)
    headers["Wechatpay-Timestamp"] = str(int(time.time()))

    with pytest.raises(InvalidNotification, match="does not verify"):
        client.parse_notification(headers, body)


def test_body_changed_after_signing_is_rejected(client, wechatpay):
    headers, body = _notification(wechatpay)

    with pytest.raises(InvalidNotification):
        client.parse_notification(headers, body.replace(b"TRANSACTION.SUCCESS", b"REFUND.SUCCESS"))


def test_tampered_ciphertext_is_rejected_even_when_correctly_signed(client, wechatpay):
    body = json.loads(build_notification(wechatpay, "TRANSACTION.SUCCESS", TRANSACTION))
    sealed = bytearray(base64.b64decode(body["resource"]["ciphertext"]))
    sealed[5] ^= 0x01
    body["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    raw = json.dumps(body).encode()

    with pytest.raises(InvalidNotification, match="decrypt") as caught:
        client.parse_notification(sign_notification(wechatpay, raw), raw)
    assert caught.value.code == "FAIL" and isinstance(caught.value, Unauthenticated)


def test_missing_signature_headers_are_rejected(client, wechatpay):
    _, body = _notification(wechatpay)

    with pytest.raises(InvalidNotification, match="missing"):
        client.parse_notification({"Content-Type": "application/json"}, body)


# --- requests and answers ----------------------------------------------------------------------
def _answer(wechatpay, status, payload, signed=True, signer=None):
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    response = requests.Response()
    response.status_code, response._content = status, body
    response.headers = CaseInsensitiveDict(sign_notification(signer or wechatpay, body) if signed else {})
    return response


class _Calls(list):
    answer: requests.Response


@pytest.fixture
def sent(monkeypatch, wechatpay):
    """Replaces the network: records each call and answers with sent.answer."""
    calls = _Calls()

    def fake_request(method, url, **kwargs):
        calls.append({"method": method, "url": url, **kwargs})
        return calls.answer

    calls.answer = _answer(wechatpay, 200, {"prepay_id": "wx01000000abc"})
    monkeypatch.setattr(http, "request", fake_request)
    return calls


def _authorization(header: str) -> dict:
    schema, _, params = header.partition(" ")
    assert schema == "WECHATPAY2-SHA256-RSA2048"
    return dict(re.findall(r'(\w+)="([^"]*)"', params))


def test_create_request_is_signed_over_method_path_time_nonce_and_body(client, keys, sent):
    expires = datetime(2024, 5, 1, 2, 15, tzinfo=timezone.utc)

    prepay_id = client.create_jsapi("ORD1|A*", "92号汽油 300元", 30000, "o-driver-1",
                                    "https://fuel.example.cn/v1/webhooks/wechatpay", expires)

    call = sent[0]
    auth = _authorization(call["headers"]["Authorization"])
    body = call["data"].decode()
    message = f"POST\n/v3/pay/transactions/jsapi\n{auth['timestamp']}\n{auth['nonce_str']}\n{body}\n"
    assert prepay_id == "wx01000000abc"
    assert auth["mchid"] == MCHID and auth["serial_no"] == keys["merchant_serial"]
    assert crypto.rsa_verify(message, auth["signature"], keys["merchant_public_key_pem"])
    assert call["headers"]["Wechatpay-Serial"] == keys["public_key_id"]
    assert call["idempotent"] is True
    assert json.loads(body) == {
        "appid": APPID, "mchid": MCHID, "description": "92号汽油 300元", "out_trade_no": "ORD1|A*",
        "time_expire": "2024-05-01T10:15:00+08:00",
        "notify_url": "https://fuel.example.cn/v1/webhooks/wechatpay",
        "amount": {"total": 30000, "currency": "CNY"}, "payer": {"openid": "o-driver-1"}}


def test_query_path_is_signed_exactly_as_sent(client, keys, sent, wechatpay):
    sent.answer = _answer(wechatpay, 200, {"trade_state": "NOTPAY"})

    client.query_order("ORD1|A*")

    auth = _authorization(sent[0]["headers"]["Authorization"])
    path = f"/v3/pay/transactions/out-trade-no/ORD1%7CA*?mchid={MCHID}"
    assert sent[0]["url"] == "https://api.mch.weixin.qq.com" + path
    assert crypto.rsa_verify(f"GET\n{path}\n{auth['timestamp']}\n{auth['nonce_str']}\n\n",
                             auth["signature"], keys["merchant_public_key_pem"])


def test_naive_expiry_time_is_refused_before_sending(client, sent):
    with pytest.raises(ValueError):
        client.create_jsapi("ORD100001", "fuel", 100, "o1", "https://x.example/n", datetime(2024, 5, 1))
    assert sent == []


def test_payment_params_are_signed_for_wx_request_payment(client, keys):
    params = client.request_payment_params("wx01000000abc")

    message = f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\nprepay_id=wx01000000abc\n"
    assert params["package"] == "prepay_id=wx01000000abc" and params["signType"] == "RSA"
    assert crypto.rsa_verify(message, params["paySign"], keys["merchant_public_key_pem"])


def test_unsigned_success_answer_is_not_trusted(client, sent, wechatpay):
    sent.answer = _answer(wechatpay, 200, {"prepay_id": "wx-forged"}, signed=False)

    with pytest.raises(InvalidResponse) as caught:
        client.create_jsapi("ORD100001", "fuel", 100, "o1", "https://x.example/n", datetime.now(timezone.utc))
    assert isinstance(caught.value, UpstreamUnavailable)


def test_answer_signed_by_another_key_is_not_trusted(client, sent, wechatpay):
    forger = WeChatPaySandboxConfig.from_keys(generate_keys(), appid=APPID, mchid=MCHID)
    forger.public_key_id = wechatpay.public_key_id
    sent.answer = _answer(wechatpay, 200, {"trade_state": "SUCCESS"}, signer=forger)

    with pytest.raises(InvalidResponse, match="does not verify"):
        client.query_order("ORD100001")


def test_error_answer_carries_status_code_and_message(client, sent, wechatpay):
    sent.answer = _answer(wechatpay, 400, {"code": "ORDER_CLOSED", "message": "订单已关闭"})

    with pytest.raises(WeChatPayError) as caught:
        client.close_order("ORD100001")
    assert (caught.value.status, caught.value.code, caught.value.message) == (400, "ORDER_CLOSED", "订单已关闭")
    assert not isinstance(caught.value, UpstreamUnavailable)


@pytest.mark.parametrize("status, signed", [(500, True), (429, True), (502, False)])
def test_server_side_errors_mean_try_again_later(client, sent, wechatpay, status, signed):
    sent.answer = _answer(wechatpay, status, {"code": "SYSTEM_ERROR", "message": "系统错误"}, signed=signed)

    with pytest.raises(WeChatPayUnavailable) as caught:
        client.query_refund("R1")
    assert isinstance(caught.value, UpstreamUnavailable) and caught.value.status == status


def test_close_answers_nothing_on_204(client, sent, wechatpay):
    sent.answer = _answer(wechatpay, 204, None)

    assert client.close_order("ORD100001") is None
    assert json.loads(sent[0]["data"]) == {"mchid": MCHID}


def test_unreachable_wechatpay_is_upstream_unavailable(keys):
    with socket.socket() as probe:  # a port that was free a moment ago refuses connections
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _client(keys, base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(UpstreamUnavailable):
        client.query_order("ORD100001")


def test_factory_reads_settings_and_secrets(monkeypatch, tmp_path, keys):
    secret_file = tmp_path / "secrets.json"
    secret_file.write_text(json.dumps({
        "wechatpay_merchant_private_key_pem": keys["merchant_private_key_pem"],
        "wechatpay_merchant_serial": keys["merchant_serial"], "wechatpay_apiv3_key": keys["apiv3_key"],
        "wechatpay_public_key_pem": keys["platform_public_key_pem"],
        "wechatpay_public_key_id": keys["public_key_id"]}))
    monkeypatch.setenv("SECRETS_FILE", str(secret_file))
    monkeypatch.setenv("WECHATPAY_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("WECHATPAY_APPID", APPID)
    monkeypatch.setenv("WECHATPAY_MCHID", MCHID)
    for cached in (get_settings.cache_clear, secrets.clear_cache, get_wechatpay.cache_clear):
        cached()
    try:
        client = get_wechatpay()

        assert (client.appid, client.mchid) == (APPID, MCHID)
        assert client is get_wechatpay()
        assert client.request_payment_params("wx1")["appId"] == APPID
    finally:
        monkeypatch.undo()
        for cached in (get_settings.cache_clear, secrets.clear_cache, get_wechatpay.cache_clear):
            cached()


@pytest.mark.parametrize("status, code", [(400, "PARAM_ERROR"), (404, "RESOURCE_NOT_EXISTS"),
                                          (403, "NOT_ENOUGH")])
def test_an_unsigned_error_answer_is_no_answer_at_all(client, sent, wechatpay, status, code):
    # Anything between us and WeChat Pay could forge it; believing it would close a refund.
    sent.answer = _answer(wechatpay, status, {"code": code, "message": "forged"}, signed=False)

    with pytest.raises(UpstreamUnavailable) as caught:
        client.query_refund("R1")
    assert caught.value.code == "UNSIGNED_ANSWER" and caught.value.message != "forged"
