"""WeChat server API sandbox: jscode2session, access tokens, and the phone's side of wx.login.

It keeps WeChat's rules: a login code works once and lives 5 minutes; a wrong appid/secret is
refused; errors use WeChat's errcodes (40029 invalid code, 40163 code used, 45011 rate limit,
40226 high-risk user). Tests make the next login fail with POST /sandbox/fail-next {errcode}.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

CODE_TTL_S = 300


@dataclass
class WeChatSandboxConfig:
    appid: str
    app_secret: str
    # openids refused as high-risk users (errcode 40226).
    high_risk_openids: set[str] = field(default_factory=set)


@dataclass
class _State:
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)   # code -> (openid, issued)
    used: set[str] = field(default_factory=set)
    fail_next: list[int] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)              # token -> expires
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(errcode: int, errmsg: str):
    # WeChat answers errors with HTTP 200 and an errcode in the body.
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def create_app(config: WeChatSandboxConfig, *, clock=time.time) -> Flask:
    app = Flask("wechat-sandbox")
    state = _State()
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

    @app.post("/sandbox/fail-next")
    def fail_next():
        errcode = (request.get_json(silent=True) or {}).get("errcode")
        if not isinstance(errcode, int):
            return jsonify({"error": "errcode must be an integer"}), 400
        with state.lock:
            state.fail_next.append(errcode)
        return jsonify({"queued": errcode})

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

    return app


def valid_access_token(app: Flask, token: str, *, now: float | None = None) -> bool:
    """For the sandbox's own later endpoints (messages, shipping info)."""
    state: _State = app.config["sandbox_state"]
    with state.lock:
        expires = state.tokens.get(token)
    return expires is not None and expires > (time.time() if now is None else now)
