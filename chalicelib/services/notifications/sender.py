"""The notifier: one notification event becomes at most one WeChat subscribe message.

For each event: the user's openid, the template of its kind, then
1. claim the event's record (store/subscriptions.claim): an event claimed before is a
   duplicate and stops here, so a redelivered or republished event never sends twice;
2. take one quota (conditional decrement, never below zero): none left -> SKIPPED;
3. send, and record the outcome:
   sent                  SENT;
   43101 no quota        FAILED, quota not returned and our count set to zero (WeChat's count
                         is the true one: ours was wrong);
   invalid (40003/47003) FAILED, quota returned (WeChat refused the message before using the
                         driver's subscription, so it still holds);
   rate limit, token, WeChat busy or unreachable
                         quota returned, record left for RETRY, RetryLater raised (the queue
                         delivers the event again, and after 5 tries moves it to the DLQ);
   no answer in time     FAILED "uncertain": it may have reached the driver, so it is never
                         sent again and the quota stays used.
A crash between claim and outcome leaves the record SENDING, never resent: at most once.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib import metrics
from chalicelib.domain import times
from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.domain.errors import InvalidInput, UpstreamUnavailable
from chalicelib.observability import get_logger
from chalicelib.providers.wechat import (SubscribeMessageRejected, SubscribeSendUncertain,
                                         get_wechat)
from chalicelib.services.notifications.events import decode_event
from chalicelib.settings import get_settings
from chalicelib.store.notifications import subscriptions as subs
from chalicelib.store.identity import users

SENT, DUPLICATE, UNCERTAIN = "sent", "duplicate", "uncertain"
MALFORMED, NOT_CONFIGURED, NO_USER = "malformed", "not_configured", "no_user"


class RetryLater(Exception):
    """The event could not be sent now; deliver it again later."""


def deliver(raw_event, *, now: datetime | None = None) -> str:
    """Handle one event; returns its outcome, raises RetryLater when it should come again."""
    outcome = _deliver(raw_event, now or times.now())
    if outcome == SENT:
        metrics.count(metrics.Metric.NOTIFICATIONS_SENT)
    elif outcome != DUPLICATE:  # a duplicate was counted when its first copy was handled
        metrics.count(metrics.Metric.NOTIFICATIONS_SKIPPED, reason=outcome)
    return outcome


def _deliver(raw_event, now: datetime) -> str:
    log = get_logger()
    try:
        event = decode_event(raw_event)
    except InvalidInput as err:  # a publisher's bug: no retry can fix it
        log.error("notification event malformed", extra={"code": err.code, "reason": err.message})
        return MALFORMED
    kind, user_id, event_id = event["kind"], event["user_id"], event["event_id"]
    settings = get_settings()
    template_id = settings.template_id(kind)
    user = users.get_user(user_id) if template_id else None
    problem = NOT_CONFIGURED if not template_id else NO_USER if user is None else None
    if problem:
        log.warning("notification not sent", extra={"event_id": event_id, "outcome": problem})
        claimed = subs.claim(event_id, user_id=user_id, kind=kind, template_id=template_id,
                             status=subs.FAILED, outcome=problem, now=now)
        return problem if claimed else DUPLICATE
    message = sm.build_message(kind, user.openid, event["data"], event["page"],
                               template_id=template_id)
    if not subs.claim(event_id, user_id=user_id, kind=kind, template_id=template_id,
                      status=subs.SENDING, now=now):
        return DUPLICATE
    try:
        has_quota = subs.take(user_id, template_id)
    except Exception:
        subs.finish(event_id, subs.RETRY, sm.TRANSIENT, now=now)  # nothing taken, nothing sent
        raise
    if not has_quota:
        subs.finish(event_id, subs.SKIPPED, sm.NO_QUOTA, now=now)
        return sm.NO_QUOTA
    try:
        msgid = get_wechat().send_subscribe_message(
            user.openid, template_id, message["data"], message.get("page"),
            state=settings.miniprogram_state)
    except SubscribeMessageRejected as err:
        return _rejected(event_id, user_id, template_id, err, now)
    except SubscribeSendUncertain as err:
        log.warning("subscribe message may or may not have been sent",
                    extra={"event_id": event_id, "error": err.message})
        subs.finish(event_id, subs.FAILED, UNCERTAIN, now=now, errmsg=err.message)
        return UNCERTAIN
    except UpstreamUnavailable as err:
        _retry(event_id, user_id, template_id, sm.TRANSIENT, now, errmsg=err.message)
    subs.finish(event_id, subs.SENT, SENT, now=now, msgid=msgid)
    log.info("subscribe message sent", extra={"event_id": event_id, "kind": kind})
    return SENT


def _rejected(event_id: str, user_id: str, template_id: str, err: SubscribeMessageRejected,
              now: datetime) -> str:
    if err.outcome == sm.NO_QUOTA:
        subs.empty(user_id, template_id, taken_at=now)
    elif err.outcome == sm.INVALID:
        subs.give_back(user_id, template_id)
        get_logger().error("WeChat refused a subscribe message", extra={
            "event_id": event_id, "errcode": err.errcode, "errmsg": err.errmsg})
    else:
        _retry(event_id, user_id, template_id, err.outcome, now, errcode=err.errcode,
               errmsg=err.errmsg)
    subs.finish(event_id, subs.FAILED, err.outcome, now=now, errcode=err.errcode,
                errmsg=err.errmsg)
    return err.outcome


def _retry(event_id: str, user_id: str, template_id: str, outcome: str, now: datetime, *,
           errcode: int | None = None, errmsg: str | None = None) -> None:
    # The quota first: should the record update fail, the event stays SENDING (never resent)
    # and the driver's quota is still whole.
    subs.give_back(user_id, template_id)
    subs.finish(event_id, subs.RETRY, outcome, now=now, errcode=errcode, errmsg=errmsg)
    get_logger().warning("subscribe message will be retried", extra={
        "event_id": event_id, "outcome": outcome, "errcode": errcode})
    raise RetryLater(outcome)
