"""Price-drop alerts: a driver follows a station and grade; a price drop there reaches each
follower as one subscribe message, fanned out off the request path.

1. station_admin.update_prices writes, in the transaction of the new prices, ONE outbox message
   (price_drop_messages) of {station_id, station_name, changed_at, changes: [{grade,
   old_price_fen, new_price_fen}]} listing the grades whose pump price fell (none when none
   fell), and sends it once they are committed; should SQS fail, the outbox sweeper sends it
   later (services/outbox), so a drop is announced late but never lost.
2. The fan-out consumer (jobs/alerts.py) calls fan_out once per message. It reads ONE page of
   the first change's followers (settings.alert_fanout_page_size, one Query on the GSI), hands
   the notifier a price_drop event for each follower should_alert picks, and then puts ONE
   continuation message with the rest of the work: the same change after the page's last user
   id, or the next change. A message never costs more than one page of events, however many
   followers there are: 100,000 followers are 100 messages handled one after the other.
3. Each event id is "drop:<station>:<grade>:<changed_at>:<user>", so a redelivered message
   (or a continuation put twice) hands over the same ids and the notifier sends each once.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.notifications.price_alerts import (
    MAX_ALERTS_PER_USER, Alert, SavedAlert, check_alert_limit, check_grade_sold, should_alert)
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.outbox.messages import OutboxMessage, OutboxQueue, new_message
from chalicelib.domain.stations.stations import GRADE_NAMES
from chalicelib.domain import times
from chalicelib.settings import get_settings
from chalicelib.store.notifications import alerts as alert_store
from chalicelib.store.stations import stations as station_store

PRICE_DROP = "price_drop"


def create_alert(user_id: str, station_id: str, grade: str, below_price_fen: int | None,
                 now: datetime | None = None) -> SavedAlert:
    """Follow (station, grade), or change the threshold of an existing follow."""
    if grade not in GRADE_NAMES:
        raise InvalidInput(f"unknown grade {grade!r}", code="UNKNOWN_GRADE", field="grade")
    alert = Alert(user_id, station_id, grade, below_price_fen)
    station = station_store.read_station(station_id) if _plausible(station_id) else None
    if station is None:
        raise NotFound(f"no station {station_id}", code="STATION_NOT_FOUND")
    check_grade_sold(grade, [g.grade for g in station.grades])
    now = now or times.now()
    try:
        outcome = alert_store.save_alert(alert, station.name, now, MAX_ALERTS_PER_USER)
    except alert_store.AlertsBusy as err:
        raise Conflict("your alerts kept changing; try again", code="ALERTS_BUSY") from err
    if outcome == alert_store.LIMIT_REACHED:
        check_alert_limit(MAX_ALERTS_PER_USER)
    if outcome == alert_store.CREATED:
        return SavedAlert(alert, station.name, now, now, created=True)
    stored = next((s for s in alert_store.alerts_of(user_id)
                   if (s.alert.station_id, s.alert.grade) == (station_id, grade)),
                  SavedAlert(alert, station.name, now, now))
    return replace(stored, created=False)


def list_alerts(user_id: str) -> dict:
    """All of the user's follows (at most MAX_ALERTS_PER_USER: one page)."""
    return {"items": alert_store.alerts_of(user_id), "next_cursor": None}


def delete_alert(user_id: str, station_id: str, grade: str) -> None:
    try:
        removed = _plausible(station_id) and _plausible(grade) and \
            alert_store.delete_alert(user_id, station_id, grade)
    except alert_store.AlertsBusy as err:
        raise Conflict("your alerts kept changing; try again", code="ALERTS_BUSY") from err
    if not removed:
        raise NotFound(f"no alert for {station_id} {grade}", code="ALERT_NOT_FOUND")


# --- fan-out ----------------------------------------------------------------------------------

def price_drop_messages(change, station_name: str) -> list[OutboxMessage]:
    """The fan-out's outbox message of a price change (store.price_history.PriceChange) about to
    be written: one listing the grades whose pump price fell, none when none fell."""
    drops = [{"grade": g.grade, "old_price_fen": g.old_pump_price_fen,
              "new_price_fen": g.new_pump_price_fen}
             for g in change.grades if g.new_pump_price_fen < g.old_pump_price_fen]
    if not drops:
        return []
    message = {"station_id": change.station_id, "station_name": station_name,
               "changed_at": times.iso_z(change.changed_at, micro=True), "changes": drops}
    return [new_message(OutboxQueue.ALERT_FANOUT, _fan_out_body(message), times.now())]


def fan_out(message: dict) -> int:
    """Handle one fan-out message (see the module docstring); returns events handed over."""
    station_id, changes, after = message["station_id"], message["changes"], message.get("after")
    if not changes:
        return 0
    change = changes[0]
    followers, next_after = alert_store.followers_page(
        station_id, change["grade"], after, get_settings().alert_fanout_page_size)
    events = [_event(message, change, f.user_id) for f in followers
              if should_alert(f, change["old_price_fen"], change["new_price_fen"])]
    if events:
        from chalicelib.services.notifications import events as notifications  # the notifier's intake

        page = notifications.STATION_PAGE.format(station_id)
        notifications.enqueue([{**event, "page": page} for event in events])
    rest = changes if next_after is not None else changes[1:]
    if rest:
        _send({**message, "changes": rest, "after": next_after})
    return len(events)


def _event(message: dict, change: dict, user_id: str) -> dict:
    grade = change["grade"]
    return {"kind": PRICE_DROP, "user_id": user_id,
            "event_id": f"drop:{message['station_id']}:{grade}:{message['changed_at']}:{user_id}",
            "data": {"station": message["station_name"], "grade": GRADE_NAMES.get(grade, grade),
                     "new_price": change["new_price_fen"], "time": message["changed_at"]}}


def _send(body: dict) -> None:
    from chalicelib.providers.queues import alert_fanout_queue_url, get_sqs

    get_sqs().send_message(QueueUrl=alert_fanout_queue_url(), MessageBody=_fan_out_body(body))


def _fan_out_body(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _plausible(key: str) -> bool:
    return 0 < len(key) <= 64 and key.isprintable() and "#" not in key
