"""Sandbox mail: an SMTP server that keeps what it receives, and an HTTP outbox to read it.

The app sends over SMTP exactly as in AWS (to a relay there); here aiosmtpd accepts the mail on a
loopback port and files it. GET /outbox?to=ADDRESS answers {items: [{to, subject, text, links,
sent_at, message_id}]} (API.md); POST /sandbox/config {fail_next, fail_code} makes the next
deliveries fail with an SMTP error (4xx: try later, 5xx: refused), for the retry paths. Never
deployed.
"""
from __future__ import annotations

import itertools
import re
import threading
import time
from email import message_from_bytes, policy
from typing import NamedTuple

from flask import Flask, jsonify, request

LINK = re.compile(r"https?://[^\s<>\"']+")


class Received(NamedTuple):
    """A message as the sink took it; read (parsed) only when the outbox is read, since a
    relay files mail without reading it and parsing costs more than taking it."""
    raw: bytes
    recipients: tuple[str, ...]
    sent_at: str
    connection: int

    def items(self) -> list[dict]:
        return [{**item, "connection": self.connection}
                for item in parse(self.raw, list(self.recipients), self.sent_at)]


class Outbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.items: list[dict | Received] = []
        self.fail_next = 0
        self.fail_code = 451

    def add(self, item: dict | Received) -> None:
        with self.lock:
            self.items.append(item)

    def find(self, to: str | None) -> list[dict]:
        with self.lock:
            self.items[:] = [one for item in self.items for one in (
                item.items() if isinstance(item, Received) else (item,))]
            return [dict(item) for item in self.items
                    if to is None or item["to"].lower() == to.lower()]

    def take_failure(self) -> int | None:
        """The SMTP code to refuse the next delivery with, if a failure was asked for."""
        with self.lock:
            if self.fail_next <= 0:
                return None
            self.fail_next -= 1
            return self.fail_code


def parse(raw: bytes, recipients: list[str], sent_at: str) -> list[dict]:
    message = message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return [{"to": to, "from": str(message["From"] or ""), "subject": str(message["Subject"] or ""),
             "text": text, "links": LINK.findall(text), "sent_at": sent_at,
             "message_id": str(message["Message-ID"] or "")} for to in recipients]


class _Handler:
    def __init__(self, outbox: Outbox):
        self.outbox = outbox
        self.connections = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        code = self.outbox.take_failure()
        if code is not None:
            return f"{code} sandbox refuses this delivery"
        # Numbered per connection (aiosmtpd's session), to tell which mails came over one.
        if getattr(session, "sink_connection", None) is None:
            session.sink_connection = next(self.connections)
        self.outbox.add(Received(envelope.original_content or envelope.content,
                                 tuple(envelope.rcpt_tos),
                                 time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 session.sink_connection))
        return "250 OK"


class SmtpSink:
    """aiosmtpd on a loopback port, filing every message in `outbox`. The socket is bound here,
    before the server starts (port 0 picks a free one), so the port is never picked by number
    and bound later."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, outbox: Outbox | None = None):
        import socket

        from aiosmtpd.controller import Controller

        listening = socket.create_server((host, port))

        class OnBoundSocket(Controller):
            def _create_server(self):
                return self.loop.create_server(self._factory_invoker, sock=listening)

        self.outbox = outbox or Outbox()
        self.host, self.port = host, listening.getsockname()[1]
        self._controller = OnBoundSocket(_Handler(self.outbox), hostname=host, port=self.port)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def create_app(outbox: Outbox) -> Flask:
    app = Flask(__name__)

    @app.get("/outbox")
    def read_outbox():
        return jsonify({"items": outbox.find(request.args.get("to"))})

    @app.post("/sandbox/config")
    def configure():
        body = request.get_json(silent=True) or {}
        fail_next, fail_code = body.get("fail_next", 0), body.get("fail_code", 451)
        if not isinstance(fail_next, int) or fail_next < 0 or fail_code not in (421, 451, 452,
                                                                                 550, 553, 554):
            return jsonify({"error": "fail_next >= 0 and fail_code one of 421 451 452 550 "
                                     "553 554"}), 400
        with outbox.lock:
            outbox.fail_next, outbox.fail_code = fail_next, fail_code
        return jsonify({"fail_next": fail_next, "fail_code": fail_code})

    return app
