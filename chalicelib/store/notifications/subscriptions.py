"""Subscribe-message quotas and the record of each notification event.

Quota: one item per (user_id, template_id); `remaining` is changed only by conditional updates,
so any number of concurrent senders take at most what was granted and never go below zero.
Record: one item per event_id. It is claimed (SENDING) before a message is sent and a claim
only succeeds on no record or one left for RETRY, which is what makes a redelivered or
republished event send at most once. Records expire through TTL (`expires_at`, epoch seconds).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.store.base import StageModel, error_code

SENDING, SENT, RETRY, FAILED, SKIPPED = "SENDING", "SENT", "RETRY", "FAILED", "SKIPPED"
RECORD_TTL = timedelta(days=30)  # longer than SQS keeps a message (14 days)


class QuotaModel(StageModel):
    logical_name = "subscription-quotas"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    remaining = NumberAttribute(default=0)
    granted_at = UnicodeAttribute(null=True)   # UTC ISO 8601: the last acceptance reported


class RecordModel(StageModel):
    logical_name = "notification-records"

    class Meta:
        pass

    event_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    template_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    outcome = UnicodeAttribute(null=True)      # sent, no_quota, invalid, rate_limited, ...
    errcode = NumberAttribute(null=True)
    errmsg = UnicodeAttribute(null=True)
    msgid = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute()


@dataclass(frozen=True)
class NotificationRecord:
    event_id: str
    user_id: str
    kind: str
    status: str
    attempts: int
    template_id: str | None = None
    outcome: str | None = None
    errcode: int | None = None
    msgid: str | None = None


def _conditional(model, actions, condition) -> bool:
    try:
        model.update(actions=actions, condition=condition)
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- quotas -----------------------------------------------------------------------------------
def grant(user_id: str, template_id: str, kind: str, *, now: datetime, cap: int) -> None:
    """One more accepted subscription, unless `cap` are already held (then nothing changes)."""
    Q = QuotaModel
    _conditional(Q(user_id, template_id),
                 [Q.remaining.add(1), Q.kind.set(kind), Q.granted_at.set(now.isoformat())],
                 Q.remaining.does_not_exist() | (Q.remaining < cap))


def quotas(user_id: str) -> dict[str, int]:
    """template_id -> remaining, for every template the user ever accepted."""
    return {item.template_id: int(item.remaining)
            for item in QuotaModel.query(user_id, consistent_read=True)}


def take(user_id: str, template_id: str) -> bool:
    """Use one quota; False when none is left (the count never goes below zero)."""
    Q = QuotaModel
    return _conditional(Q(user_id, template_id), [Q.remaining.add(-1)], Q.remaining > 0)


def give_back(user_id: str, template_id: str) -> None:
    """Return a quota taken for a message WeChat did not deliver."""
    Q = QuotaModel
    _conditional(Q(user_id, template_id), [Q.remaining.add(1)], Q.remaining.exists())


def empty(user_id: str, template_id: str, *, taken_at: datetime) -> bool:
    """WeChat says none is left (43101): count none, unless an acceptance came in after the
    quota was taken (that one is real and stays)."""
    Q = QuotaModel
    return _conditional(Q(user_id, template_id), [Q.remaining.set(0)],
                        Q.remaining.exists() & (Q.granted_at.does_not_exist()
                                                | (Q.granted_at < taken_at.isoformat())))


# --- records ----------------------------------------------------------------------------------
def claim(event_id: str, *, user_id: str, kind: str, template_id: str | None, status: str,
          now: datetime, outcome: str | None = None) -> bool:
    """Create the event's record in `status` (SENDING, or final when nothing will be sent);
    False when the event was claimed before and is not waiting for a RETRY."""
    R = RecordModel
    actions = [R.user_id.set(user_id), R.kind.set(kind), R.status.set(status),
               R.attempts.add(1), R.created_at.set(R.created_at | now.isoformat()),
               R.updated_at.set(now.isoformat()),
               R.expires_at.set(int((now + RECORD_TTL).timestamp()))]
    if template_id:
        actions.append(R.template_id.set(template_id))
    if outcome:
        actions.append(R.outcome.set(outcome))
    return _conditional(R(event_id), actions, R.event_id.does_not_exist() | (R.status == RETRY))


def finish(event_id: str, status: str, outcome: str, *, now: datetime, errcode: int | None = None,
           errmsg: str | None = None, msgid: str | None = None) -> bool:
    """SENDING -> the send's outcome (SENT, FAILED, or RETRY to let a redelivery claim it)."""
    R = RecordModel
    actions = [R.status.set(status), R.outcome.set(outcome), R.updated_at.set(now.isoformat())]
    actions += [R.errcode.set(errcode)] if errcode is not None else [R.errcode.remove()]
    actions += [R.errmsg.set(errmsg[:200])] if errmsg else [R.errmsg.remove()]
    if msgid:
        actions.append(R.msgid.set(msgid))
    return _conditional(R(event_id), actions, R.status == SENDING)


def get_record(event_id: str) -> NotificationRecord | None:
    try:
        m = RecordModel.get(event_id, consistent_read=True)
    except RecordModel.DoesNotExist:
        return None
    return NotificationRecord(event_id=m.event_id, user_id=m.user_id, kind=m.kind,
                              status=m.status, attempts=int(m.attempts or 0),
                              template_id=m.template_id, outcome=m.outcome,
                              errcode=None if m.errcode is None else int(m.errcode),
                              msgid=m.msgid)
