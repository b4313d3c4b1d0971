"""WeChat server API sandbox: jscode2session, access tokens, and the phone's side of wx.login.

It keeps WeChat's rules: a login code works once and lives 5 minutes; a wrong appid/secret is
refused; errors use WeChat's errcodes (40029 invalid code, 40163 code used, 45011 rate limit,
40226 high-risk user). Tests make the next login fail with POST /sandbox/fail-next {errcode}.
Subscribe messages (send, quotas, outbox) are in wechat_messages.py, mini-program codes
(wxacode.getUnlimited) in wechat_codes.py.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from devstack.sandboxes.wechat_messages import add_subscribe_routes
from devstack.sandboxes.wechat_state import SandboxState, add_fail_next_route, valid_access_token

CODE_TTL_S = 300


@dataclass
class WeChatSandboxConfig:
    appid: str
    app_secret: str
    # openids refused as high-risk users (errcode 40226).
    high_risk_openids: set[str] = field(default_factory=set)
    # Subscribe-message templates: template id -> its data keys (wechat_messages.templates_for).
    subscribe_templates: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _error(errcode: int, errmsg: str):
    # WeChat answers errors with HTTP 200 and an errcode in the body.
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def create_app(config: WeChatSandboxConfig, *, clock=time.time) -> Flask:
    app = Flask("wechat-sandbox")
    state = SandboxState()
    app.config["sandbox_state"] = state

    @app.post("/sandbox/login-code")
    def login_code():
        openid = (request.get_json(silent=True) or {}).get("openid")
        if not isinstance(openid, str) or not openid:
            return jsonify({"error": "openid is required"}), 400
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.codes[code] = (openid, clock())
        return jsonify({"code": code})

    add_fail_next_route(app, "/sandbox/fail-next", state.lock, state.fail_next)

    @app.get("/sns/jscode2session")
    def jscode2session():
        args = request.args
        if args.get("appid") != config.appid or args.get("secret") != config.app_secret:
            return _error(40125, "invalid appsecret")
        if args.get("grant_type") != "authorization_code":
            return _error(40002, "invalid grant_type")
        code = args.get("js_code", "")
        with state.lock:
            if state.fail_next:
                return _error(state.fail_next.pop(0), "sandbox failure")
            if code in state.used:
                return _error(40163, "code been used")
            issued = state.codes.pop(code, None)
            if issued is None or clock() - issued[1] > CODE_TTL_S:
                return _error(40029, "invalid code")
            state.used.add(code)
        openid = issued[0]
        if openid in config.high_risk_openids:
            return _error(40226, "high risk user")
        return jsonify({"openid": openid, "session_key": secrets.token_urlsafe(16)})

    @app.route("/cgi-bin/stable_token", methods=["POST"])
    def stable_token():
        body = request.get_json(silent=True) or {}
        if body.get("appid") != config.appid or body.get("secret") != config.app_secret:
            return _error(40125, "invalid appsecret")
        token = secrets.token_urlsafe(32)
        with state.lock:
            state.tokens[token] = clock() + 7200
        return jsonify({"access_token": token, "expires_in": 7200})

    _add_shipping_routes(app, state, clock)
    add_subscribe_routes(app, state.lock, config.subscribe_templates, clock)
    from devstack.sandboxes.wechat_codes import add_code_routes
    add_code_routes(app, state.lock, clock,
                    lambda token: valid_access_token(app, token, now=clock()))
    return app


# --- shipping info (发货信息录入), as WeChat's upload_shipping_info answers it ------------------
SHIPPING_LOGISTICS_TYPES = (1, 2, 3, 4)  # express, same-city, virtual, picked up by the customer
SHIPPING_RESHIPMENTS_ALLOWED = 1  # a second upload for one payment is the one re-shipping allowed


def _shipping_problem(body) -> str | None:
    """Why a body is not a valid upload, in WeChat's spirit (errcode 47001), or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    key = body.get("order_key")
    if not isinstance(key, dict) or key.get("order_number_type") not in (1, 2):
        return "order_key.order_number_type must be 1 or 2"
    if key["order_number_type"] == 2 and not key.get("transaction_id"):
        return "order_key.transaction_id is required"
    if key["order_number_type"] == 1 and not (key.get("mchid") and key.get("out_trade_no")):
        return "order_key.mchid and out_trade_no are required"
    if body.get("logistics_type") not in SHIPPING_LOGISTICS_TYPES:
        return "logistics_type must be 1-4"
    if body.get("delivery_mode") not in (1, 2):
        return "delivery_mode must be 1 or 2"
    items = body.get("shipping_list")
    if not isinstance(items, list) or not 1 <= len(items) <= 15:
        return "shipping_list must hold 1-15 entries"
    for item in items:
        desc = item.get("item_desc") if isinstance(item, dict) else None
        if not isinstance(desc, str) or not 1 <= len(desc) <= 120:
            return "shipping_list[].item_desc must be 1-120 characters"
        if body["logistics_type"] == 1 and not (item.get("tracking_no") and item.get("express_company")):
            return "express shipping needs tracking_no and express_company"
    if not isinstance(body.get("upload_time"), str) or "T" not in body["upload_time"]:
        return "upload_time must be an RFC 3339 time"
    payer = body.get("payer")
    if not isinstance(payer, dict) or not payer.get("openid"):
        return "payer.openid is required"
    return None


def _add_shipping_routes(app: Flask, state: SandboxState, clock) -> None:
    """POST /wxa/sec/order/upload_shipping_info, and GET /sandbox/shipping?transaction_id= to
    see what was recorded; POST /sandbox/shipping/fail-next {errcode} fails the next upload."""
    uploads: list[dict] = []
    fail_next: list[int] = []
    app.config["shipping_uploads"] = uploads

    @app.post("/wxa/sec/order/upload_shipping_info")
    def upload_shipping_info():
        if not valid_access_token(app, request.args.get("access_token", ""), now=clock()):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = request.get_json(silent=True)
        problem = _shipping_problem(body)
        if problem:
            return _error(47001, f"data format error, hint: {problem}")
        key = body["order_key"]
        identity = key.get("transaction_id") or f"{key.get('mchid')}/{key.get('out_trade_no')}"
        with state.lock:
            if fail_next:
                return _error(fail_next.pop(0), "sandbox failure")
            earlier = [u for u in uploads if u["order"] == identity]
            if len(earlier) > SHIPPING_RESHIPMENTS_ALLOWED:
                return _error(10060003, "支付单已使用重新发货机会")
            uploads.append({"order": identity, "transaction_id": key.get("transaction_id"),
                            "out_trade_no": key.get("out_trade_no"),
                            "logistics_type": body["logistics_type"],
                            "delivery_mode": body["delivery_mode"],
                            "item_desc": [i["item_desc"] for i in body["shipping_list"]],
                            "upload_time": body["upload_time"], "openid": body["payer"]["openid"],
                            "reshipment": bool(earlier)})
        return jsonify({"errcode": 0, "errmsg": "ok"})

    @app.get("/sandbox/shipping")
    def list_shipping():
        wanted = request.args.get("transaction_id")
        with state.lock:
            items = [dict(u) for u in uploads if wanted in (None, u["transaction_id"])]
        return jsonify({"items": items})

    add_fail_next_route(app, "/sandbox/shipping/fail-next", state.lock, fail_next)
