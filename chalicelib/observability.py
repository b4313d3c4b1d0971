"""One service-wide structured logger; modules use `get_logger()` and never print.

Every line it writes passes `redact` first (a filter on the logger for the message, its
arguments and extra fields; the formatter for tracebacks, which Powertools renders itself), so
no module has to remember that a URL's query or an outside system's error text may hold the
app secret, an access token or a login code.
"""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

SERVICE = "fuel"
# Lambda runs one request at a time, but the local server and the workers run threads: two
# first calls at once would each configure the logger, and one would log with a bare formatter.
_FIRST_USE = threading.Lock()

_HIDDEN = "[redacted]"
# A URL's query may carry credentials (WeChat puts secret and access_token there): never kept.
_QUERY = re.compile(r"\?[^\s'\"\\#<>]*=[^\s'\"\\#<>]*")
_SENSITIVE = r"secret|app_secret|access_token|js_code|session_key|password|token|apiv3_key"
_PAIR = re.compile(rf"(?i)\b({_SENSITIVE})=[^&\s'\"\\]+")
_JSON_FIELD = re.compile(rf"(?i)(\"(?:{_SENSITIVE})\"\s*:\s*\")[^\"\\]*")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
# A mail address is personal data: its first character and its domain are enough to debug.
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# Record attributes logging itself sets; everything else on a record is an `extra` field.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """The text with URL queries, credential pairs, bearer tokens and mail addresses hidden."""
    text = _QUERY.sub("?" + _HIDDEN, text)
    text = _PAIR.sub(rf"\1={_HIDDEN}", text)
    text = _JSON_FIELD.sub(rf"\1{_HIDDEN}", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _BEARER.sub(rf"\1 {_HIDDEN}", text)


def mask(name: str) -> str:
    """An identifier a person chose (a username), reduced to what tells two apart in a log."""
    return f"{name[:1]}***({len(name)})" if name else ""


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and not record.exc_text:
            # For handlers that print exc_text (the root's, where the logger propagates).
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def get_logger():
    with _FIRST_USE:
        return _logger()


@lru_cache(maxsize=1)
def _logger():
    # Imported here: Powertools is only paid for once a handler actually logs.
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class RedactingFormatter(LambdaPowertoolsFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
    logger.addFilter(_RedactingFilter())
    return logger
