"""WeChat Pay API v3 sandbox for the local stack: the real protocol, with its own keys.

It never imports chalicelib: it checks our client independently, with its own small
sign / verify / encrypt below. What it does, as WeChat Pay does (PROTOCOLS.md):
- verifies the merchant's signature on every /v3 request (401 SIGN_ERROR) and signs every /v3
  answer with the platform key (Wechatpay-* headers); the bill file itself is unsigned, as for real;
- JSAPI create / query / close, refund create / query, the trade bill and its download;
- sends TRANSACTION.SUCCESS and REFUND.* notifications from a background thread, AES-256-GCM
  encrypted and signed, retried on the real schedule times `notify_time_scale`, until a 200/204.
The /sandbox/* endpoints stand in for a person with a phone and for test switches.
Business time (success_time, bill days) comes from `config.clock`; signatures use the wall clock.
Choice: notify_url may be http only on loopback hosts (`http_notify_hosts`); otherwise https.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import heapq
import itertools
import json
import re
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from functools import lru_cache
from typing import Callable
from urllib.parse import quote, urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from chalicelib.domain.times import SHANGHAI, parse_iso

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW_S = 300
# Delays before each retry of a failed notification (15 retries over about 24 hours).
RETRY_DELAYS_S = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800,
                  21600, 21600)
MAX_REFUNDS_PER_PAYMENT = 50
FEE_PER_MILLE = 6  # the usual 0.60% rate; the bill shows fees in 1/100000 yuan, unrounded
BILL_LINK_TTL_S = 300
OUT_TRADE_NO_RE = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
OUT_REFUND_NO_RE = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
RFC3339_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
EVENTS = {"TRANSACTION.SUCCESS": ("支付成功", "transaction"), "REFUND.SUCCESS": ("退款成功", "refund"),
          "REFUND.ABNORMAL": ("退款异常", "refund"), "REFUND.CLOSED": ("退款关闭", "refund")}
TRADE_STATE_DESC = {"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "CLOSED": "订单已关闭",
                    "REFUND": "订单发生过退款"}
BILL_HEADERS = {
    "ALL": "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
           "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
           "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
    "SUCCESS": "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
               "交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,"
               "费率备注",
    "REFUND": "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
              "付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,"
              "退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
              "费率备注",
}
BILL_SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


# --- crypto of our own ---------------------------------------------------------------------
@lru_cache(maxsize=16)
def _private_key(pem: str):
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


@lru_cache(maxsize=16)
def _public_key(pem: str):
    return serialization.load_pem_public_key(pem.encode("ascii"))


def _sign(message: str, private_key_pem: str) -> str:
    raw = _private_key(private_key_pem).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def _verify(message: str, signature_b64: str, public_key_pem: str) -> bool:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        _public_key(public_key_pem).verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (ValueError, InvalidSignature):
        return False


def _encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: bytes) -> str:
    sealed = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode("ascii")


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_keys() -> dict:
    """Fresh merchant and platform RSA-2048 key pairs (PEM), serials and a 32-char APIv3 key."""
    def pair() -> tuple[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        return private, public

    merchant_private, merchant_public = pair()
    platform_private, platform_public = pair()
    certificate_private, _ = pair()
    certificate_serial = f"{secrets.randbelow(7) + 1:X}" + secrets.token_hex(19).upper()   # < 2^159
    return {"merchant_private_key_pem": merchant_private, "merchant_public_key_pem": merchant_public,
            "merchant_serial": secrets.token_hex(20).upper(),
            "platform_private_key_pem": platform_private, "platform_public_key_pem": platform_public,
            "public_key_id": "PUB_KEY_ID_" + _random(string.digits, 32),
            "apiv3_key": _random(string.ascii_letters + string.digits, 32),
            # The older platform certificate (its own key pair and serial), still in use while a
            # merchant moves to the public key: WeChat Pay then signs with either.
            "certificate_private_key_pem": certificate_private,
            "certificate_pem": _self_signed(certificate_private, certificate_serial),
            "certificate_serial": certificate_serial}


def _self_signed(private_pem: str, serial_hex: str) -> str:
    """A platform certificate for the key, with the serial WeChat Pay would show for it."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = _private_key(private_pem)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA sandbox")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(int(serial_hex, 16))
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass
class WeChatPaySandboxConfig:
    appid: str
    mchid: str
    merchant_public_key_pem: str
    merchant_serial: str
    apiv3_key: str
    platform_private_key_pem: str
    public_key_id: str
    # During a move from platform certificates to the public key: the certificate's key and
    # serial, and which of the two signs ("public_key" or "certificate").
    certificate_private_key_pem: str = ""
    certificate_serial: str = ""
    sign_with: str = "public_key"
    base_url: str = ""  # how merchants reach us, for bill links; "" means the request's own host
    notify_time_scale: float = 1.0  # multiplies the retry schedule (0.001 in tests)
    refund_settle_s: float = 3.0  # a refund stays PROCESSING this long
    refund_outcome: str = "SUCCESS"  # or ABNORMAL / CLOSED, to exercise those paths
    bills_available_early: bool = False  # serve day D's bill before 10:00 on D+1
    merchant_balance_fen: int | None = None  # refunds above it fail NOT_ENOUGH; None: unlimited
    http_notify_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    notify_timeout_s: float = 5.0
    clock: Callable[[], float] = time.time  # business time; tests may move it

    @classmethod
    def from_keys(cls, keys: dict, *, appid: str, mchid: str, **options) -> "WeChatPaySandboxConfig":
        return cls(appid=appid, mchid=mchid, merchant_public_key_pem=keys["merchant_public_key_pem"],
                   merchant_serial=keys["merchant_serial"], apiv3_key=keys["apiv3_key"],
                   platform_private_key_pem=keys["platform_private_key_pem"],
                   public_key_id=keys["public_key_id"],
                   certificate_private_key_pem=keys.get("certificate_private_key_pem", ""),
                   certificate_serial=keys.get("certificate_serial", ""), **options)


# --- notifications, usable by anyone acting as WeChat Pay -------------------------------------
def build_notification(config: WeChatPaySandboxConfig, event_type: str, resource: dict, *,
                       notification_id: str | None = None, create_time: str | None = None) -> bytes:
    """The real envelope: the resource JSON sealed with AEAD_AES_256_GCM under the APIv3 key."""
    summary, original_type = EVENTS[event_type]
    nonce = _random(string.ascii_letters + string.digits, 12)
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    envelope = {
        "id": notification_id or f"EV-{now:%Y%m%d%H%M%S}{_random(string.digits, 7)}",
        "create_time": create_time or now.isoformat(), "resource_type": "encrypt-resource",
        "event_type": event_type, "summary": summary,
        "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": _encrypt(config.apiv3_key, nonce, original_type,
                                            _dumps(resource).encode()),
                     "associated_data": original_type, "nonce": nonce}}
    return _dumps(envelope).encode()


def sign_notification(config: WeChatPaySandboxConfig, body: bytes, *, timestamp: int | None = None,
                      nonce: str | None = None) -> dict:
    """Wechatpay-* headers for a body; a delivery re-signs at each attempt, as WeChat Pay does."""
    return _signature_headers(config, body.decode(), timestamp, nonce)


def _signature_headers(config, body: str, timestamp: int | None = None,
                       nonce: str | None = None) -> dict:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    key, serial = config.platform_private_key_pem, config.public_key_id
    if config.sign_with == "certificate" and config.certificate_serial:
        key, serial = config.certificate_private_key_pem, config.certificate_serial
    return {"Wechatpay-Timestamp": timestamp_text, "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": _sign(f"{timestamp_text}\n{nonce}\n{body}\n", key),
            "Wechatpay-Serial": serial, "Wechatpay-Signature-Type": AUTH_SCHEMA,
            "Request-ID": str(uuid.uuid4())}


# --- state ---------------------------------------------------------------------------------
class SandboxError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _param(ok: bool, message: str) -> None:
    if not ok:
        raise SandboxError(400, "PARAM_ERROR", message)


@dataclass
class _Order:
    out_trade_no: str
    prepay_id: str
    identity: dict  # what a repeated create must match to get the same prepay_id back
    description: str
    total: int
    openid: str
    notify_url: str
    time_expire: datetime | None
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: datetime | None = None
    refund_nos: list = field(default_factory=list)


@dataclass
class _Refund:
    out_refund_no: str
    refund_id: str
    order: _Order
    refund: int
    notify_url: str | None
    create_time: datetime
    status: str = "PROCESSING"
    success_time: datetime | None = None


@dataclass
class _Delivery:
    id: str
    event_type: str
    out_trade_no: str
    out_refund_no: str | None
    notify_url: str
    body: bytes
    created_at: str
    suppressed: bool = False
    delivered: bool = False
    attempts: list = field(default_factory=list)
    next_attempt_at: str | None = None

    def view(self) -> dict:
        return {key: value for key, value in vars(self).items() if key != "body"}


class _Scheduler:
    """One daemon thread that starts each due job in its own short-lived thread."""

    def __init__(self):
        self._jobs: list = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def after(self, delay_s: float, job: Callable[[], None]) -> None:
        with self._cv:
            if self._stopped:
                return
            heapq.heappush(self._jobs, (time.monotonic() + max(0.0, delay_s), next(self._seq), job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wechatpay-sandbox", daemon=True)
                self._thread.start()
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._jobs.clear()
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._jobs or self._jobs[0][0] > time.monotonic()):
                    self._cv.wait(self._jobs[0][0] - time.monotonic() if self._jobs else None)
                if self._stopped:
                    return
                job = heapq.heappop(self._jobs)[2]
            threading.Thread(target=job, daemon=True).start()


class WeChatPaySandbox:
    """In-memory WeChat Pay: every read and write of state happens behind one lock."""

    def __init__(self, config: WeChatPaySandboxConfig):
        self.config = config
        self.lock = threading.RLock()
        self.orders: dict[str, _Order] = {}
        self.by_prepay: dict[str, _Order] = {}
        self.refunds: dict[str, _Refund] = {}
        self.deliveries: list[_Delivery] = []
        self.suppressed: set[str] = set()
        self.bill_files: dict[str, tuple[bytes, float]] = {}
        self.scheduler = _Scheduler()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.config.clock(), SHANGHAI).replace(microsecond=0)

    # --- payments ---------------------------------------------------------------------------
    def create_jsapi(self, body: dict) -> dict:
        config = self.config
        _param(isinstance(body, dict), "请求体必须是JSON对象")
        if body.get("mchid") != config.mchid:
            raise SandboxError(400, "MCH_NOT_EXISTS", "商户号不存在")
        if body.get("appid") != config.appid:
            raise SandboxError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        description, out_trade_no = body.get("description"), body.get("out_trade_no")
        _param(isinstance(description, str) and 1 <= len(description) <= 127,
               "description 长度必须在1到127个字符之间")
        _param(isinstance(out_trade_no, str) and OUT_TRADE_NO_RE.fullmatch(out_trade_no) is not None,
               "out_trade_no 必须是6-32位数字、大小写字母或_-|*")
        self._check_notify_url(body.get("notify_url"))
        time_expire = _parse_time(body["time_expire"]) if "time_expire" in body else None
        amount, payer = body.get("amount"), body.get("payer")
        _param(isinstance(amount, dict) and _positive_int(amount.get("total")), "amount.total 必须是正整数")
        _param(amount.get("currency", "CNY") == "CNY", "amount.currency 只支持 CNY")
        _param(isinstance(payer, dict) and isinstance(payer.get("openid"), str)
               and 1 <= len(payer["openid"]) <= 128, "payer.openid 不能为空")
        identity = {"description": description, "total": amount["total"], "openid": payer["openid"]}
        with self.lock:
            order = self.orders.get(out_trade_no)
            if order is not None:
                if order.state in ("SUCCESS", "REFUND"):
                    raise SandboxError(400, "ORDERPAID", "该订单已支付")
                if order.state == "CLOSED":
                    raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
                if order.identity != identity:
                    raise SandboxError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
                return {"prepay_id": order.prepay_id}
            now = self.now()
            order = _Order(out_trade_no, f"wx{now:%d%H%M%S}{secrets.token_hex(13)}", identity,
                           description, amount["total"], payer["openid"], body["notify_url"], time_expire)
            self.orders[out_trade_no] = self.by_prepay[order.prepay_id] = order
            return {"prepay_id": order.prepay_id}

    def query_order(self, out_trade_no: str) -> dict:
        with self.lock:
            return self._transaction(self._order(out_trade_no))

    def close_order(self, out_trade_no: str) -> None:
        with self.lock:
            order = self._order(out_trade_no)
            if order.state in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ORDERPAID", "订单已支付")
            order.state = "CLOSED"  # closing a closed order answers 204 again, as for real

    def pay(self, prepay_id: str) -> dict:
        """The payer confirms on the phone: SUCCESS, then TRANSACTION.SUCCESS is sent."""
        with self.lock:
            order = self.by_prepay.get(prepay_id)
            if order is None:
                raise SandboxError(404, "ORDER_NOT_EXIST", "prepay_id 不存在")
            if order.state == "CLOSED":
                raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
            if order.state != "NOTPAY":
                raise SandboxError(400, "ORDERPAID", "订单已支付")
            now = self.now()
            if order.time_expire is not None and now > order.time_expire:
                raise SandboxError(400, "ORDER_EXPIRED", "订单已过期")
            order.state, order.success_time = "SUCCESS", now
            order.transaction_id = f"4200{now:%Y%m%d}{_random(string.digits, 16)}"
            resource = self._transaction(order)
        self.notify("TRANSACTION.SUCCESS", resource, order, None, order.notify_url)
        return {"out_trade_no": order.out_trade_no, "transaction_id": order.transaction_id}

    def _order(self, out_trade_no: str) -> _Order:
        order = self.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def _transaction(self, order: _Order) -> dict:
        view = {"appid": self.config.appid, "mchid": self.config.mchid,
                "out_trade_no": order.out_trade_no, "trade_type": "JSAPI",
                "trade_state": order.state, "trade_state_desc": TRADE_STATE_DESC[order.state],
                "attach": "", "payer": {"openid": order.openid}, "promotion_detail": [],
                "amount": {"total": order.total, "currency": "CNY"}}
        if order.transaction_id:
            view.update(transaction_id=order.transaction_id, bank_type="OTHERS",
                        success_time=order.success_time.isoformat())
            view["amount"].update(payer_total=order.total, payer_currency="CNY")
        return view

    # --- refunds ----------------------------------------------------------------------------
    def create_refund(self, body: dict) -> dict:
        _param(isinstance(body, dict), "请求体必须是JSON对象")
        out_refund_no, amount = body.get("out_refund_no"), body.get("amount")
        _param(isinstance(out_refund_no, str) and OUT_REFUND_NO_RE.fullmatch(out_refund_no) is not None,
               "out_refund_no 必须是1-64位数字、大小写字母或_-|*@")
        _param("out_trade_no" in body or "transaction_id" in body, "out_trade_no 和 transaction_id 必须二选一")
        _param(isinstance(body.get("reason", ""), str) and len(body.get("reason", "")) <= 80,
               "reason 不能超过80个字符")
        if body.get("notify_url") is not None:
            self._check_notify_url(body["notify_url"])
        _param(isinstance(amount, dict) and _positive_int(amount.get("refund"))
               and _positive_int(amount.get("total")), "amount.refund 和 amount.total 必须是正整数")
        _param(amount.get("currency", "CNY") == "CNY", "amount.currency 只支持 CNY")
        with self.lock:
            order = self._refundable_order(body)
            existing = self.refunds.get(out_refund_no)
            if existing is not None:
                if existing.order is not order or existing.refund != amount["refund"] \
                        or order.total != amount["total"]:
                    raise SandboxError(400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试")
                return self._refund_view(existing)  # the same out_refund_no refunds only once
            if order.state not in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if amount["total"] != order.total:
                raise SandboxError(400, "INVALID_REQUEST", "订单金额与原订单不一致")
            if len(order.refund_nos) >= MAX_REFUNDS_PER_PAYMENT:
                raise SandboxError(400, "INVALID_REQUEST", "订单的退款次数已达到上限50次")
            refunded = sum(r.refund for r in map(self.refunds.get, order.refund_nos) if r.status != "CLOSED")
            if refunded + amount["refund"] > order.total:
                # The real answer to an over-refund; NOT_ENOUGH means the merchant's balance is short.
                raise SandboxError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            balance = self.config.merchant_balance_fen
            if balance is not None and amount["refund"] > balance:
                raise SandboxError(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
            if balance is not None:
                self.config.merchant_balance_fen = balance - amount["refund"]
            refund = _Refund(out_refund_no, "503" + _random(string.digits, 26), order, amount["refund"],
                             body.get("notify_url"), self.now())
            self.refunds[out_refund_no] = refund
            order.refund_nos.append(out_refund_no)
            order.state = "REFUND"
            view = self._refund_view(refund)
        self.scheduler.after(self.config.refund_settle_s, lambda: self._settle(out_refund_no))
        return view

    def query_refund(self, out_refund_no: str) -> dict:
        with self.lock:
            refund = self.refunds.get(out_refund_no)
            if refund is None:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return self._refund_view(refund)

    def _refundable_order(self, body: dict) -> _Order:
        if "out_trade_no" in body:
            order = self.orders.get(body["out_trade_no"])
        else:
            order = next((o for o in self.orders.values()
                          if o.transaction_id and o.transaction_id == body["transaction_id"]), None)
        if order is None:
            raise SandboxError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        return order

    def _settle(self, out_refund_no: str) -> None:
        with self.lock:
            refund = self.refunds[out_refund_no]
            if refund.status != "PROCESSING":
                return
            refund.status = self.config.refund_outcome
            if refund.status == "SUCCESS":
                refund.success_time = self.now()
            elif refund.status == "CLOSED" and self.config.merchant_balance_fen is not None:
                self.config.merchant_balance_fen += refund.refund
            order = refund.order
            resource = {"mchid": self.config.mchid, "out_trade_no": order.out_trade_no,
                        "transaction_id": order.transaction_id, "out_refund_no": out_refund_no,
                        "refund_id": refund.refund_id, "refund_status": refund.status,
                        "user_received_account": "支付用户零钱",
                        "amount": {"total": order.total, "refund": refund.refund,
                                   "payer_total": order.total, "payer_refund": refund.refund}}
            if refund.success_time:
                resource["success_time"] = refund.success_time.isoformat()
        if refund.notify_url:
            self.notify(f"REFUND.{refund.status}", resource, order, out_refund_no, refund.notify_url)

    def _refund_view(self, refund: _Refund) -> dict:
        order = refund.order
        view = {"refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
                "transaction_id": order.transaction_id, "out_trade_no": order.out_trade_no,
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                "create_time": refund.create_time.isoformat(), "status": refund.status,
                "funds_account": "AVAILABLE", "promotion_detail": [],
                "amount": {"total": order.total, "refund": refund.refund, "from": [],
                           "payer_total": order.total, "payer_refund": refund.refund,
                           "settlement_refund": refund.refund, "settlement_total": order.total,
                           "discount_refund": 0, "currency": "CNY", "refund_fee": 0}}
        if refund.success_time:
            view["success_time"] = refund.success_time.isoformat()
        return view

    # --- notifications ----------------------------------------------------------------------
    def notify(self, event_type: str, resource: dict, order: _Order, out_refund_no: str | None,
               notify_url: str) -> None:
        body = build_notification(self.config, event_type, resource)
        delivery = _Delivery(json.loads(body)["id"], event_type, order.out_trade_no, out_refund_no,
                             notify_url, body, datetime.now(SHANGHAI).isoformat())
        with self.lock:
            self.deliveries.append(delivery)
        self.scheduler.after(0, lambda: self._attempt(delivery, 0))

    def _attempt(self, delivery: _Delivery, retries_done: int) -> None:
        with self.lock:
            if delivery.out_trade_no in self.suppressed:
                delivery.suppressed, delivery.next_attempt_at = True, None
                return
        record = {"at": datetime.now(SHANGHAI).isoformat(), "status": None, "error": None, "answer": None}
        try:
            answer = requests.post(delivery.notify_url, data=delivery.body,
                                   headers={"Content-Type": "application/json",
                                            **sign_notification(self.config, delivery.body)},
                                   timeout=self.config.notify_timeout_s)
            record.update(status=answer.status_code, answer=answer.text[:200])
        except requests.RequestException as err:
            record["error"] = repr(err)
        with self.lock:
            delivery.attempts.append(record)
            delivery.delivered = record["status"] in (200, 204)
            if delivery.delivered or retries_done >= len(RETRY_DELAYS_S):
                delivery.next_attempt_at = None
                return
            delay = RETRY_DELAYS_S[retries_done] * self.config.notify_time_scale
            delivery.next_attempt_at = (datetime.now(SHANGHAI) + timedelta(seconds=delay)).isoformat()
        self.scheduler.after(delay, lambda: self._attempt(delivery, retries_done + 1))

    # --- trade bill ---------------------------------------------------------------------------
    def trade_bill(self, args, host_url: str) -> dict:
        raw_date, tar_type = args.get("bill_date", ""), args.get("tar_type")
        bill_type = args.get("bill_type", "ALL")
        try:
            bill_date = date.fromisoformat(raw_date) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date) else None
        except ValueError:
            bill_date = None
        _param(bill_date is not None, "bill_date 格式必须是 yyyy-MM-dd")
        _param(bill_type in BILL_HEADERS, "bill_type 只能是 ALL、SUCCESS 或 REFUND")
        _param(tar_type in (None, "GZIP"), "tar_type 只能是 GZIP")
        now = self.now()
        if not now.date() - timedelta(days=92) <= bill_date <= now.date():
            raise SandboxError(400, "INVALID_REQUEST", "参数错误，请检查bill_date（仅支持三个月内的账单）")
        ready_at = datetime.combine(bill_date + timedelta(days=1), clock_time(10), SHANGHAI)
        if now < ready_at and not self.config.bills_available_early:
            raise SandboxError(400, "STATEMENT_CREATING", "账单生成中")
        with self.lock:
            csv = _bill_csv(self, bill_date, bill_type)
        if csv is None:
            raise SandboxError(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在")
        data = gzip.compress(csv, mtime=0) if tar_type == "GZIP" else csv
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.bill_files[token] = (data, time.time() + BILL_LINK_TTL_S)
        base = (self.config.base_url or host_url).rstrip("/")
        suffix = "&tartype=gzip" if tar_type == "GZIP" else ""
        return {"hash_type": "SHA1", "hash_value": hashlib.sha1(csv).hexdigest(),
                "download_url": f"{base}/v3/billdownload/file?token={token}{suffix}"}

    def bill_file(self, token: str) -> bytes:
        with self.lock:
            data, expires_at = self.bill_files.get(token, (None, 0.0))
        if data is None or time.time() > expires_at:
            raise SandboxError(400, "INVALID_REQUEST", "账单下载地址已失效，请重新申请")
        return data

    def _check_notify_url(self, url) -> None:
        _param(isinstance(url, str) and 1 <= len(url) <= 256, "notify_url 长度必须在1到256之间")
        parts = urlsplit(url)
        _param(not parts.query and not parts.fragment and bool(parts.hostname), "notify_url 不能携带参数")
        _param(parts.scheme == "https" or (parts.scheme == "http"
                                           and parts.hostname in self.config.http_notify_hosts),
               "notify_url 必须是 https 地址")


def _bill_csv(sandbox: WeChatPaySandbox, day: date, bill_type: str) -> bytes | None:
    """The day's bill in the real layout: backtick-prefixed fields, yuan amounts, a summary."""
    config, rows = sandbox.config, []
    for order in sandbox.orders.values():
        if bill_type != "REFUND" and order.success_time and order.success_time.date() == day:
            rows.append((order.success_time, _payment_row(config, order)))
    for refund in sandbox.refunds.values():
        if bill_type != "SUCCESS" and refund.create_time.date() == day:
            row = _refund_row(config, refund)
            if bill_type == "REFUND":  # the refund bill dates a row by its payment
                row["交易时间"] = f"{refund.order.success_time:%Y-%m-%d %H:%M:%S}"
            rows.append((refund.create_time, row))
    if not rows:
        return None
    rows.sort(key=lambda row: row[0])
    columns = BILL_HEADERS[bill_type].split(",")
    lines = [BILL_HEADERS[bill_type]]
    lines += [",".join("`" + _bill_text(row[name]) for name in columns) for _, row in rows]
    # _sums: settled amount, refunded, fee units, order amount, refund applied for.
    sums = [sum(row["_sums"][i] for _, row in rows) for i in range(5)]
    lines.append(BILL_SUMMARY_HEADER)
    lines.append(",".join("`" + text for text in (
        str(len(rows)), _yuan(sums[0]), _yuan(sums[1]), "0.00", _fee(sums[2]), _yuan(sums[3]),
        _yuan(sums[4]))))
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def _common_row(config, order: _Order, when: datetime) -> dict:
    return {"交易时间": f"{when:%Y-%m-%d %H:%M:%S}", "公众账号ID": config.appid, "商户号": config.mchid,
            "特约商户号": "0", "设备号": "", "微信订单号": order.transaction_id,
            "商户订单号": order.out_trade_no, "用户标识": order.openid, "交易类型": "JSAPI",
            "付款银行": "OTHERS", "货币种类": "CNY", "代金券金额": "0.00", "充值券退款金额": "0.00",
            "商品名称": order.description, "商户数据包": "", "费率": "0.60%", "费率备注": ""}


def _payment_row(config, order: _Order) -> dict:
    fee = order.total * FEE_PER_MILLE
    return {**_common_row(config, order, order.success_time), "交易状态": "SUCCESS",
            "应结订单金额": _yuan(order.total), "微信退款单号": "0", "商户退款单号": "0",
            "退款金额": "0.00", "退款类型": "", "退款状态": "", "手续费": _fee(fee),
            "订单金额": _yuan(order.total), "申请退款金额": "0.00",
            "_sums": (order.total, 0, fee, order.total, 0)}


def _refund_row(config, refund: _Refund) -> dict:
    order, fee = refund.order, -refund.refund * FEE_PER_MILLE
    success = f"{refund.success_time:%Y-%m-%d %H:%M:%S}" if refund.success_time else ""
    row = {**_common_row(config, order, refund.create_time), "交易状态": "REFUND",
           "应结订单金额": "0.00", "微信退款单号": refund.refund_id, "商户退款单号": refund.out_refund_no,
           "退款金额": _yuan(refund.refund), "退款类型": "ORIGINAL", "退款状态": refund.status,
           "手续费": _fee(fee), "订单金额": "0.00", "申请退款金额": _yuan(refund.refund),
           "退款申请时间": f"{refund.create_time:%Y-%m-%d %H:%M:%S}", "退款成功时间": success,
           "_sums": (0, refund.refund, fee, 0, refund.refund)}
    return row


def _bill_text(value) -> str:
    # A comma or line break inside a field would shift the columns of a backtick CSV.
    return str(value).replace(",", "，").replace("\r", " ").replace("\n", " ")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _fee(units: int) -> str:
    """Fees are shown in 1/100000 yuan: amount_fen * 6 units is exactly 0.60% of the amount."""
    sign = "-" if units < 0 else ""
    return f"{sign}{abs(units) // 100000}.{abs(units) % 100000:05d}"


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _parse_time(value) -> datetime:
    _param(isinstance(value, str) and RFC3339_RE.fullmatch(value) is not None,
           "time_expire 必须是 RFC 3339 格式，如 2018-06-08T10:34:56+08:00")
    return parse_iso(value)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _json(data, status: int = 200) -> Response:
    return Response(_dumps(data), status, mimetype="application/json")


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
    if not _verify(message, fields["signature"], config.merchant_public_key_pem):
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
            response.headers.update(_signature_headers(config, response.get_data(as_text=True)))
        return response

    @app.post("/v3/pay/transactions/jsapi")
    def create_jsapi():
        return _json(sandbox.create_jsapi(_request_json()))

    @app.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
    def query_order(out_trade_no):
        _param(request.args.get("mchid") == config.mchid, "mchid 与请求商户不一致")
        return _json(sandbox.query_order(out_trade_no))

    @app.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
    def close_order(out_trade_no):
        body = _request_json()
        _param(isinstance(body, dict) and body.get("mchid") == config.mchid, "mchid 与请求商户不一致")
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
        _param(bool(out_trade_no), "out_trade_no 不能为空")
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
            _param(key in allowed and isinstance(value, allowed[key]), f"不支持的设置 {key}")
        _param(changes.get("sign_with", "public_key") in ("public_key", "certificate"),
               "sign_with 只能是 public_key 或 certificate")
        _param(changes.get("refund_outcome", "SUCCESS") in ("SUCCESS", "ABNORMAL", "CLOSED"),
               "refund_outcome 只能是 SUCCESS、ABNORMAL 或 CLOSED")
        with sandbox.lock:
            for key, value in changes.items():
                setattr(config, key, value)
            return _json({key: getattr(config, key) for key in allowed})

    return app
