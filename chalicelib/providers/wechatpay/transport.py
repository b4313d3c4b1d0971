"""The signed request and the verified answer of every WeChat Pay API v3 call.

Retries: every call is safe to resend, because WeChat Pay deduplicates creates by out_trade_no,
refunds by out_refund_no, and closing twice answers 204 again; so all calls go out with
idempotent=True and a resend carries the same signed request (timestamp stays in the window).
"""
from __future__ import annotations

import json
from typing import Callable

from chalicelib.providers import http
from chalicelib.providers.wechatpay.errors import (
    InvalidResponse, WeChatPayUnavailable, error_from_answer)
from chalicelib.providers.wechatpay.signatures import Verifier, authorization, lowered


class SignedTransport:
    def __init__(self, *, base_url: str, mchid: str, merchant_private_key_pem: str,
                 merchant_serial: str, wechatpay_public_key_id: str, verifier: Verifier,
                 clock: Callable[[], float]):
        self.base_url = base_url.rstrip("/")
        self._mchid = mchid
        self._private_key_pem, self._merchant_serial = merchant_private_key_pem, merchant_serial
        self._public_key_id = wechatpay_public_key_id
        self._verifier = verifier
        self._clock = clock

    def call(self, method: str, path_with_query: str, body: dict | None = None) -> dict:
        """One API call: the JSON answer once verified; a WeChatPayError for a non-2xx answer."""
        payload = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        response = self.send(method, self.base_url + path_with_query, path_with_query, payload)
        text = self._verified_text(response)
        if response.status_code >= 300:
            raise error_from_answer(response.status_code, text)
        try:
            return json.loads(text) if text else {}
        except ValueError as err:
            raise InvalidResponse("WeChat Pay answered with invalid JSON") from err

    def send(self, method: str, url: str, path_with_query: str, payload: str):
        """The signed request, its answer unverified (the bill file is not signed)."""
        headers = {
            "Authorization": authorization(
                method, path_with_query, payload, mchid=self._mchid,
                merchant_serial=self._merchant_serial, private_key_pem=self._private_key_pem,
                timestamp=str(int(self._clock()))),
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
        headers = lowered(response.headers)
        if "wechatpay-signature" not in headers and response.status_code >= 400:
            # Anything on the way could forge an unsigned answer: it is no answer; ask again.
            raise WeChatPayUnavailable(response.status_code, "UNSIGNED_ANSWER",
                                       "WeChat Pay's answer was not signed")
        problem = self._verifier.problem(headers, text)
        if problem:
            raise InvalidResponse(f"WeChat Pay answer failed verification: {problem}")
        return text
