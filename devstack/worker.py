"""The local stand-in for Lambda's event sources: SQS deliveries and schedules.

It reads the event sources the Chalice app declares, long-polls each SQS queue in its own thread
(as Lambda runs one poller per event source mapping) and calls the same handler Lambda would
call with a Lambda-shaped event, deleting only what the handler accepted
(a raised exception leaves the whole batch, a `batchItemFailures` answer leaves those items, and
the queue's redrive policy then moves repeat failures to the dead-letter queue). Schedules fire
on their rate with EventBridge's scheduled event (its `time` is the firing time);
`--schedule-every` shortens every period for local use. devstack/jobs_control.py fires one
schedule on request, as if at a given time, through the same `invoke_schedule`.

Run: python -m devstack.worker  (the devstack starts it with the local environment).
"""
from __future__ import annotations

import argparse
import importlib
import re
import threading
import time
import uuid
from datetime import datetime, timezone

from chalice.app import ScheduledEventConfig, SQSEventConfig

from chalicelib.observability import get_logger
from chalicelib.settings import get_settings


class LambdaContext:
    """Enough of the Lambda context object for handlers and Powertools."""

    def __init__(self, name: str):
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{name}"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def resolve_handler(handler_string: str):
    module_name, _, attr = handler_string.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": region} for m in messages]}


def deliver_once(sqs, source: SQSEventConfig, queue_url: str, queue_arn: str, region: str,
                 wait_s: int = 1) -> int:
    """One receive -> handler -> delete round; returns how many messages the handler accepted."""
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=source.batch_size,
                                   WaitTimeSeconds=wait_s, AttributeNames=["All"],
                                   MessageAttributeNames=["All"]).get("Messages", [])
    if not messages:
        return 0
    handler = resolve_handler(source.handler_string)
    try:
        answer = handler(sqs_event(messages, queue_arn, region), LambdaContext(source.name))
    except Exception:  # noqa: BLE001 - Lambda's contract: an exception fails the whole batch
        get_logger().exception("sqs handler failed", extra={"handler": source.name})
        return 0
    failed = {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])} \
        if isinstance(answer, dict) else set()
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:  # one call, as Lambda's poller deletes a batch (at most 10, SQS's limit per call)
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
    return len(done)


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def expression_text(expression) -> str:
    """`rate(1 minute)` / `cron(30 2-15 * * ? *)`, as the EventBridge rule states it."""
    return expression if isinstance(expression, str) else expression.to_string()


def period_s(expression) -> int:
    """The period of a schedule; cron expressions fire hourly locally (their handlers decide
    themselves whether there is work, e.g. a bill that is not yet available)."""
    match = _RATE.fullmatch(expression_text(expression))
    if not match:
        return 3600
    return int(match.group(1)) * _UNIT_S[match.group(2).rstrip("s")]


def scheduled_event(source: ScheduledEventConfig, region: str,
                    at: datetime | None = None) -> dict:
    """EventBridge's scheduled event; `time` is when it was meant to fire (default: now)."""
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000",
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [f"arn:aws:events:{region}:000000000000:rule/{source.name}"],
            "detail": {}}


def invoke_schedule(source: ScheduledEventConfig, region: str, at: datetime | None = None):
    """Call the schedule's handler once as Lambda would; answers what it returns, raises what it
    raises (devstack/jobs_control.py fires schedules on request through this too)."""
    handler = resolve_handler(source.handler_string)
    return handler(scheduled_event(source, region, at), LambdaContext(source.name))


def schedules_of(app) -> dict[str, ScheduledEventConfig]:
    """The app's schedules by name (the Lambda function name Chalice gives each)."""
    return {s.name: s for s in app.event_sources if isinstance(s, ScheduledEventConfig)}


def fire_schedule(source: ScheduledEventConfig, region: str) -> None:
    try:
        invoke_schedule(source, region)
    except Exception:  # noqa: BLE001 - a failed run is logged; the next tick runs it again
        get_logger().exception("schedule failed", extra={"handler": source.name})


# A long poll answers as soon as a message arrives; an empty queue then costs one call per
# LONG_POLL_S instead of five a second, and a stop waits at most this long for its pollers.
LONG_POLL_S = 2


def poll_queue(sqs, source: SQSEventConfig, url: str, arn: str, region: str,
               stop: threading.Event) -> None:
    """One queue's poller until `stop`: receive (long poll), handle, delete, again."""
    while not stop.is_set():
        try:
            deliver_once(sqs, source, url, arn, region, wait_s=LONG_POLL_S)
        except Exception:  # noqa: BLE001 - the queue itself failed (moto stopping): try again
            get_logger().exception("sqs poll failed", extra={"handler": source.name})
            stop.wait(1)


def run(app, stop: threading.Event, *, schedule_every_s: float | None = None) -> None:
    import boto3

    settings = get_settings()
    sqs = boto3.client("sqs", region_name=settings.aws_region,
                       endpoint_url=settings.aws_endpoint_url)
    pollers = []
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            url = sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            pollers.append(threading.Thread(
                target=poll_queue, args=(sqs, source, url, arn, settings.aws_region, stop),
                name=f"sqs-{source.name}", daemon=True))
    for poller in pollers:
        poller.start()
    schedules = list(schedules_of(app).values())
    next_fire = {s.name: time.monotonic() for s in schedules}
    while not stop.is_set():
        for source in schedules:
            if time.monotonic() >= next_fire[source.name]:
                fire_schedule(source, settings.aws_region)
                period = period_s(source.schedule_expression)
                next_fire[source.name] = time.monotonic() + min(period, schedule_every_s or period)
        # Asleep until the next schedule is due (or the stop).
        stop.wait(max(0.0, min(next_fire.values()) - time.monotonic()) if next_fire else None)
    for poller in pollers:
        poller.join(timeout=LONG_POLL_S + 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule-every", type=float, default=None,
                        help="fire every schedule at least this often (seconds)")
    args = parser.parse_args()
    app = importlib.import_module("app").app
    stop = threading.Event()
    try:
        run(app, stop, schedule_every_s=args.schedule_every)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
