"""Finding 11: a refused mail does not carry the recipient's address into errors and logs, and
a failed staff login does not log the username it was tried with."""
from __future__ import annotations

import pytest

from chalicelib.observability import get_logger
from chalicelib.providers import mail
from chalicelib.providers.mail import MailError, build_message, send_mail
from chalicelib.services.identity import logins
from tests.conftest import reset_caches

ADDRESS = "wang.xiaoming.private@example.com"


class _RefusingServer:
    """An SMTP server refusing the recipient at RCPT TO, quoting the address as servers do."""

    def __init__(self, code):
        self.code = code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        import smtplib
        raise smtplib.SMTPRecipientsRefused(
            {ADDRESS: (self.code, f"5.1.1 <{ADDRESS}>: Recipient address rejected".encode())})


@pytest.mark.parametrize("code", [451, 550])
def test_a_refused_recipient_is_masked_in_the_error_and_its_log(monkeypatch, log_lines, code):
    monkeypatch.setenv("SMTP_HOST", "smtp.example.invalid")
    reset_caches()
    monkeypatch.setattr(mail, "_connect", lambda settings: _RefusingServer(code))

    with pytest.raises(MailError) as failed:
        send_mail(build_message(ADDRESS, "s", "t"))
    get_logger().warning("invoice mail not sent", extra={"error": str(failed.value)})

    assert failed.value.retryable is (code < 500)
    assert "wang.xiaoming" not in str(failed.value)
    assert "wang.xiaoming" not in log_lines.getvalue()


def test_a_failed_staff_login_logs_no_username(aws, log_lines):
    with pytest.raises(Exception):
        logins.login_staff("zhang.wei.manager", "nope", client_address="192.0.2.5")

    written = log_lines.getvalue()
    assert "staff login failed" in written and "zhang.wei.manager" not in written


def test_any_log_line_masks_a_mail_address(log_lines):
    get_logger().info(f"sending to {ADDRESS}")
    assert "wang.xiaoming" not in log_lines.getvalue()
