"""Fixed-window counters and minimum intervals, each one atomic update of one item.

`hit` counts an attempt in the window it falls in and answers the count so far, so parallel
attempts each see a distinct number and a limit can never be passed by racing it. `claim_every`
lets one caller act on a key at most once per interval. Items expire with their window (TTL).
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.store.base import StageModel, error_code

# Kept a little past its window, so a clock a few seconds off never resets a count early.
_GRACE_S = 60


class ThrottleModel(StageModel):
    logical_name = "throttles"

    class Meta:
        pass

    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    members = UnicodeSetAttribute(null=True)  # what `count_distinct` counted in this window
    expires_at = NumberAttribute()  # epoch seconds: the TTL attribute


def hit(key: str, *, window_s: int, now: datetime) -> int:
    """Count one attempt on `key` in the current window; the count including this one."""
    moment = int(now.timestamp())
    window = moment // window_s
    model = ThrottleModel(f"{key}#{window}")
    model.update(actions=[ThrottleModel.count.add(1),
                          ThrottleModel.expires_at.set((window + 1) * window_s + _GRACE_S)])
    return int(model.count)


def forgive(key: str, *, window_s: int, now: datetime) -> None:
    """Take back one attempt `hit` counted on `key` in the current window (a login that turned
    out right), so only failures add up; nothing when the window's item is gone."""
    window = int(now.timestamp()) // window_s
    try:
        ThrottleModel(f"{key}#{window}").update(
            actions=[ThrottleModel.count.add(-1)],
            condition=ThrottleModel.key.exists() & (ThrottleModel.count > 0))
    except UpdateError as err:
        if error_code(err) != "ConditionalCheckFailedException":
            raise


def count_distinct(key: str, member: str, *, window_s: int, now: datetime) -> int:
    """Count `member` once in the current window on `key` (a set, so the same member sent twice
    at once, like one Idempotency-Key, counts once); the number of members so far."""
    moment = int(now.timestamp())
    window = moment // window_s
    model = ThrottleModel(f"{key}#{window}")
    model.update(actions=[ThrottleModel.members.add({member}),
                          ThrottleModel.expires_at.set((window + 1) * window_s + _GRACE_S)])
    return len(model.members or ())


def _window_key(key: str, window_s: int, now: datetime) -> tuple[str, int]:
    window = int(now.timestamp()) // window_s
    return f"{key}#{window}", (window + 1) * window_s + _GRACE_S


def read_distinct(key: str, *, window_s: int, now: datetime):
    """A batch read (store/batch.py) of what `count_distinct` counted on `key` in the current
    window: the set of members (empty when none)."""
    from chalicelib.store.batch import Read

    return Read(ThrottleModel, _window_key(key, window_s, now)[0],
                lambda model: frozenset(model.members or ()) if model is not None else frozenset())


def stage_distinct(tx, key: str, member: str, *, limit: int, window_s: int,
                   now: datetime) -> None:
    """Count `member` on `key` inside a transaction, on the condition that the window holds
    fewer than `limit` members or already holds this one (the same request sent again): the
    transaction that would pass the limit is cancelled instead, so no race can pass it."""
    from pynamodb.expressions.condition import size

    item_key, expires_at = _window_key(key, window_s, now)
    tx.update(ThrottleModel(item_key),
              actions=[ThrottleModel.members.add({member}),
                       ThrottleModel.expires_at.set(expires_at)],
              condition=ThrottleModel.members.does_not_exist()
              | (size(ThrottleModel.members) < limit) | ThrottleModel.members.contains(member))


def claim_every(key: str, *, interval_s: int, now: datetime) -> bool:
    """True for the first caller on `key` in each `interval_s`; False while the last claim holds."""
    moment = int(now.timestamp())
    try:
        ThrottleModel(key, count=1, expires_at=moment + interval_s).save(
            condition=ThrottleModel.key.does_not_exist() | (ThrottleModel.expires_at <= moment))
    except PutError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True
