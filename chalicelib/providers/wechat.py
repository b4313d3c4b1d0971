"""WeChat mini-program server API: login (jscode2session) and the access token for later calls.

`session_key` from jscode2session is dropped here: it never leaves this module, is never stored,
returned or logged.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from chalicelib.domain.times import SHANGHAI
from chalicelib.domain.errors import (Forbidden, RateLimited, Unauthenticated,
                                      UpstreamUnavailable)
from chalicelib.domain.notifications.subscribe_messages import TOKEN, classify_send_error
from chalicelib.providers import http
from chalicelib.providers.secrets import get_secret
from chalicelib.settings import get_settings

# errcodes of jscode2session and what they mean for the caller.
_INVALID_CODE = {40029, 40163}
_RATE_LIMITED = 45011
_HIGH_RISK = 40226
# Refresh the access token this long before WeChat says it expires.
_REFRESH_EARLY_S = 300


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    unionid: str | None


class WeChatClient:
    def __init__(self, base_url: str, appid: str, app_secret: str):
        self._base_url = base_url
        self._appid = appid
        self._secret = app_secret
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    def code_to_session(self, code: str) -> WeChatSession:
        response = http.request("GET", f"{self._base_url}/sns/jscode2session", params={
            "appid": self._appid, "secret": self._secret, "js_code": code,
            "grant_type": "authorization_code"})
        body = _json(response)
        errcode = int(body.get("errcode") or 0)
        if errcode in _INVALID_CODE:
            raise Unauthenticated("the login code is invalid, used or expired",
                                  code="INVALID_LOGIN_CODE")
        if errcode == _RATE_LIMITED:
            raise RateLimited("WeChat is limiting logins; try again shortly",
                              code="WECHAT_RATE_LIMITED")
        if errcode == _HIGH_RISK:
            raise Forbidden("WeChat refused this user as high risk", code="HIGH_RISK_USER")
        if errcode or not body.get("openid"):
            raise UpstreamUnavailable(f"WeChat login failed (errcode {errcode})",
                                      code="WECHAT_UNAVAILABLE")
        return WeChatSession(openid=body["openid"], unionid=body.get("unionid"))

    def access_token(self, *, now: float | None = None) -> str:
        """The cached access token; one refresher at a time per process.

        Uses /cgi-bin/stable_token, which does not invalidate the token other Lambda containers
        hold, so every container may keep its own cache.
        """
        now = time.time() if now is None else now
        cached = self._token
        if cached and cached[1] > now:
            return cached[0]
        with self._token_lock:
            cached = self._token
            if cached and cached[1] > now:
                return cached[0]
            response = http.request("POST", f"{self._base_url}/cgi-bin/stable_token", json={
                "grant_type": "client_credential", "appid": self._appid,
                "secret": self._secret, "force_refresh": False})
            body = _json(response)
            if "access_token" not in body:
                raise UpstreamUnavailable(
                    f"WeChat refused the access token (errcode {body.get('errcode')})",
                    code="WECHAT_UNAVAILABLE")
            expires_in = int(body.get("expires_in", 7200))
            self._token = (body["access_token"], now + max(expires_in - _REFRESH_EARLY_S, 60))
            return self._token[0]

    def send_subscribe_message(self, openid: str, template_id: str, data: dict,
                               page: str | None = None, *, state: str = "formal") -> str | None:
        """subscribeMessage.send; returns WeChat's msgid.

        `data` is WeChat's `{key: {"value": text}}` (domain/subscribe_messages.build_message).
        `state` is the mini-program version the message opens: developer, trial or formal.
        A refused access token (40001/40014/42001) is dropped and the send tried once more with
        a fresh one. Raises SubscribeMessageRejected (errcode and its `outcome`), or
        SubscribeSendUncertain when WeChat did not answer in time (it may have sent it), or
        UpstreamUnavailable when WeChat could not be reached (surely not sent).
        """
        import requests

        body = {"touser": openid, "template_id": template_id, "data": data,
                "miniprogram_state": state, "lang": "zh_CN"}
        if page:
            body["page"] = page
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in (1, 2):
            token = self.access_token()
            try:
                response = http.request(
                    "POST", f"{self._base_url}/cgi-bin/message/subscribe/send",
                    params={"access_token": token}, data=payload,
                    headers={"Content-Type": "application/json"}, idempotent=False)
            except UpstreamUnavailable as err:
                cause = err.__cause__  # read timeout: sent, answer lost; connect: never sent
                if isinstance(cause, requests.ReadTimeout):
                    raise SubscribeSendUncertain(str(err)) from err
                raise
            answer = _json(response)
            errcode = int(answer.get("errcode") or 0)
            if errcode == 0:
                return None if answer.get("msgid") is None else str(answer["msgid"])
            outcome = classify_send_error(errcode)
            if outcome == TOKEN:
                with self._token_lock:
                    if self._token and self._token[0] == token:
                        self._token = None  # refreshed elsewhere or revoked
                if attempt == 1:
                    continue
            raise SubscribeMessageRejected(errcode, str(answer.get("errmsg", "")), outcome)
        raise AssertionError("unreachable")

    def upload_shipping_info(self, *, transaction_id: str, openid: str, item_desc: str,
                             upload_time: datetime) -> None:
        """Tell WeChat a paid order's goods were handed over (logistics_type 4: picked up by the
        customer), without which WeChat may hold the settlement.

        Raises ShippingInfoRejected with WeChat's errcode; its `already_recorded` is True when
        WeChat already holds shipping info for the payment (nothing left to upload).
        """
        body = {"order_key": {"order_number_type": 2, "transaction_id": transaction_id},
                "logistics_type": 4, "delivery_mode": 1,
                "shipping_list": [{"item_desc": item_desc[:_MAX_ITEM_DESC]}],
                "upload_time": _shipping_time(upload_time), "payer": {"openid": openid}}
        # Not resent after a timeout: WeChat counts a second upload as the one re-shipping allowed.
        response = http.request("POST", f"{self._base_url}/wxa/sec/order/upload_shipping_info",
                                params={"access_token": self.access_token()},
                                data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                headers={"Content-Type": "application/json"}, idempotent=False)
        answer = _json(response)
        errcode = int(answer.get("errcode") or 0)
        if errcode in _TOKEN_REFUSED:
            self._token = None  # refreshed elsewhere or revoked: fetch a new one next time
        if errcode:
            raise ShippingInfoRejected(errcode, str(answer.get("errmsg", "")))

    def get_unlimited_code(self, scene: str, page: str, *, width: int = 430,
                           check_path: bool = True) -> bytes:
        """wxacode.getUnlimited: the image of a mini-program code opening `page` with `scene`.

        WeChat answers the image itself, or JSON with an errcode. A refused access token is
        dropped and the call tried once more with a fresh one; any other errcode raises
        WeChatCodeRejected. The token travels only in the query, never in a message or log.
        """
        payload = json.dumps({"scene": scene, "page": page, "width": width,
                              "check_path": check_path}).encode("utf-8")
        for attempt in (1, 2):
            token = self.access_token()
            response = http.request("POST", f"{self._base_url}/wxa/getwxacodeunlimit",
                                    params={"access_token": token}, data=payload,
                                    headers={"Content-Type": "application/json"})
            kind = response.headers.get("Content-Type", "")
            if response.status_code == 200 and kind.startswith("image/"):
                return response.content
            errcode = int(_json(response).get("errcode") or -1)
            if errcode in _TOKEN_REFUSED:
                with self._token_lock:
                    if self._token and self._token[0] == token:
                        self._token = None
                if attempt == 1:
                    continue
            raise WeChatCodeRejected(errcode)
        raise AssertionError("unreachable")


# errcodes of upload_shipping_info: the access token was refused; WeChat already holds shipping
# info for the payment (10060003 re-shipping used up, 10060004 not shippable: shipped or refunded).
_TOKEN_REFUSED = {40001, 40014, 42001}
_SHIPPING_ALREADY_RECORDED = {10060003, 10060004}
_MAX_ITEM_DESC = 120


class ShippingInfoRejected(UpstreamUnavailable):
    """WeChat answered upload_shipping_info with an errcode."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"WeChat refused the shipping info (errcode {errcode}: {errmsg})",
                         code="WECHAT_SHIPPING_REJECTED")
        self.errcode = errcode
        self.already_recorded = errcode in _SHIPPING_ALREADY_RECORDED


class WeChatCodeRejected(UpstreamUnavailable):
    """WeChat refused to make a mini-program code (45009 rate limit, 41030 page, 40129 scene)."""

    def __init__(self, errcode: int):
        super().__init__(f"WeChat refused the pump code (errcode {errcode})",
                         code="WECHAT_CODE_REJECTED")
        self.errcode = errcode


class SubscribeMessageRejected(UpstreamUnavailable):
    """WeChat answered subscribeMessage.send with an errcode; `outcome` is what it means
    (domain/subscribe_messages.classify_send_error: no_quota and invalid are final)."""

    def __init__(self, errcode: int, errmsg: str, outcome: str):
        super().__init__(f"WeChat refused the message (errcode {errcode}: {errmsg})",
                         code="WECHAT_MESSAGE_REJECTED")
        self.errcode = errcode
        self.errmsg = errmsg
        self.outcome = outcome


class SubscribeSendUncertain(UpstreamUnavailable):
    """The send reached WeChat but no answer came back: the message may have been sent."""

    def __init__(self, message: str):
        super().__init__(message, code="WECHAT_MESSAGE_UNCERTAIN")


def _shipping_time(moment: datetime) -> str:
    """RFC 3339 with milliseconds in China time, as WeChat's examples write upload_time."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


def _json(response) -> dict:
    if response.status_code != 200:
        raise UpstreamUnavailable(f"WeChat answered HTTP {response.status_code}",
                                  code="WECHAT_UNAVAILABLE")
    try:
        body = response.json()
    except ValueError as err:
        raise UpstreamUnavailable("WeChat answered with no JSON", code="WECHAT_UNAVAILABLE") from err
    if not isinstance(body, dict):
        raise UpstreamUnavailable("WeChat answered an unexpected body", code="WECHAT_UNAVAILABLE")
    return body


@lru_cache(maxsize=1)
def get_wechat() -> WeChatClient:
    settings = get_settings()
    return WeChatClient(settings.wechat_api_url, settings.wechat_appid,
                        get_secret("wechat_app_secret"))
