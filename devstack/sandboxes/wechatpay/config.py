"""The sandbox's settings and what every part of it shares: its error, the PARAM_ERROR check of a
field, the JSON it writes and the times it reads."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from chalicelib.domain.times import parse_iso

RFC3339_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


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


class SandboxError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_param(ok: bool, message: str) -> None:
    if not ok:
        raise SandboxError(400, "PARAM_ERROR", message)


def positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def parse_time(value) -> datetime:
    check_param(isinstance(value, str) and RFC3339_RE.fullmatch(value) is not None,
                "time_expire 必须是 RFC 3339 格式，如 2018-06-08T10:34:56+08:00")
    return parse_iso(value)


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
