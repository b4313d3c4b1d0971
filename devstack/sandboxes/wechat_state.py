"""What the WeChat sandbox's login, shipping and message endpoints share: the login codes and
access tokens it issued, and the token check every later endpoint makes."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request


@dataclass
class SandboxState:
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)   # code -> (openid, issued)
    used: set[str] = field(default_factory=set)
    fail_next: list[int] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)              # token -> expires
    lock: threading.Lock = field(default_factory=threading.Lock)


def valid_access_token(app: Flask, token: str, *, now: float | None = None) -> bool:
    """For the sandbox's own later endpoints (messages, shipping info)."""
    state: SandboxState = app.config["sandbox_state"]
    with state.lock:
        expires = state.tokens.get(token)
    return expires is not None and expires > (time.time() if now is None else now)


def add_fail_next_route(app: Flask, path: str, lock, fail_next: list[int]) -> None:
    """POST `path` {"errcode": n}: the next call of that API answers errcode n (tests of our
    handling of WeChat's errors); queued in order, one per call."""
    def queue_failure():
        errcode = (request.get_json(silent=True) or {}).get("errcode")
        if not isinstance(errcode, int):
            return jsonify({"error": "errcode must be an integer"}), 400
        with lock:
            fail_next.append(errcode)
        return jsonify({"queued": errcode})
    app.add_url_rule(path, endpoint=path, view_func=queue_failure, methods=["POST"])
