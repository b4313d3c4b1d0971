"""Outgoing mail over SMTP (the China regions have no SES): a relay in AWS, the sink locally.

Host, port, user and TLS mode come from settings, the password from the secret
`smtp_password`. smtplib is the standard library, so nothing heavy loads at start.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from chalicelib.observability import redact
from chalicelib.settings import get_settings


class MailError(Exception):
    """The mail was not accepted. `retryable` says whether sending again may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def build_message(to: str, subject: str, text: str, *, message_id: str | None = None,
                  sender: str | None = None) -> EmailMessage:
    """A plain-text UTF-8 message; a stable Message-ID lets receiving systems drop a repeat."""
    message = EmailMessage()
    message["From"] = sender or get_settings().mail_sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(text, charset="utf-8")
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


def send_mail(message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises MailError when it is not accepted."""
    settings = get_settings()
    if not settings.smtp_host:
        raise MailError("SMTP_HOST is not configured", retryable=False)
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                from chalicelib.providers.secrets import get_secret

                smtp.login(settings.smtp_user, get_secret("smtp_password"))
            smtp.send_message(message)
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
