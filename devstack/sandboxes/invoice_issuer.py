"""Sandbox e-invoice issuer: the Nuonuo-style open API (诺税通) over HTTP, with its own signing code.

One endpoint, POST /open/v1/services?senid=&nonce=&timestamp=&appkey=, the API method in the
`method` header and the signature in `X-Nuonuo-Sign`:
    base64(HMAC-SHA1(app_secret,
        "a=services&l=v1&p=open&k={appkey}&i={senid}&n={nonce}&t={timestamp}&f={body}"))
where a/l/p are the last, middle and first segments of the path and body is the exact request
text. Answers are {"code", "describe", "result"}; "E0000" is success.

Methods: requestBillingNew (issue; orderNo is the caller's serial), queryInvoiceResult,
reInvoice (retry a failed issue under the same serial), saveInvoiceRedConfirm (red-letter
reversal; billId is the caller's serial; the red invoice is issued automatically) and
queryInvoiceRedConfirm. Issuing completes `delay_s` after acceptance. Every request is checked
field by field against the documented limits (devstack/sandboxes/invoice_rules.py) and refused
with the platform's parameter error, as the platform does. An issued invoice's result carries
`pdfUrl` and `ofdUrl`, the platform's files, served by GET /files/<name>. POST /sandbox/config
changes the delay and the failure shares at run time; GET /sandbox/orders/<orderNo> shows the
request accepted under an orderNo, as the platform's console would. Never deployed.

This module is the platform's gateway (signature, app key, timestamp, method, the /sandbox/*
switches); what each method does is devstack/sandboxes/invoice_issuing.py.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import asdict, replace

from flask import Flask, Response, jsonify, request

from devstack.sandboxes.invoice_issuing import (
    BAD_REQUEST, BUSY, METHODS, InvoiceIssuerSandboxConfig, Issuer)

SERVICES_PATH = "/open/v1/services"
# Gateway refusals; 070101 is Nuonuo's code for an unknown app key, the others are the sandbox's.
UNKNOWN_APP, BAD_SIGNATURE, STALE_TIMESTAMP, MISSING_PARAMS, UNKNOWN_METHOD = (
    "070101", "070301", "070302", "070303", "070401")
TUNABLE = ("delay_s", "fail_rate_temporary", "fail_rate_permanent", "fail_rate_transient",
           "fail_rate_signing")


def sign(secret: str, path: str, appkey: str, senid: str, nonce: str, timestamp: str,
         body: str) -> str:
    pieces = path.strip("/").split("/")
    message = (f"a={pieces[-1]}&l={pieces[-2]}&p={pieces[-3]}&k={appkey}&i={senid}"
               f"&n={nonce}&t={timestamp}&f={body}")
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _answer(code: str, describe: str, result=None):
    return jsonify({"code": code, "describe": describe, "result": result})


def _check_config(updates) -> dict:
    if not isinstance(updates, dict):
        raise ValueError("send a JSON object of settings")
    unknown = set(updates) - set(TUNABLE) - {"seed"}
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    if not isinstance(updates.get("seed", 0), (int, type(None))):
        raise ValueError("seed must be an integer or null")
    for key in TUNABLE:
        if key in updates:
            value = updates[key]
            upper = float("inf") if key == "delay_s" else 1
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= upper:
                raise ValueError(f"{key} must be a number from 0 to {upper}")
    return updates


def create_app(config: InvoiceIssuerSandboxConfig | None = None) -> Flask:
    # A copy: /sandbox/config changes this app's settings, never the caller's object.
    issuer = Issuer(replace(config) if config else InvoiceIssuerSandboxConfig())
    app = Flask(__name__)

    @app.post(SERVICES_PATH)
    def services():
        cfg = issuer.config
        params = {key: request.args.get(key, "")
                  for key in ("senid", "nonce", "timestamp", "appkey")}
        signature = request.headers.get("X-Nuonuo-Sign", "")
        if not all(params.values()) or not signature:
            return _answer(MISSING_PARAMS, "缺少公共参数或签名")
        if not hmac.compare_digest(params["appkey"].encode(), cfg.app_key.encode()):
            return _answer(UNKNOWN_APP, "获取app密钥失败或appkey无效")
        try:
            skew = abs(time.time() - int(params["timestamp"]))
        except ValueError:
            skew = float("inf")
        if skew > cfg.max_clock_skew_s:
            return _answer(STALE_TIMESTAMP, "时间戳已过期")
        body_text = request.get_data(as_text=True)
        expected = sign(cfg.app_secret, request.path, params["appkey"], params["senid"],
                        params["nonce"], params["timestamp"], body_text)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return _answer(BAD_SIGNATURE, "签名验证失败")
        handler = METHODS.get(request.headers.get("method", "").rsplit(".", 1)[-1])
        if handler is None:
            return _answer(UNKNOWN_METHOD, "不支持的API方法")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _answer(BAD_REQUEST, "请求体应为JSON对象")
        with issuer.lock:
            issuer.base_url = issuer.base_url or request.host_url.rstrip("/")
            if issuer.roll(cfg.fail_rate_temporary):
                return _answer(BUSY, "系统繁忙，请稍后重试")
            return _answer(*handler(issuer, body))

    @app.get("/files/<name>")
    def files(name: str):
        data = issuer.file(name)
        if data is None:
            return Response("not found", status=404)
        kind = "application/pdf" if name.endswith(".pdf") else "application/ofd"
        return Response(data, mimetype=kind)

    @app.get("/sandbox/orders/<order_no>")
    def accepted_order(order_no: str):
        with issuer.lock:
            req = issuer.by_order.get(order_no)
            if req is None:
                return jsonify({"error": "no such orderNo"}), 404
            return jsonify({"order": req.order, "status": issuer.invoice_view(req)["status"],
                            "number": req.number})

    @app.get("/sandbox/invoices/<number>")
    def issued_invoice(number: str):
        """An issued invoice by its number, with the files the platform serves for it."""
        with issuer.lock:
            req = issuer.by_number.get(number)
            if req is None:
                return jsonify({"error": "no such invoice"}), 404
            view = issuer.invoice_view(req)
            return jsonify({"orderNo": req.order_no, "order": req.order,
                            "pdfUrl": view["pdfUrl"], "ofdUrl": view["ofdUrl"]})

    @app.route("/sandbox/config", methods=["GET", "POST"])
    def sandbox_config():
        if request.method == "POST":
            try:
                updates = _check_config(request.get_json(silent=True) or {})
            except ValueError as err:
                return jsonify({"error": str(err)}), 400
            with issuer.lock:
                for key, value in updates.items():
                    setattr(issuer.config, key, value)
                if "seed" in updates:
                    issuer.rng.seed(updates["seed"])
        return jsonify({key: value for key, value in asdict(issuer.config).items()
                        if key != "app_secret"})

    return app
