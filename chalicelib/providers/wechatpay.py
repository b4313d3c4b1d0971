"""WeChat Pay API v3 client for JSAPI payments in a mini-program (public-key mode).

Every request is signed with the merchant key; every answer and notification is verified with the
WeChat Pay public key, its serial (PUB_KEY_ID_...) and a 5-minute clock window before it is trusted.
Retries: every call here is safe to resend, because WeChat Pay deduplicates creates by
out_trade_no, refunds by out_refund_no, and closing twice answers 204 again; so all calls go out
with idempotent=True and a resend carries the same signed request (timestamp stays in the window).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Callable, Mapping
from urllib.parse import quote, urlencode, urlsplit

from chalicelib.domain.times import SHANGHAI
from chalicelib.domain.errors import DomainError, Unauthenticated, UpstreamUnavailable
from chalicelib.providers import http
from chalicelib.providers import wechatpay_crypto as crypto
from chalicelib.providers.secrets import MissingSecret, get_secret
from chalicelib.settings import get_settings

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW_S = 300
# Hosts a bill download_url may point at: ours, or WeChat Pay's two API domains.
WECHATPAY_HOSTS = frozenset({"api.mch.weixin.qq.com", "api2.mch.weixin.qq.com"})


class WeChatPayError(DomainError):
    """WeChat Pay answered with an error, e.g. 400 ORDER_CLOSED, 400 ORDERPAID, 401 SIGN_ERROR."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, code=code)
        self.status = status


class WeChatPayUnavailable(WeChatPayError, UpstreamUnavailable):
    """A 5xx (SYSTEM_ERROR) or 429 (FREQUENCY_LIMITED) answer: try again later."""


class BillNotReady(WeChatPayError):
    """STATEMENT_CREATING: the bill of that day is not generated yet (about 10:00 the next day)."""


class BillNotFound(WeChatPayError):
    """NO_STATEMENT_EXIST: no bill for that day, i.e. no payment or refund happened."""


class InvalidResponse(UpstreamUnavailable):
    """An answer that fails verification or is malformed: treated as no answer at all."""

    code = "WECHATPAY_INVALID_RESPONSE"


class InvalidNotification(Unauthenticated):
    """A notification that fails verification; the webhook answers 4xx {"code": "FAIL"}."""

    code = "FAIL"

    def __init__(self, reason: str):
        super().__init__(f"invalid WeChat Pay notification: {reason}", code="FAIL")
        self.reason = reason


_ERRORS_BY_CODE = {"STATEMENT_CREATING": BillNotReady, "NO_STATEMENT_EXIST": BillNotFound}


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
    create_time: str
    summary: str
    resource: dict  # the decrypted transaction or refund


class WeChatPayClient:
    def __init__(self, *, base_url: str, appid: str, mchid: str, merchant_private_key_pem: str,
                 merchant_serial: str, apiv3_key: str, wechatpay_public_key_pem: str,
                 wechatpay_public_key_id: str, clock: Callable[[], float] = time.time,
                 platform_certificates: Mapping[str, str] | None = None):
        self._base_url = base_url.rstrip("/")
        self.appid, self.mchid = appid, mchid
        self._private_key_pem, self._merchant_serial = merchant_private_key_pem, merchant_serial
        self._apiv3_key = apiv3_key
        self._public_key_pem, self._public_key_id = wechatpay_public_key_pem, wechatpay_public_key_id
        # Every key WeChat Pay may sign with, by the serial it names: the public key and, while a
        # merchant moves to it from platform certificates, those certificates too.
        self._verification_keys = {**(platform_certificates or {}),
                                   wechatpay_public_key_id: wechatpay_public_key_pem}
        self._clock = clock

    # --- payments -----------------------------------------------------------------------
    def create_jsapi(self, out_trade_no: str, description: str, amount_fen: int, openid: str,
                     notify_url: str, time_expire: datetime) -> str:
        """Create the transaction the mini-program pays; returns prepay_id (valid 2 hours)."""
        body = {"appid": self.appid, "mchid": self.mchid, "description": description,
                "out_trade_no": out_trade_no, "time_expire": rfc3339(time_expire),
                "notify_url": notify_url, "amount": {"total": amount_fen, "currency": "CNY"},
                "payer": {"openid": openid}}
        prepay_id = self._call("POST", "/v3/pay/transactions/jsapi", body).get("prepay_id")
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
        return self._call("GET", f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}?{query}")

    def close_order(self, out_trade_no: str) -> None:
        self._call("POST", f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}/close",
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
        return self._call("POST", "/v3/refund/domestic/refunds", body)

    def query_refund(self, out_refund_no: str) -> dict:
        return self._call("GET", f"/v3/refund/domestic/refunds/{_segment(out_refund_no)}")

    # --- trade bill ---------------------------------------------------------------------
    def download_trade_bill(self, bill_date: date, bill_type: str = "ALL") -> bytes:
        """The day's trade bill as CSV bytes (UTF-8, gunzipped, SHA1-checked).

        Raises BillNotReady before it is generated, BillNotFound for a day without trades.
        """
        query = urlencode({"bill_date": bill_date.isoformat(), "bill_type": bill_type,
                           "tar_type": "GZIP"})
        answer = self._call("GET", f"/v3/bill/tradebill?{query}")
        url, expected = answer.get("download_url", ""), answer.get("hash_value", "").lower()
        if answer.get("hash_type") != "SHA1" or not expected:
            raise InvalidResponse("trade bill answer without a SHA1 hash")
        parts = urlsplit(url)
        if parts.netloc not in WECHATPAY_HOSTS | {urlsplit(self._base_url).netloc}:
            raise InvalidResponse(f"bill download_url points elsewhere: {parts.netloc}")
        # The file itself is not signed by WeChat Pay; the hash from the signed answer vouches for it.
        response = self._send("GET", url, parts.path + (f"?{parts.query}" if parts.query else ""), "")
        if response.status_code != 200:
            raise self._error(response.status_code, response.content.decode("utf-8", "replace"))
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
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidNotification("body is not UTF-8") from None
        problem = self._signature_problem(lowered, text, now)
        if problem:
            raise InvalidNotification(problem)
        try:
            envelope = json.loads(text)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise InvalidNotification(f"unknown algorithm {resource.get('algorithm')}")
            plaintext = crypto.aead_decrypt(self._apiv3_key, resource["nonce"],
                                            resource.get("associated_data") or "",
                                            resource["ciphertext"])
            data = json.loads(plaintext)
            if not isinstance(data, dict):
                raise InvalidNotification("resource is not a JSON object")
            return Notification(id=envelope["id"], event_type=envelope["event_type"],
                                create_time=envelope.get("create_time", ""),
                                summary=envelope.get("summary", ""), resource=data)
        except crypto.DecryptionFailed:
            raise InvalidNotification("resource does not decrypt") from None
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise InvalidNotification(f"malformed notification: {err!r}") from None

    # --- plumbing -----------------------------------------------------------------------
    def _call(self, method: str, path_with_query: str, body: dict | None = None) -> dict:
        payload = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        response = self._send(method, self._base_url + path_with_query, path_with_query, payload)
        text = self._verified_text(response)
        if response.status_code >= 300:
            raise self._error(response.status_code, text)
        try:
            return json.loads(text) if text else {}
        except ValueError as err:
            raise InvalidResponse("WeChat Pay answered with invalid JSON") from err

    def _send(self, method: str, url: str, path_with_query: str, payload: str):
        timestamp, nonce = str(int(self._clock())), crypto.new_nonce()
        signature = crypto.rsa_sign(
            crypto.request_signing_string(method, path_with_query, timestamp, nonce, payload),
            self._private_key_pem)
        headers = {
            "Authorization": f'{AUTH_SCHEMA} mchid="{self.mchid}",nonce_str="{nonce}",'
                             f'signature="{signature}",timestamp="{timestamp}",'
                             f'serial_no="{self._merchant_serial}"',
            "Accept": "application/json",
            "User-Agent": "fuel-backend (python-requests)",
            # Asks WeChat Pay to sign its answer with the public key, not a platform certificate.
            "Wechatpay-Serial": self._public_key_id,
        }
        if payload:
            headers["Content-Type"] = "application/json"
        return http.request(method, url, data=payload.encode("utf-8") if payload else None,
                            headers=headers, idempotent=True)

    def _verified_text(self, response) -> str:
        try:
            text = response.content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidResponse("WeChat Pay answer is not UTF-8") from err
        lowered = {key.lower(): value for key, value in response.headers.items()}
        if "wechatpay-signature" not in lowered and response.status_code >= 400:
            # Anything on the way could forge an unsigned answer: it is no answer; ask again.
            raise WeChatPayUnavailable(response.status_code, "UNSIGNED_ANSWER",
                                       "WeChat Pay's answer was not signed")
        problem = self._signature_problem(lowered, text, None)
        if problem:
            raise InvalidResponse(f"WeChat Pay answer failed verification: {problem}")
        return text

    def _signature_problem(self, headers: Mapping[str, str], body: str,
                           now: float | datetime | None) -> str | None:
        signature = headers.get("wechatpay-signature", "")
        timestamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
        serial = headers.get("wechatpay-serial", "")
        if not (signature and timestamp and nonce and serial):
            return "missing Wechatpay-* signature headers"
        if signature.startswith(crypto.SIGNTEST_PREFIX):
            return "signature test probe"
        if headers.get("wechatpay-signature-type", AUTH_SCHEMA) != AUTH_SCHEMA:
            return "unsupported signature type"
        key_pem = self._verification_keys.get(serial)
        if key_pem is None:
            return f"unknown serial {serial}"
        if not (timestamp.isascii() and timestamp.isdigit()):
            return "malformed timestamp"
        now_s = now.timestamp() if isinstance(now, datetime) else (self._clock() if now is None else now)
        if abs(now_s - int(timestamp)) > MAX_CLOCK_SKEW_S:
            return "timestamp more than 5 minutes off"
        if not crypto.rsa_verify(crypto.response_signing_string(timestamp, nonce, body), signature,
                                 key_pem):
            return "signature does not verify"
        return None

    @staticmethod
    def _error(status: int, text: str) -> WeChatPayError:
        try:
            data = json.loads(text)
            code, message = str(data.get("code") or f"HTTP_{status}"), str(data.get("message") or "")
        except (ValueError, AttributeError):
            code, message = f"HTTP_{status}", text[:200]
        if status >= 500 or status == 429:
            return WeChatPayUnavailable(status, code, message)
        return _ERRORS_BY_CODE.get(code, WeChatPayError)(status, code, message)


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
