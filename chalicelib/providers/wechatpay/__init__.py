"""WeChat Pay API v3 client for JSAPI payments in a mini-program (public-key mode).

Every request is signed with the merchant key; every answer and notification is verified with the
WeChat Pay public key, its serial (PUB_KEY_ID_...) and a 5-minute clock window before it is
trusted (signatures.py, transport.py). The calls are in client.py, what they fail with in
errors.py, notification decryption in notifications.py, the cryptography in crypto.py.

This package's public face, for the services, is below.
"""
from chalicelib.providers.wechatpay.client import WeChatPayClient, get_wechatpay
from chalicelib.providers.wechatpay.errors import (
    BillNotFound, BillNotReady, InvalidNotification, InvalidResponse, WeChatPayError,
    WeChatPayUnavailable)
from chalicelib.providers.wechatpay.notifications import Notification

__all__ = ["BillNotFound", "BillNotReady", "InvalidNotification", "InvalidResponse",
           "Notification", "WeChatPayClient", "WeChatPayError", "WeChatPayUnavailable",
           "get_wechatpay"]
