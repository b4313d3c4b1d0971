"""Notification events: what the order, refund, invoice and price-alert use cases hand to the
notifier queue, and the events they hand over.

An event is `{"kind", "user_id", "event_id", "data", "page"?}`:
- kind: one of domain/subscribe_messages.MESSAGE_KINDS (payment_received, refund_arrived,
  invoice_issued, price_drop);
- event_id: unique per message and deterministic per fact ("paid:<order_id>"), the idempotency
  key the notifier claims, so the same fact published twice sends at most one message;
- data: the template's fields by our names (TEMPLATE_KEYS), raw: text, integer fen, aware
  datetimes (or their ISO text);
- page: where tapping the message opens the mini-program (optional).

Use cases write their events into the outbox in the same transaction as their change
(`outbox_messages`, delivered by services/outbox/delivery.py), so an SQS outage delays a message
and never drops it; a malformed event is logged and left out, because a notification must never
fail or undo the money movement behind it (see docs/decisions.md). Fan-outs (price drops),
already inside a queue worker that SQS retries, call `enqueue` with their whole list.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Mapping

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.domain.errors import InvalidInput, UpstreamUnavailable
from chalicelib.domain.outbox.messages import OutboxMessage, OutboxQueue, new_message
from chalicelib.observability import get_logger
from chalicelib.providers import notify_queue

MAX_EVENT_ID = 200
SEND_ATTEMPTS = 3  # per batch entry SQS refuses for its own reasons (throttling, internal error)
MAX_PARALLEL_BATCHES = 8
ORDER_PAGE, INVOICE_PAGE = "pages/order/detail?id={}", "pages/invoice/detail?id={}"
STATION_PAGE = "pages/station/detail?id={}"


class NotifyQueueUnavailable(UpstreamUnavailable):
    def __init__(self, message: str):
        super().__init__(message, code="NOTIFY_QUEUE_UNAVAILABLE")


def decode_event(event: Any) -> dict:
    """The event checked and with its time fields as datetimes; InvalidInput if it is not a
    well-formed event whose data fits its template (the same check the notifier makes)."""
    if not isinstance(event, Mapping):
        raise InvalidInput("an event is a JSON object", code="EVENT_INVALID")
    kind, data, page = event.get("kind"), event.get("data"), event.get("page")
    for name in ("user_id", "event_id"):
        value = event.get(name)
        if not isinstance(value, str) or not value or len(value) > MAX_EVENT_ID:
            raise InvalidInput(f"{name} must be 1-{MAX_EVENT_ID} characters", code="EVENT_INVALID",
                               field=name)
    if kind not in sm.TEMPLATE_KEYS or not isinstance(data, Mapping):
        raise InvalidInput("kind must be a message kind and data an object", code="EVENT_INVALID")
    if page is not None and (not isinstance(page, str) or len(page) > 1024):
        raise InvalidInput("page must be a mini-program path", code="EVENT_INVALID", field="page")
    decoded = dict(data)
    for name, key in sm.TEMPLATE_KEYS[kind].items():
        if sm.value_type(key) == "time" and isinstance(decoded.get(name), str):
            try:
                decoded[name] = datetime.fromisoformat(decoded[name])
            except ValueError as err:
                raise InvalidInput(f"{name} is not an ISO time", code="EVENT_INVALID",
                                   field=name) from err
    # Formatting with placeholder ids finds a bad field here, at the publisher, not in the worker.
    sm.build_message(kind, "openid", decoded, page, template_id="template")
    return {"kind": kind, "user_id": event["user_id"], "event_id": event["event_id"],
            "data": decoded, "page": page}


def _body(event: dict) -> str:
    message = {key: event[key] for key in ("kind", "user_id", "event_id", "data")}
    if event.get("page"):
        message["page"] = event["page"]
    return json.dumps(message, separators=(",", ":"),
                      default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))


def _send_chunk(bodies: list[str]) -> None:
    pending = list(range(len(bodies)))
    for _ in range(SEND_ATTEMPTS):
        failed = notify_queue.send_batch([bodies[i] for i in pending])
        if any(sender_fault for _, _, sender_fault in failed):
            raise NotifyQueueUnavailable(f"SQS refused an event: {failed[0][1]}")
        pending = [pending[index] for index, _, _ in failed]
        if not pending:
            return
    raise NotifyQueueUnavailable(f"SQS did not take {len(pending)} events")


def enqueue(events: list[dict]) -> None:
    """Put events on the notifier queue, 10 per SendMessageBatch (batches side by side).

    Every event is checked first (InvalidInput names the bad one, and nothing is sent);
    NotifyQueueUnavailable (or botocore's error) when SQS did not take them all: some may have
    been queued, which is harmless, as sending an event again sends no second message.
    """
    bodies = [_body(decode_event(event)) for event in events]
    chunks = [bodies[i:i + notify_queue.BATCH_SIZE]
              for i in range(0, len(bodies), notify_queue.BATCH_SIZE)]
    if len(chunks) <= 1:
        for chunk in chunks:
            _send_chunk(chunk)
        return
    with ThreadPoolExecutor(max_workers=min(len(chunks), MAX_PARALLEL_BATCHES)) as pool:
        list(pool.map(_send_chunk, chunks))


def outbox_messages(events: list[dict | None], now: datetime) -> list[OutboxMessage]:
    """The events as outbox messages for the notifier queue (domain/outbox/messages.py);
    a malformed one is logged and left out, never raised."""
    messages = []
    for event in events:
        if event is None:
            continue
        try:
            messages.append(new_message(OutboxQueue.NOTIFICATIONS, _body(decode_event(event)), now))
        except (InvalidInput, ValueError):
            get_logger().exception("notification event not written", extra={
                "event_id": event.get("event_id"), "kind": event.get("kind")})
    return messages


# --- the events of our transitions ------------------------------------------------------------
def payment_received(order) -> dict:
    """An order became PAID (domain/orders.Order)."""
    return {"kind": sm.PAYMENT_RECEIVED, "user_id": order.user_id, "event_id": f"paid:{order.id}",
            "data": {"station": order.station_name, "amount": order.pay_amount_fen,
                     "time": order.paid_at}, "page": ORDER_PAGE.format(order.id)}


def refund_arrived(refund, order) -> dict:
    """A refund (domain/refunds.Refund) of the order reached SUCCESS."""
    return {"kind": sm.REFUND_ARRIVED, "user_id": order.user_id,
            "event_id": f"refund:{refund.out_refund_no}",
            "data": {"amount": refund.amount_fen, "reason": refund.reason},
            "page": ORDER_PAGE.format(order.id)}


def invoice_issued(invoice) -> dict:
    """An invoice (store/invoices.Invoice) became ISSUED with its number."""
    return {"kind": sm.INVOICE_ISSUED, "user_id": invoice.user_id,
            "event_id": f"invoice:{invoice.id}",
            "data": {"number": invoice.number, "amount": invoice.total_fen},
            "page": INVOICE_PAGE.format(invoice.id)}


def refund_request_update(order, result: str, reason: str) -> dict:
    """A step of the driver's refund request: `result` a phrase such as 已受理, 已退款, 已拒绝."""
    return {"kind": sm.REFUND_REQUEST, "user_id": order.user_id,
            "event_id": f"refund-request:{order.id}:{order.refund_request_status}",
            "data": {"station": order.station_name, "result": result, "reason": reason},
            "page": ORDER_PAGE.format(order.id)}
