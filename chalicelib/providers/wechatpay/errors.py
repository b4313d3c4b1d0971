"""What a WeChat Pay call or notification can fail with, and the error an answer's status and
body stand for (codes as WeChat Pay documents them, e.g. 400 ORDER_CLOSED, 401 SIGN_ERROR)."""
from __future__ import annotations

import json

from chalicelib.domain.errors import DomainError, Unauthenticated, UpstreamUnavailable


class WeChatPayError(DomainError):
    """WeChat Pay answered with an error, e.g. 400 ORDER_CLOSED, 400 ORDERPAID, 401 SIGN_ERROR."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, code=code)
        self.status = status


class WeChatPayUnavailable(WeChatPayError, UpstreamUnavailable):
    """A 5xx (SYSTEM_ERROR) or 429 (FREQUENCY_LIMITED) answer: try again later."""


class BillNotReady(WeChatPayError):
    """STATEMENT_CREATING: the bill of that day is not generated yet (about 10:00 the next day)."""


class BillNotFound(WeChatPayError):
    """NO_STATEMENT_EXIST: no bill for that day, i.e. no payment or refund happened."""


class InvalidResponse(UpstreamUnavailable):
    """An answer that fails verification or is malformed: treated as no answer at all."""

    code = "WECHATPAY_INVALID_RESPONSE"


class InvalidNotification(Unauthenticated):
    """A notification that fails verification; the webhook answers 4xx {"code": "FAIL"}."""

    code = "FAIL"

    def __init__(self, reason: str):
        super().__init__(f"invalid WeChat Pay notification: {reason}", code="FAIL")
        self.reason = reason


_ERRORS_BY_CODE = {"STATEMENT_CREATING": BillNotReady, "NO_STATEMENT_EXIST": BillNotFound}


def error_from_answer(status: int, text: str) -> WeChatPayError:
    """The error a non-2xx answer stands for: its JSON `code` and `message`, else HTTP_<status>."""
    try:
        data = json.loads(text)
        code, message = str(data.get("code") or f"HTTP_{status}"), str(data.get("message") or "")
    except (ValueError, AttributeError):
        code, message = f"HTTP_{status}", text[:200]
    if status >= 500 or status == 429:
        return WeChatPayUnavailable(status, code, message)
    return _ERRORS_BY_CODE.get(code, WeChatPayError)(status, code, message)
