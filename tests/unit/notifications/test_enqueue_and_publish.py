"""Putting notification events on the notifier queue (moto SQS)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.domain.errors import InvalidInput
from chalicelib.providers import notify_queue
from chalicelib.services.notifications import events as notifications
from tests.unit.notifications.fixtures import PAID_AT, drain, payment_event


def test_events_are_queued_in_batches_of_ten_and_read_back_as_sent(queue, monkeypatch):
    batches = []
    original = notify_queue.send_batch
    monkeypatch.setattr(notify_queue, "send_batch",
                        lambda bodies: batches.append(len(bodies)) or original(bodies))
    events = [payment_event("u-1", order_id=f"o{i}") for i in range(25)]

    notifications.enqueue(events)

    assert sorted(batches) == [5, 10, 10]
    bodies = [json.loads(body) for body in drain(queue)]
    assert sorted(b["event_id"] for b in bodies) == sorted(e["event_id"] for e in events)
    assert bodies[0]["data"]["time"] == PAID_AT.isoformat()


def test_a_bad_event_is_refused_and_nothing_is_queued(queue):
    events = [payment_event("u-1"), {**payment_event("u-1"), "data": {"station": "x"}}]

    with pytest.raises(InvalidInput) as raised:
        notifications.enqueue(events)

    assert raised.value.field == "amount"
    assert drain(queue) == []


@pytest.mark.parametrize("change", [
    {"kind": "birthday"}, {"event_id": ""}, {"user_id": None}, {"data": []},
    {"page": 7}])
def test_malformed_events_are_invalid(change):
    with pytest.raises(InvalidInput):
        notifications.decode_event({**payment_event("u-1"), **change})


def test_entries_sqs_refuses_for_its_own_reasons_are_sent_again(queue, monkeypatch):
    original = notify_queue.send_batch
    calls = []

    def flaky(bodies):
        calls.append(len(bodies))
        if len(calls) == 1:  # the first try: SQS throttles two entries
            original([bodies[i] for i in range(len(bodies)) if i not in (1, 3)])
            return [(1, "ThrottlingException", False), (3, "ThrottlingException", False)]
        return original(bodies)
    monkeypatch.setattr(notify_queue, "send_batch", flaky)

    notifications.enqueue([payment_event("u-1", order_id=f"o{i}") for i in range(5)])

    assert calls == [5, 2] and len(drain(queue)) == 5


def test_an_entry_refused_as_our_fault_is_not_retried(queue, monkeypatch):
    monkeypatch.setattr(notify_queue, "send_batch",
                        lambda bodies: [(0, "InvalidMessageContents", True)])

    with pytest.raises(notifications.NotifyQueueUnavailable):
        notifications.enqueue([payment_event("u-1")])


class _Order:
    id, user_id, station_name, pay_amount_fen, paid_at = "o-1", "u-1", "站", 100, PAID_AT


class _Refund:
    out_refund_no, amount_fen, reason = "r-1", 50, "预付金额多于实际加油金额，退还差额"


class _Invoice:
    id, user_id, number, total_fen = "i-1", "u-1", "26110000000000000001", 100


def test_events_of_our_transitions_are_deterministic_and_fit_their_templates():
    events = [notifications.payment_received(_Order()),
              notifications.refund_arrived(_Refund(), _Order()),
              notifications.invoice_issued(_Invoice())]

    assert [e["event_id"] for e in events] == ["paid:o-1", "refund:r-1", "invoice:i-1"]
    assert [e["page"] for e in events] == ["pages/order/detail?id=o-1"] * 2 + [
        "pages/invoice/detail?id=i-1"]
    for event in events:
        notifications.decode_event(event)  # raises if a field does not fit


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(station=st.text(min_size=1, max_size=60).filter(lambda t: t.strip() and all(
           0xD800 > ord(c) or ord(c) > 0xDFFF for c in t)),
       amount=st.integers(0, sm.MAX_AMOUNT_FEN),
       at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(timezone.utc)))
def test_an_event_read_back_from_the_queue_builds_the_same_message(station, amount, at):
    event = {"kind": sm.PAYMENT_RECEIVED, "user_id": "u", "event_id": "e",
             "data": {"station": station, "amount": amount, "time": at}}
    try:
        direct = sm.build_message(sm.PAYMENT_RECEIVED, "o", event["data"], None, template_id="t")
    except InvalidInput:
        return  # e.g. only control characters: refused at the publisher, tested above

    body = notifications._body(notifications.decode_event(event))
    queued = notifications.decode_event(json.loads(body))

    again = sm.build_message(sm.PAYMENT_RECEIVED, "o", queued["data"], None, template_id="t")
    assert again == direct
