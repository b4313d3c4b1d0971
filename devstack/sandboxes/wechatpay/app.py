"""The sandbox itself (its state behind one lock, and what it does, from payments.py, refunds.py,
notifications.py and bills.py) and its HTTP face: the merchant's signature checked on every /v3
request, every /v3 answer signed, and the /sandbox/* switches."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from urllib.parse import quote

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from chalicelib.domain.times import SHANGHAI
from devstack.sandboxes.wechatpay.bills import Bills
from devstack.sandboxes.wechatpay.config import (
    SandboxError, WeChatPaySandboxConfig, check_param, dumps)
from devstack.sandboxes.wechatpay.keys import AUTH_SCHEMA, rsa_verify
from devstack.sandboxes.wechatpay.notifications import (
    Delivery, Notifying, Scheduler, signature_headers)
from devstack.sandboxes.wechatpay.payments import Order, Payments
from devstack.sandboxes.wechatpay.refunds import Refund, Refunds

MAX_CLOCK_SKEW_S = 300


class WeChatPaySandbox(Payments, Refunds, Notifying, Bills):
    """In-memory WeChat Pay: every read and write of state happens behind one lock."""

    def __init__(self, config: WeChatPaySandboxConfig):
        self.config = config
        self.lock = threading.RLock()
        self.orders: dict[str, Order] = {}
        self.by_prepay: dict[str, Order] = {}
        self.refunds: dict[str, Refund] = {}
        self.deliveries: list[Delivery] = []
        self.suppressed: set[str] = set()
        self.bill_files: dict[str, tuple[bytes, float]] = {}
        self.scheduler = Scheduler()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.config.clock(), SHANGHAI).replace(microsecond=0)


def _json(data, status: int = 200) -> Response:
    return Response(dumps(data), status, mimetype="application/json")


# --- HTTP ------------------------------------------------------------------------------------
def _check_merchant_signature(config: WeChatPaySandboxConfig) -> None:
    schema, _, params = request.headers.get("Authorization", "").partition(" ")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
    required = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    if schema != AUTH_SCHEMA or not required <= fields.keys():
        raise SandboxError(401, "SIGN_ERROR", "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》")
    if fields["mchid"] != config.mchid or fields["serial_no"].upper() != config.merchant_serial.upper():
        raise SandboxError(401, "SIGN_ERROR", "商户号或商户证书序列号有误")
    timestamp = fields["timestamp"]
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_S:
        raise SandboxError(401, "SIGN_ERROR", "签名时间戳与当前时间相差过大")
    target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or (
        quote(request.path) + (f"?{request.query_string.decode()}" if request.query_string else ""))
    body = request.get_data(as_text=True)
    message = f"{request.method}\n{target}\n{timestamp}\n{fields['nonce_str']}\n{body}\n"
    if not rsa_verify(message, fields["signature"], config.merchant_public_key_pem):
        raise SandboxError(401, "SIGN_ERROR", "错误的签名，验签失败")
    if request.headers.get("Wechatpay-Serial", config.public_key_id) != config.public_key_id:
        raise SandboxError(400, "INVALID_REQUEST", "Wechatpay-Serial 不是有效的微信支付公钥ID")


def _request_json() -> dict:
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise SandboxError(400, "PARAM_ERROR", "请求体不是合法的JSON") from None


def create_app(config: WeChatPaySandboxConfig) -> Flask:
    sandbox = WeChatPaySandbox(config)
    app = Flask(__name__)
    app.extensions["wechatpay_sandbox"] = sandbox

    @app.errorhandler(SandboxError)
    def _sandbox_error(err: SandboxError):
        return _json({"code": err.code, "message": err.message}, err.status)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        return _json({"code": err.name.upper().replace(" ", "_"), "message": err.description}, err.code)

    @app.before_request
    def _authenticate():
        if request.path.startswith("/v3/"):
            _check_merchant_signature(config)

    @app.after_request
    def _sign(response: Response):
        if request.path.startswith("/v3/") and not request.path.startswith("/v3/billdownload/"):
            response.headers.update(signature_headers(config, response.get_data(as_text=True)))
        return response

    @app.post("/v3/pay/transactions/jsapi")
    def create_jsapi():
        return _json(sandbox.create_jsapi(_request_json()))

    @app.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
    def query_order(out_trade_no):
        check_param(request.args.get("mchid") == config.mchid, "mchid 与请求商户不一致")
        return _json(sandbox.query_order(out_trade_no))

    @app.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
    def close_order(out_trade_no):
        body = _request_json()
        check_param(isinstance(body, dict) and body.get("mchid") == config.mchid, "mchid 与请求商户不一致")
        sandbox.close_order(out_trade_no)
        return Response(status=204)

    @app.post("/v3/refund/domestic/refunds")
    def create_refund():
        return _json(sandbox.create_refund(_request_json()))

    @app.get("/v3/refund/domestic/refunds/<out_refund_no>")
    def query_refund(out_refund_no):
        return _json(sandbox.query_refund(out_refund_no))

    @app.get("/v3/bill/tradebill")
    def trade_bill():
        return _json(sandbox.trade_bill(request.args, request.host_url))

    @app.get("/v3/billdownload/file")
    def download_bill():
        return Response(sandbox.bill_file(request.args.get("token", "")), 200,
                        mimetype="application/octet-stream")

    @app.post("/sandbox/pay")
    def pay():
        return _json(sandbox.pay(str((request.get_json(silent=True) or {}).get("prepay_id", ""))))

    @app.post("/sandbox/suppress-notifications")
    def suppress():
        out_trade_no = str((request.get_json(silent=True) or {}).get("out_trade_no", ""))
        check_param(bool(out_trade_no), "out_trade_no 不能为空")
        with sandbox.lock:
            sandbox.suppressed.add(out_trade_no)
        return _json({"out_trade_no": out_trade_no, "suppressed": True})

    @app.get("/sandbox/notifications")
    def notifications():
        wanted = request.args.get("out_trade_no")
        with sandbox.lock:
            items = [d.view() for d in sandbox.deliveries if wanted in (None, d.out_trade_no)]
        return _json({"items": items})

    @app.post("/sandbox/settings")
    def settings():
        """Test switches: bills_available_early, merchant_balance_fen, refund_outcome, ..."""
        changes = request.get_json(silent=True) or {}
        allowed = {"bills_available_early": (bool,), "merchant_balance_fen": (int, type(None)),
                   "refund_outcome": (str,), "notify_time_scale": (int, float),
                   "refund_settle_s": (int, float), "sign_with": (str,)}
        for key, value in changes.items():
            check_param(key in allowed and isinstance(value, allowed[key]), f"不支持的设置 {key}")
        check_param(changes.get("sign_with", "public_key") in ("public_key", "certificate"),
                    "sign_with 只能是 public_key 或 certificate")
        check_param(changes.get("refund_outcome", "SUCCESS") in ("SUCCESS", "ABNORMAL", "CLOSED"),
                    "refund_outcome 只能是 SUCCESS、ABNORMAL 或 CLOSED")
        with sandbox.lock:
            for key, value in changes.items():
                setattr(config, key, value)
            return _json({key: getattr(config, key) for key in allowed})

    return app
