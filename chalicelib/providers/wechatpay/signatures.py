"""Signing our requests and verifying WeChat Pay's answers and notifications (API v3).

Every request carries an Authorization header signed with the merchant key; every answer and
notification must be signed by a key WeChat Pay names by serial (the public key, PUB_KEY_ID_...,
or while a merchant moves to it a platform certificate) within a 5-minute clock window.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Mapping

from chalicelib.providers.wechatpay import crypto

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW_S = 300


def authorization(method: str, path_with_query: str, payload: str, *, mchid: str,
                  merchant_serial: str, private_key_pem: str, timestamp: str) -> str:
    """The Authorization header of one request: the merchant's signature over method, path with
    query as sent, timestamp, a fresh nonce and the body."""
    nonce = crypto.new_nonce()
    signature = crypto.rsa_sign(
        crypto.request_signing_string(method, path_with_query, timestamp, nonce, payload),
        private_key_pem)
    return (f'{AUTH_SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{merchant_serial}"')


class Verifier:
    """Checks the Wechatpay-* headers of an answer or a notification against its body."""

    def __init__(self, keys_by_serial: Mapping[str, str], clock: Callable[[], float]):
        # Every key WeChat Pay may sign with, by the serial it names: the public key and, while a
        # merchant moves to it from platform certificates, those certificates too.
        self._keys = dict(keys_by_serial)
        self._clock = clock

    def problem(self, headers: Mapping[str, str], body: str,
                now: float | datetime | None = None) -> str | None:
        """Why the signature does not hold (`headers` with lower-case names), or None."""
        signature = headers.get("wechatpay-signature", "")
        timestamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
        serial = headers.get("wechatpay-serial", "")
        if not (signature and timestamp and nonce and serial):
            return "missing Wechatpay-* signature headers"
        if signature.startswith(crypto.SIGNTEST_PREFIX):
            return "signature test probe"
        if headers.get("wechatpay-signature-type", AUTH_SCHEMA) != AUTH_SCHEMA:
            return "unsupported signature type"
        key_pem = self._keys.get(serial)
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


def lowered(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names compared case-insensitively, as HTTP has them."""
    return {key.lower(): value for key, value in headers.items()}
