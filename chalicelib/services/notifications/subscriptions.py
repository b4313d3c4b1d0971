"""A driver's subscribe-message quotas: reported acceptances in, quotas held out.

Each template a driver accepts in wx.requestSubscribeMessage is one message we may send
(WeChat's one-time subscription). The mini-program reports them; WeChat keeps the true count,
and a send it refuses with 43101 sets ours to zero (services/notifications/sender.py), so a report that
overstates only costs a refused send. MAX_HELD bounds how far a client can overstate.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain import times
from chalicelib.domain.notifications.subscribe_messages import Quota, accepted_kinds
from chalicelib.settings import get_settings
from chalicelib.store.notifications import subscriptions as subs

MAX_HELD = 50  # per template: more than any driver accepts before messages use them up


def held(user_id: str) -> dict:
    """The quota held for each configured message kind (0 when none)."""
    remaining = subs.quotas(user_id)
    configured = sorted(get_settings().subscribe_template_ids.items())
    return {"quotas": [Quota(kind, template_id, remaining.get(template_id, 0))
                       for kind, template_id in configured]}


def accept(user_id: str, accepted: list[str], *, now: datetime | None = None) -> dict:
    """Count one message per distinct template accepted; unknown ids: 400 UNKNOWN_TEMPLATE_ID
    (nothing is counted then)."""
    now = now or times.now()
    template_ids = get_settings().subscribe_template_ids
    for kind in accepted_kinds(accepted, template_ids):
        subs.grant(user_id, template_ids[kind], kind, now=now, cap=MAX_HELD)
    return held(user_id)
