"""Price alerts: the table `fuel-<stage>-alerts` (see infra/template.yaml).

Per user (hash user_id, range entry):
- "A#<station>#<grade>": one follow, with its threshold, the station's name and follow_key
  "<station>#<grade>", which puts it in the sparse GSI `followers` (follow_key, user_id);
- "COUNT": how many follows the user has. A new follow and the count move in ONE transaction,
  conditional on the follow not existing and the count staying within the limit, so concurrent
  creates can never pass the limit; a delete moves both back the same way.

Concurrent transactions on one COUNT item cancel each other (TransactionConflict): they are
tried again (store/retries.py), a bounded number of times.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.transactions import TransactWrite

from chalicelib.domain.notifications.price_alerts import Alert, SavedAlert
from chalicelib.store.base import StageModel, error_code, get_connection
from chalicelib.store.retries import retry_lost_writes

COUNT = "COUNT"
CREATED, UPDATED, LIMIT_REACHED = "created", "updated", "limit_reached"
_ATTEMPTS = 12


class AlertsBusy(Exception):
    """The user's follows kept changing under us for every attempt; nothing was written."""


class FollowersIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "followers"
        projection = IncludeProjection(["below_price_fen"])

    follow_key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class AlertModel(StageModel):
    logical_name = "alerts"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    follow_key = UnicodeAttribute(null=True)  # follows only: the sparse GSI's key
    station_id = UnicodeAttribute(null=True)
    grade = UnicodeAttribute(null=True)
    station_name = UnicodeAttribute(null=True)
    below_price_fen = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    alert_count = NumberAttribute(null=True)  # the COUNT item only
    followers = FollowersIndex()


def follow_key(station_id: str, grade: str) -> str:
    return f"{station_id}#{grade}"


def entry_of(station_id: str, grade: str) -> str:
    return f"A#{station_id}#{grade}"


def to_model(saved: SavedAlert) -> AlertModel:
    a = saved.alert
    return AlertModel(a.user_id, entry_of(a.station_id, a.grade),
                      follow_key=follow_key(a.station_id, a.grade), station_id=a.station_id,
                      grade=a.grade, station_name=saved.station_name,
                      below_price_fen=a.below_price_fen, created_at=saved.created_at,
                      updated_at=saved.updated_at)


def _to_saved(m: AlertModel) -> SavedAlert:
    alert = Alert(m.user_id, m.station_id, m.grade,
                  None if m.below_price_fen is None else int(m.below_price_fen))
    return SavedAlert(alert, m.station_name or "", m.created_at, m.updated_at)


def count_alerts(user_id: str) -> int:
    try:
        return int(AlertModel.get(user_id, COUNT, consistent_read=True).alert_count or 0)
    except AlertModel.DoesNotExist:
        return 0


def alerts_of(user_id: str) -> list[SavedAlert]:
    """The user's follows in station, grade order (a user has at most a few dozen)."""
    return [_to_saved(m) for m in AlertModel.query(
        user_id, AlertModel.entry.startswith("A#"), consistent_read=True)]


def save_alert(alert: Alert, station_name: str, now: datetime, max_alerts: int) -> str:
    """Create the follow, or update its threshold if it exists: CREATED, UPDATED or
    LIMIT_REACHED (the user already has max_alerts); AlertsBusy if it kept conflicting."""
    def attempt(_: int) -> str:
        updated = _update_threshold(alert, now)
        if updated:
            return UPDATED
        outcome = _create(alert, station_name, now, max_alerts) if updated is False else None
        if outcome is None:
            raise AlertsBusy(alert.user_id)
        return outcome
    return retry_lost_writes(attempt, AlertsBusy, attempts=_ATTEMPTS)


def _update_threshold(alert: Alert, now: datetime) -> bool | None:
    """True if the follow existed and was updated, False if there is none, None when a
    transaction on it was in flight (DynamoDB refuses the write then: try again)."""
    threshold = AlertModel.below_price_fen
    actions = [AlertModel.updated_at.set(now),
               threshold.set(alert.below_price_fen) if alert.below_price_fen is not None
               else threshold.remove()]
    try:
        AlertModel(alert.user_id, entry_of(alert.station_id, alert.grade)).update(
            actions=actions, condition=AlertModel.entry.exists())
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        if error_code(err) == "TransactionConflictException":
            return None
        raise
    return True


def _create(alert: Alert, station_name: str, now: datetime, max_alerts: int) -> str | None:
    """CREATED or LIMIT_REACHED; None when it should be tried again (it appeared meanwhile,
    or another transaction on the user's count was in flight)."""
    model = to_model(SavedAlert(alert, station_name, now, now))
    counter = AlertModel(alert.user_id, COUNT)
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.save(model, condition=AlertModel.entry.does_not_exist())  # reason index 0
            tx.update(counter, actions=[AlertModel.alert_count.add(1)],  # reason index 1
                      condition=AlertModel.alert_count.does_not_exist()
                      | (AlertModel.alert_count < max_alerts))
    except TransactWriteError as err:
        reasons = [r.code if r is not None else None for r in (err.cancellation_reasons or [])]
        if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed" \
                and reasons[0] != "ConditionalCheckFailed":
            return LIMIT_REACHED
        if any(code in ("ConditionalCheckFailed", "TransactionConflict") for code in reasons):
            return None
        raise
    return CREATED


def delete_alert(user_id: str, station_id: str, grade: str) -> bool:
    """Remove a follow and count it out; False when there was no such follow. (Every follow
    was counted when it was created, so the count needs no condition of its own.)"""
    def attempt(_: int) -> bool:
        try:
            with TransactWrite(connection=get_connection()) as tx:
                tx.delete(AlertModel(user_id, entry_of(station_id, grade)),
                          condition=AlertModel.entry.exists())
                tx.update(AlertModel(user_id, COUNT), actions=[AlertModel.alert_count.add(-1)])
        except TransactWriteError as err:
            reasons = [r.code if r is not None else None for r in (err.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if "TransactionConflict" not in reasons:
                raise
            raise AlertsBusy(user_id) from err
        return True
    return retry_lost_writes(attempt, AlertsBusy, attempts=_ATTEMPTS)


def followers_page(station_id: str, grade: str, after_user_id: str | None,
                   limit: int) -> tuple[list[Alert], str | None]:
    """Up to `limit` followers of (station, grade) in user id order, after `after_user_id`,
    and the user id to continue after (None at the end). One Query on the GSI per page."""
    key = follow_key(station_id, grade)
    start = None if after_user_id is None else {
        "follow_key": {"S": key}, "user_id": {"S": after_user_id},
        "entry": {"S": entry_of(station_id, grade)}}
    results = AlertModel.followers.query(key, limit=limit, last_evaluated_key=start)
    followers = [Alert(m.user_id, station_id, grade,
                       None if m.below_price_fen is None else int(m.below_price_fen))
                 for m in results]
    last = results.last_evaluated_key
    return followers, (last["user_id"]["S"] if last and len(followers) >= limit else None)
