"""Mail over SMTP (providers/mail.py) against the devstack's SMTP sink on loopback."""
from __future__ import annotations

import socket

import pytest

from chalicelib.providers.mail import MailError, build_message, send_mail
from devstack.sandboxes.mail import SmtpSink
from tests.conftest import reset_caches

LINK = ("http://127.0.0.1:5000/fuel-local-invoices/invoices/inv_1/25142000000000000001.pdf"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604800&X-Amz-Signature=" + "f" * 64)


@pytest.fixture
def sink(monkeypatch):
    running = SmtpSink().start()
    monkeypatch.setenv("SMTP_HOST", running.host)
    monkeypatch.setenv("SMTP_PORT", str(running.port))
    monkeypatch.setenv("SMTP_TLS", "none")
    reset_caches()
    yield running
    running.stop()


def test_a_chinese_plain_text_mail_arrives_with_its_link_intact(sink):
    message = build_message("Driver@Example.com", "电子发票 25142000000000000001",
                            f"您的电子发票已开具。\n下载：\n{LINK}\n", message_id="<inv_1.1@fuel>")

    send_mail(message)

    (mail,) = sink.outbox.find("driver@example.com")
    assert mail["subject"] == "电子发票 25142000000000000001"
    assert mail["links"] == [LINK] and "电子发票已开具" in mail["text"]
    assert mail["message_id"] == "<inv_1.1@fuel>"


def test_mails_share_a_kept_connection_and_one_the_server_dropped_is_replaced(sink):
    from chalicelib.providers import mail

    for subject in ("first", "second"):
        send_mail(build_message("fleet@example.com", subject, "t"))
    for _, _, kept in mail._kept:   # the connection drops while it is idle
        kept.sock.shutdown(socket.SHUT_RDWR)
    send_mail(build_message("fleet@example.com", "third", "t"))

    first, second, third = sink.outbox.find("fleet@example.com")
    assert [first["subject"], second["subject"], third["subject"]] == ["first", "second", "third"]
    assert first["connection"] == second["connection"] != third["connection"]


def test_a_connection_used_moments_ago_is_reused_without_asking_noop_first(sink, monkeypatch):
    import smtplib

    from chalicelib.providers import mail

    noops: list[int] = []
    noop = smtplib.SMTP.noop
    monkeypatch.setattr(smtplib.SMTP, "noop", lambda self: noops.append(1) or noop(self))
    monkeypatch.setattr(mail, "FRESH_S", 60)
    for subject in ("first", "second"):
        send_mail(build_message("fleet@example.com", subject, "t"))
    monkeypatch.setattr(mail, "FRESH_S", 0)   # idle longer than that: checked first
    send_mail(build_message("fleet@example.com", "third", "t"))

    first, second, third = sink.outbox.find("fleet@example.com")
    assert first["connection"] == second["connection"] == third["connection"]
    assert noops == [1]


@pytest.mark.parametrize("code, retryable", [(451, True), (421, True), (550, False)])
def test_a_refusal_says_whether_a_retry_can_help(sink, code, retryable):
    sink.outbox.fail_next, sink.outbox.fail_code = 1, code

    with pytest.raises(MailError) as failed:
        send_mail(build_message("a@example.com", "s", "t"))

    assert failed.value.retryable is retryable and sink.outbox.find(None) == []


def test_an_unreachable_server_is_retryable(monkeypatch):
    # A port held bound and not listening: connecting to it is refused, and no other server
    # can take it while the test runs.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(closed.getsockname()[1]))
        monkeypatch.setenv("SMTP_TLS", "none")
        reset_caches()

        with pytest.raises(MailError) as failed:
            send_mail(build_message("a@example.com", "s", "t"))

    assert failed.value.retryable


def test_without_a_configured_server_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    reset_caches()

    with pytest.raises(MailError) as failed:
        send_mail(build_message("a@example.com", "s", "t"))

    assert not failed.value.retryable


def test_a_long_chinese_subject_arrives_whole_in_header_lines_of_at_most_78_characters(sink):
    subject = "电子发票 25142000000000000001（" + "太原市迎泽区加油站有限公司" * 4 + "）"
    message = build_message("a@example.com", subject, "t", message_id="<inv_2.1@fuel>")

    send_mail(message)

    (mail,) = sink.outbox.find("a@example.com")
    assert mail["subject"] == subject and mail["text"] == "t"
    head = message.as_bytes().split(b"\n\n", 1)[0]
    assert max(len(line) for line in head.splitlines()) <= 78


@pytest.mark.parametrize("to, subject", [("a@example.com\r\nBcc: b@example.com", "s"),
                                         ("a@example.com", "s\nBcc: b@example.com")])
def test_a_header_value_with_a_line_break_is_refused(to, subject):
    with pytest.raises(ValueError):
        build_message(to, subject, "t")
