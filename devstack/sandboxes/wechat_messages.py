"""The WeChat sandbox's subscribe messages: subscribeMessage.send with WeChat's quota rule.

- POST /sandbox/subscribe {openid, template_ids}: what the driver tapping "allow" in
  wx.requestSubscribeMessage does: one quota per distinct known template (400 for unknown ids).
  GET /sandbox/subscribe?openid= shows the quotas held.
- POST /cgi-bin/message/subscribe/send?access_token=: checks the access token (40001), touser
  (40003), the template id (40037), the data keys and values against the template's fields and
  WeChat's value rules (47003, the rules of domain/subscribe_messages.fits_rule), then spends
  one quota of (openid, template), answering 43101 when none is left.
- GET /sandbox/messages?openid= lists what was sent; POST /sandbox/messages/fail-next
  {errcode} makes the next send answer that errcode (45009 rate limit, 40001 token, -1 busy).
Stricter than WeChat in one point: a data key the template does not have is refused (47003).
"""
from __future__ import annotations

import itertools
import threading
from datetime import datetime, timezone

from flask import Flask, jsonify, request

from chalicelib.domain.notifications.subscribe_messages import TEMPLATE_KEYS, fits_rule
from devstack.sandboxes.wechat_state import add_fail_next_route, valid_access_token


def templates_for(template_ids: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """template id -> its data keys, for our message kinds (kind -> template id)."""
    return {template_id: tuple(TEMPLATE_KEYS[kind].values())
            for kind, template_id in template_ids.items()}


def _error(errcode: int, errmsg: str):
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _data_problem(keys: tuple[str, ...], data) -> str | None:
    if not isinstance(data, dict):
        return "data must be an object"
    for key in keys:
        entry = data.get(key)
        value = entry.get("value") if isinstance(entry, dict) else None
        if value is None:
            return f"data.{key}.value is empty"
        if not fits_rule(key, value):
            return f"data.{key}.value invalid"
    unknown = sorted(set(data) - set(keys))
    return f"data.{unknown[0]} is not a field of the template" if unknown else None


def add_subscribe_routes(app: Flask, lock: threading.Lock, templates: dict[str, tuple[str, ...]],
                         clock) -> None:
    quotas: dict[tuple[str, str], int] = {}
    sent: list[dict] = []
    fail_next: list[int] = []
    msgids = itertools.count(2_000_000_001)
    # For tests sharing one sandbox: clear these (under the lock) to start afresh.
    app.config["subscribe_state"] = {"quotas": quotas, "sent": sent, "fail_next": fail_next}

    @app.post("/sandbox/subscribe")
    def subscribe():
        body = request.get_json(silent=True) or {}
        openid, template_ids = body.get("openid"), body.get("template_ids")
        if not isinstance(openid, str) or not openid or not isinstance(template_ids, list):
            return jsonify({"error": "openid and template_ids are required"}), 400
        unknown = [t for t in template_ids if t not in templates]
        if unknown:
            return jsonify({"error": f"unknown template ids: {unknown}"}), 400
        with lock:
            for template_id in dict.fromkeys(template_ids):
                quotas[(openid, template_id)] = quotas.get((openid, template_id), 0) + 1
        return _held(openid)

    @app.get("/sandbox/subscribe")
    def held():
        return _held(request.args.get("openid"))

    def _held(openid):
        with lock:
            mine = {t: n for (o, t), n in quotas.items() if o == openid}
        return jsonify({"openid": openid, "quotas": mine})

    @app.post("/cgi-bin/message/subscribe/send")
    def send():
        if not valid_access_token(app, request.args.get("access_token", ""), now=clock()):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        openid, template_id = body.get("touser"), body.get("template_id")
        if not isinstance(openid, str) or not openid:
            return _error(40003, "invalid openid")
        if template_id not in templates:
            return _error(40037, "invalid template_id")
        problem = _data_problem(templates[template_id], body.get("data"))
        if problem:
            return _error(47003, f"argument invalid! {problem}")
        page = body.get("page")
        if page is not None and not isinstance(page, str):
            return _error(41030, "invalid page")
        with lock:
            if fail_next:
                return _error(fail_next.pop(0), "sandbox failure")
            if quotas.get((openid, template_id), 0) <= 0:
                return _error(43101, "user refuse to accept the msg")
            quotas[(openid, template_id)] -= 1
            msgid = next(msgids)
            sent.append({"openid": openid, "template_id": template_id, "page": page,
                         "data": body["data"], "msgid": msgid,
                         "miniprogram_state": body.get("miniprogram_state"),
                         "sent_at": datetime.fromtimestamp(clock(), timezone.utc).isoformat()})
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    @app.get("/sandbox/messages")
    def messages():
        openid = request.args.get("openid")
        with lock:
            items = [dict(m) for m in sent if openid in (None, m["openid"])]
        return jsonify({"items": items})

    add_fail_next_route(app, "/sandbox/messages/fail-next", lock, fail_next)
