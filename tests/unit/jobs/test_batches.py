"""The one batch helper and the message types of every queue worker: a handler raises, the
helper reports exactly that record, and a body that misses a field is refused when decoded."""
from __future__ import annotations

import json

import msgspec
import pytest
from chalice.app import SQSEvent

from chalicelib.jobs import messages
from chalicelib.jobs.batches import decode, handle_batch

GOOD = {
    messages.InvoiceWork: {"invoice_id": "inv-1"},
    messages.CampaignChunk: {"campaign_id": "c-1", "user_ids": ["u-1", "u-2"]},
    messages.PriceDropFanOut: {"station_id": "st-1", "station_name": "东站", "changed_at":
                               "2026-12-06T01:02:03.000004Z",
                               "changes": [{"grade": "92", "old_price_fen": 800,
                                            "new_price_fen": 780}]},
    messages.NotificationEvent: {"kind": "payment_received", "user_id": "u-1",
                                 "event_id": "paid:o-1", "data": {"amount": 100}},
}
# Fields with a default come last in a struct, so the required ones are the leading ones.
REQUIRED = [(t, field) for t in GOOD for field in
            t.__struct_fields__[:len(t.__struct_fields__) - len(t.__struct_defaults__)]]


def sqs_event(*records: tuple[str, str]) -> SQSEvent:
    return SQSEvent({"Records": [{
        "messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body,
        "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:cn-north-1:123456789012:q", "awsRegion": "cn-north-1"}
        for message_id, body in records]}, context=None)


@pytest.mark.parametrize("parallel", [1, 4])
def test_a_batch_reports_exactly_the_malformed_record(parallel):
    handled = []

    def handle(record):
        handled.append(decode(record.body, messages.InvoiceWork).invoice_id)

    answer = handle_batch(sqs_event(("m-good", json.dumps({"invoice_id": "inv-1"})),
                                    ("m-bad", '{"invoice_id": ')), handle, parallel=parallel)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert handled == ["inv-1"]


def test_a_failed_record_is_logged_by_its_id_never_its_body(caplog):
    secret_title = "张三 13800000000"

    def handle(record):
        decode(record.body, messages.NotificationEvent)

    answer = handle_batch(sqs_event(("m-1", json.dumps({"kind": secret_title}))), handle)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    [record] = [r for r in caplog.records if r.getMessage() == "queue record failed"]
    assert record.message_id == "m-1"
    everything_logged = caplog.text + repr(vars(record))
    assert "13800000000" not in everything_logged and "张三" not in everything_logged


def test_the_helper_answers_an_empty_list_when_every_record_is_handled():
    answer = handle_batch(sqs_event(("m-1", "{}"), ("m-2", "{}")), lambda record: None)

    assert answer == {"batchItemFailures": []}


@pytest.mark.parametrize("message_type", list(GOOD))
def test_each_message_type_accepts_a_well_formed_body(message_type):
    body = GOOD[message_type]

    decoded = decode(json.dumps(body), message_type)

    assert msgspec.to_builtins(decoded) | body == msgspec.to_builtins(decoded)


@pytest.mark.parametrize(("message_type", "field"), REQUIRED,
                         ids=[f"{t.__name__}-{f}" for t, f in REQUIRED])
def test_each_message_type_refuses_a_body_missing_a_required_field(message_type, field):
    body = {k: v for k, v in GOOD[message_type].items() if k != field}

    with pytest.raises(msgspec.ValidationError, match=field):
        decode(json.dumps(body), message_type)


@pytest.mark.parametrize("message_type", list(GOOD))
def test_each_message_type_refuses_a_body_that_is_not_an_object(message_type):
    with pytest.raises(msgspec.ValidationError):
        decode("[1]", message_type)
