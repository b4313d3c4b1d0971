"""The WeChat Pay calls a JSAPI mini-program payment needs: create, pay, query and close a
transaction, refund, download the day's trade bill, and read a notification. Requests are signed
and answers verified in transport.py; keys and secrets come from settings and the secret store.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import time
from datetime import date, datetime
from functools import lru_cache
from typing import Callable, Mapping
from urllib.parse import quote, urlencode, urlsplit

from chalicelib.domain.times import SHANGHAI
from chalicelib.providers.secrets import MissingSecret, get_secret
from chalicelib.providers.wechatpay import crypto
from chalicelib.providers.wechatpay.errors import InvalidResponse, error_from_answer
from chalicelib.providers.wechatpay.notifications import Notification, parse_notification
from chalicelib.providers.wechatpay.signatures import Verifier
from chalicelib.providers.wechatpay.transport import SignedTransport
from chalicelib.settings import get_settings

# Hosts a bill download_url may point at: ours, or WeChat Pay's two API domains.
WECHATPAY_HOSTS = frozenset({"api.mch.weixin.qq.com", "api2.mch.weixin.qq.com"})


class WeChatPayClient:
    def __init__(self, *, base_url: str, appid: str, mchid: str, merchant_private_key_pem: str,
                 merchant_serial: str, apiv3_key: str, wechatpay_public_key_pem: str,
                 wechatpay_public_key_id: str, clock: Callable[[], float] = time.time,
                 platform_certificates: Mapping[str, str] | None = None):
        self.appid, self.mchid = appid, mchid
        self._private_key_pem = merchant_private_key_pem
        self._apiv3_key = apiv3_key
        self._clock = clock
        self._verifier = Verifier({**(platform_certificates or {}),
                                   wechatpay_public_key_id: wechatpay_public_key_pem}, clock)
        self._transport = SignedTransport(
            base_url=base_url, mchid=mchid, merchant_private_key_pem=merchant_private_key_pem,
            merchant_serial=merchant_serial, wechatpay_public_key_id=wechatpay_public_key_id,
            verifier=self._verifier, clock=clock)

    # --- payments -----------------------------------------------------------------------
    def create_jsapi(self, out_trade_no: str, description: str, amount_fen: int, openid: str,
                     notify_url: str, time_expire: datetime) -> str:
        """Create the transaction the mini-program pays; returns prepay_id (valid 2 hours)."""
        body = {"appid": self.appid, "mchid": self.mchid, "description": description,
                "out_trade_no": out_trade_no, "time_expire": rfc3339(time_expire),
                "notify_url": notify_url, "amount": {"total": amount_fen, "currency": "CNY"},
                "payer": {"openid": openid}}
        prepay_id = self._transport.call("POST", "/v3/pay/transactions/jsapi", body).get(
            "prepay_id")
        if not prepay_id:
            raise InvalidResponse("WeChat Pay answered without prepay_id")
        return prepay_id

    def request_payment_params(self, prepay_id: str) -> dict:
        """The wx.requestPayment arguments; paySign is over APPID, timeStamp, nonceStr, package."""
        timestamp, nonce, package = str(int(self._clock())), crypto.new_nonce(), f"prepay_id={prepay_id}"
        pay_sign = crypto.rsa_sign(f"{self.appid}\n{timestamp}\n{nonce}\n{package}\n",
                                   self._private_key_pem)
        return {"appId": self.appid, "timeStamp": timestamp, "nonceStr": nonce,
                "package": package, "signType": "RSA", "paySign": pay_sign}

    def query_order(self, out_trade_no: str) -> dict:
        query = urlencode({"mchid": self.mchid})
        return self._transport.call(
            "GET", f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}?{query}")

    def close_order(self, out_trade_no: str) -> None:
        self._transport.call(
            "POST", f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}/close",
            {"mchid": self.mchid})

    # --- refunds ------------------------------------------------------------------------
    def create_refund(self, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int,
                      reason: str | None = None, notify_url: str | None = None) -> dict:
        """Request a refund; the same out_refund_no always means the same single refund."""
        body = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no,
                "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"}}
        if reason:
            body["reason"] = reason
        if notify_url:
            body["notify_url"] = notify_url
        return self._transport.call("POST", "/v3/refund/domestic/refunds", body)

    def query_refund(self, out_refund_no: str) -> dict:
        return self._transport.call("GET", f"/v3/refund/domestic/refunds/{_segment(out_refund_no)}")

    # --- trade bill ---------------------------------------------------------------------
    def download_trade_bill(self, bill_date: date, bill_type: str = "ALL") -> bytes:
        """The day's trade bill as CSV bytes (UTF-8, gunzipped, SHA1-checked).

        Raises BillNotReady before it is generated, BillNotFound for a day without trades.
        """
        query = urlencode({"bill_date": bill_date.isoformat(), "bill_type": bill_type,
                           "tar_type": "GZIP"})
        answer = self._transport.call("GET", f"/v3/bill/tradebill?{query}")
        url, expected = answer.get("download_url", ""), answer.get("hash_value", "").lower()
        if answer.get("hash_type") != "SHA1" or not expected:
            raise InvalidResponse("trade bill answer without a SHA1 hash")
        parts = urlsplit(url)
        if parts.netloc not in WECHATPAY_HOSTS | {urlsplit(self._transport.base_url).netloc}:
            raise InvalidResponse(f"bill download_url points elsewhere: {parts.netloc}")
        # The file itself is not signed by WeChat Pay; the hash from the signed answer vouches for it.
        response = self._transport.send(
            "GET", url, parts.path + (f"?{parts.query}" if parts.query else ""), "")
        if response.status_code != 200:
            raise error_from_answer(response.status_code,
                                    response.content.decode("utf-8", "replace"))
        data = response.content
        try:
            csv = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        except (OSError, EOFError) as err:
            raise InvalidResponse("trade bill is not a valid gzip file") from err
        # The hash is of the original bill, i.e. after gunzip (PROTOCOLS.md, WeChat Pay docs).
        if hashlib.sha1(csv).hexdigest() != expected:
            raise InvalidResponse("trade bill does not match its SHA1 hash")
        return csv

    # --- notifications ------------------------------------------------------------------
    def parse_notification(self, headers: Mapping[str, str], body: bytes,
                           now: float | datetime | None = None) -> Notification:
        """Verify and decrypt a notification; raises InvalidNotification (code FAIL) otherwise."""
        return parse_notification(self._verifier, self._apiv3_key, headers, body, now)


def rfc3339(moment: datetime) -> str:
    """WeChat Pay's time format, e.g. 2024-05-01T10:15:00+08:00; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def _segment(value: str) -> str:
    """A path segment exactly as sent, so the signed path matches the request line."""
    return quote(value, safe="-_.*")


@lru_cache(maxsize=1)
def get_wechatpay() -> WeChatPayClient:
    settings = get_settings()
    return WeChatPayClient(
        base_url=settings.wechatpay_api_url, appid=settings.wechatpay_appid,
        mchid=settings.wechatpay_mchid,
        merchant_private_key_pem=get_secret("wechatpay_merchant_private_key_pem"),
        merchant_serial=get_secret("wechatpay_merchant_serial"),
        apiv3_key=get_secret("wechatpay_apiv3_key"),
        wechatpay_public_key_pem=get_secret("wechatpay_public_key_pem"),
        wechatpay_public_key_id=get_secret("wechatpay_public_key_id"),
        platform_certificates=_platform_certificates())


def _platform_certificates() -> dict[str, str]:
    """The secret `wechatpay_platform_certificates` ({serial: certificate PEM}), kept while a
    merchant moves to the public key; none once the move is done."""
    try:
        certificates = json.loads(get_secret("wechatpay_platform_certificates"))
    except MissingSecret:
        return {}
    if not isinstance(certificates, dict):
        raise ValueError("wechatpay_platform_certificates must be a JSON object serial -> PEM")
    return certificates
