"""The notifier Lambda, thin like the API views: each SQS record is one notification event.

Records are handled side by side (the work waits on DynamoDB and WeChat); those that must come
again (RetryLater, a body that is no event, or anything unexpected) are answered in
`batchItemFailures` by jobs/batches and, after the queue's maxReceiveCount, wait in the
dead-letter queue whose alarm fires.
"""
from __future__ import annotations

import msgspec

from chalicelib.jobs.batches import decode, handle_batch
from chalicelib.jobs.messages import NotificationEvent
from chalicelib.needs import Needs

MAX_PARALLEL = 10


def handle_messages(event) -> dict:
    return handle_batch(event, _handle, parallel=MAX_PARALLEL)


def _handle(record) -> None:
    from chalicelib.services.notifications.sender import deliver

    deliver(msgspec.structs.asdict(decode(record.body, NotificationEvent)))


# What each Lambda of this module may touch (chalicelib/needs.py); infra/package.py makes its role.
NEEDS = {
    "notification_worker": Needs(
        tables={
            "notification-records": "R", "subscription-quotas": "R", "user-openids": "RP",
            "users": "RP",
        },
        sends=("alert-fanout", "notifications"),
        secrets=True,
    ),
}
