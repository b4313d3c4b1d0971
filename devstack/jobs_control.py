"""Fire one of the app's schedules on request, as if at a given time (local stack only).

On AWS a schedule fires when EventBridge says; locally a test or a developer often needs the run
that belongs to another moment, e.g. the 10:30 reconciliation of the day that is still today:

    POST {jobs_url}/schedules/reconcile_trade_bill/run  {"time": "2026-11-27T02:30:00Z"}
    -> 200 {"schedule": "reconcile_trade_bill", "time": "2026-11-27T02:30:00Z", "result": ...}

`result` is what the handler returned. The handler is found in the app's event sources and called
through devstack/worker.py `invoke_schedule`, with the same EventBridge event and Lambda context
the worker gives it; only `time` differs (absent: now). No job logic lives here. A handler that
raises answers 500 HANDLER_FAILED with the error (logged with its traceback), an unknown schedule
404 SCHEDULE_NOT_FOUND, a bad body or time 400. `GET /schedules` lists the schedules.
"""
from __future__ import annotations

import importlib
import json
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Flask, Response, request

from chalicelib.observability import get_logger
from devstack import worker

_RFC3339_WITH_OFFSET = "a UTC time as RFC 3339 with Z or an offset, e.g. 2026-11-27T02:30:00Z"


class _BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _chalice_app():
    return importlib.import_module("app").app


def _answer(data: Any, status: int = 200) -> Response:
    # default=str: a handler may return datetimes or Decimals, which Lambda would log as text.
    return Response(json.dumps(data, ensure_ascii=False, default=str), status,
                    mimetype="application/json")


def _fire_time(body) -> datetime:
    if body is None:
        return datetime.now(timezone.utc)
    if not isinstance(body, dict) or set(body) - {"time"}:
        raise _BadRequest(400, "BODY_INVALID", 'the body is {"time": "..."} or empty')
    text = body.get("time")
    if text is None:
        return datetime.now(timezone.utc)
    try:
        if not isinstance(text, str) or "T" not in text:
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _BadRequest(400, "TIME_INVALID", f"time must be {_RFC3339_WITH_OFFSET}") from None
    if moment.tzinfo is None:
        raise _BadRequest(400, "TIME_INVALID", f"time must be {_RFC3339_WITH_OFFSET}")
    return moment.astimezone(timezone.utc)


def create_app(region: str, load_app: Callable[[], Any] = _chalice_app) -> Flask:
    """`load_app` gives the Chalice app whose schedules are fired (imported on first use, once
    the devstack has set the app's environment)."""
    control = Flask("jobs-control")

    @control.errorhandler(_BadRequest)
    def _bad_request(err: _BadRequest):
        return _answer({"code": err.code, "message": err.message}, err.status)

    @control.get("/schedules")
    def list_schedules():
        return _answer({"items": [
            {"name": name, "handler": source.handler_string,
             "expression": worker.expression_text(source.schedule_expression)}
            for name, source in sorted(worker.schedules_of(load_app()).items())]})

    @control.post("/schedules/<name>/run")
    def run_schedule(name: str):
        schedules = worker.schedules_of(load_app())
        if name not in schedules:
            raise _BadRequest(404, "SCHEDULE_NOT_FOUND",
                              f"no schedule {name!r}; there are {', '.join(sorted(schedules))}")
        raw = request.get_data(as_text=True)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise _BadRequest(400, "BODY_INVALID", "the body is not JSON") from None
        at = _fire_time(body)
        try:
            result = worker.invoke_schedule(schedules[name], region, at)
        except Exception as err:  # noqa: BLE001 - reported to the caller, as a failed Lambda is
            get_logger().exception("schedule run on request failed", extra={"handler": name})
            return _answer({"code": "HANDLER_FAILED",
                            "message": f"{type(err).__name__}: {err}"[:2000]}, 500)
        return _answer({"schedule": name, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "result": result})

    return control
