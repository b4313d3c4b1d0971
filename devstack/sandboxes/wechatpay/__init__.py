"""WeChat Pay API v3 sandbox for the local stack: the real protocol, with its own keys.

It never imports the app's WeChat Pay client (of chalicelib, only domain/times.py): it checks
our client independently, with its own small sign / verify / encrypt (keys.py). What it does, as
WeChat Pay does (PROTOCOLS.md):
- verifies the merchant's signature on every /v3 request (401 SIGN_ERROR) and signs every /v3
  answer with the platform key (Wechatpay-* headers); the bill file itself is unsigned, as for
  real (app.py);
- JSAPI create / query / close (payments.py), refund create / query (refunds.py), the trade bill
  and its download (bills.py);
- sends TRANSACTION.SUCCESS and REFUND.* notifications from a background thread, AES-256-GCM
  encrypted and signed, retried on the real schedule times `notify_time_scale`, until a 200/204
  (notifications.py).
The /sandbox/* endpoints stand in for a person with a phone and for test switches.
Business time (success_time, bill days) comes from `config.clock`; signatures use the wall clock.
Choice: notify_url may be http only on loopback hosts (`http_notify_hosts`); otherwise https.

This package's public face, for the local stack, the tests and the benchmarks, is below.
"""
from devstack.sandboxes.wechatpay.app import WeChatPaySandbox, create_app
from devstack.sandboxes.wechatpay.bills import BILL_HEADERS, BILL_SUMMARY_HEADER
from devstack.sandboxes.wechatpay.config import WeChatPaySandboxConfig
from devstack.sandboxes.wechatpay.keys import generate_keys
from devstack.sandboxes.wechatpay.notifications import (
    RETRY_DELAYS_S, build_notification, sign_notification)

__all__ = ["BILL_HEADERS", "BILL_SUMMARY_HEADER", "RETRY_DELAYS_S", "WeChatPaySandbox",
           "WeChatPaySandboxConfig", "build_notification", "create_app", "generate_keys",
           "sign_notification"]
