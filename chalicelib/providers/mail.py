"""Outgoing mail over SMTP (the China regions have no SES): a relay in AWS, the sink locally.

Host, port, user and TLS mode come from settings, the password from the secret
`smtp_password`. smtplib is the standard library, so nothing heavy loads at start.
"""
from __future__ import annotations

import smtplib
import ssl
import threading
import time
from email.message import Message
from email.utils import format_datetime

from chalicelib.domain import times
from chalicelib.observability import redact
from chalicelib.settings import get_settings


class MailError(Exception):
    """The mail was not accepted. `retryable` says whether sending again may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def build_message(to: str, subject: str, text: str, *, message_id: str | None = None,
                  sender: str | None = None) -> Message:
    """A plain-text UTF-8 message (base64 body, the subject as RFC 2047 encoded words); a stable
    Message-ID lets receiving systems drop a repeat. Built with the standard library's compat32
    classes: the default policy re-folds every header through its parser when the message is
    sent (about 0.7 ms of CPU a mail, a twentieth of the invoice worker's work), for the same
    bytes on the wire. Like that policy, a header value with a line break is refused."""
    from email.header import Header
    from email.mime.text import MIMEText

    sender = sender or get_settings().mail_sender
    if any("\r" in value or "\n" in value for value in (to, subject, sender, message_id or "")):
        raise ValueError("header values may not contain line breaks")
    message = MIMEText(text, "plain", "utf-8")
    message["From"] = sender
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8", header_name="Subject")
    # "+0000", as the default policy wrote it ("GMT" is RFC 5322's obsolete zone form).
    message["Date"] = format_datetime(times.now())
    if message_id:
        message["Message-ID"] = message_id
    return message


def _connect(settings) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_s
    if settings.smtp_tls == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if settings.smtp_tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    elif settings.smtp_tls != "none":
        smtp.close()
        raise MailError(f"unknown SMTP_TLS mode {settings.smtp_tls!r}", retryable=False)
    return smtp


def send_mail(message: Message) -> None:
    """Hand the message to the SMTP server; raises MailError when it is not accepted.

    The connection (TLS and login included) is kept for the next mail of this process, as long
    as it stays idle under REUSE_IDLE_S and answers NOOP (asked only after FRESH_S idle: a
    batch's mails follow each other closely); a kept one the server dropped meanwhile is
    replaced once by a fresh one."""
    settings = get_settings()
    if not settings.smtp_host:
        raise MailError("SMTP_HOST is not configured", retryable=False)
    key = (settings.smtp_host, settings.smtp_port, settings.smtp_tls, settings.smtp_user)
    kept = _take(key)
    try:
        if kept is not None:
            try:
                _send(kept, message, key)
                return
            except smtplib.SMTPServerDisconnected:
                pass   # dropped while idle, before it took anything: once more, afresh
        _send(_open(settings), message, key)
    except smtplib.SMTPRecipientsRefused as err:
        # A permanent (5xx) refusal of the address will not change on a retry.
        permanent = all(code >= 500 for code, _ in err.recipients.values())
        codes = sorted({code for code, _ in err.recipients.values()})
        # The address and the server's text quoting it stay out: both end up in logs and records.
        raise MailError(f"recipient refused: SMTP {codes}", retryable=not permanent) from err
    except smtplib.SMTPAuthenticationError as err:
        raise MailError(f"SMTP login refused: {err.smtp_code}", retryable=False) from err
    except smtplib.SMTPResponseException as err:
        raise MailError(f"SMTP {err.smtp_code}: {redact(repr(err.smtp_error))}",
                        retryable=err.smtp_code < 500) from err
    except (smtplib.SMTPException, OSError) as err:
        raise MailError(f"SMTP server unreachable: {err}", retryable=True) from err


# -- connections kept between mails ------------------------------------------------------------

# A connection idle longer than this is closed, not reused (servers drop idle clients after a
# few minutes; a Lambda frozen between invocations may find its connection gone).
REUSE_IDLE_S = 30
# Used this recently, a connection is taken without the NOOP round trip: no server drops an
# idle client within seconds, and one dropped anyway fails our first command (MAIL FROM), before
# any of the message went, which send_mail answers with a fresh connection.
FRESH_S = 2
MAX_KEPT = 10   # one per thread of the invoice worker's batch
_kept: list[tuple[tuple, float, object]] = []
_kept_lock = threading.Lock()


def _open(settings):
    smtp = _connect(settings)
    try:
        if settings.smtp_user:
            from chalicelib.providers.secrets import get_secret

            smtp.login(settings.smtp_user, get_secret("smtp_password"))
    except BaseException:
        _discard(smtp)
        raise
    return smtp


def _send(smtp, message: Message, key: tuple) -> None:
    """Send on `smtp`; keep it afterwards if that went well, else close it."""
    try:
        smtp.send_message(message)
    except BaseException:
        _discard(smtp)
        raise
    with _kept_lock:   # the newest kept; the oldest beyond MAX_KEPT closed
        _kept.append((key, time.monotonic(), smtp))
        evicted = [kept for _, _, kept in _kept[:-MAX_KEPT]]
        del _kept[:-MAX_KEPT]
    for old in evicted:
        _discard(old)


def _take(key: tuple):
    """A kept connection to the same server that still answers, or None."""
    while True:
        with _kept_lock:
            found = next((i for i, (k, _, _) in enumerate(_kept) if k == key), None)
            if found is None:
                return None
            _, idle_since, smtp = _kept.pop(found)
        idle_s = time.monotonic() - idle_since
        if idle_s < FRESH_S:
            return smtp
        if idle_s < REUSE_IDLE_S:
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
        _discard(smtp)


def _discard(smtp) -> None:
    try:
        smtp.__exit__(None, None, None)   # QUIT if it still listens, then close
    except (smtplib.SMTPException, OSError):
        pass
