"""Home popups and banners: the table `popups` (see infra/template.yaml; who saw what is
store/marketing/popup_views.py).

Part "popup" is the definition (domain Popup + what the card shows + status), parts
"stats#<n>" hold shown/clicked counters spread over STATS_SHARDS items, because every home view
of a busy popup adds to them and one item takes only so many writes a second. Definitions
carry listing/ends_key, so the GSI by-end lists the popups not yet ended with one Query.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain.marketing.states import PopupState
from chalicelib.domain.marketing.targeting import Popup, rule_from_dict, rule_to_dict
from chalicelib.domain import times
from chalicelib.store.base import StageModel, error_code

DEFINITION, LISTING, STATS_SHARDS = "popup", "popups", 8
ACTIVE, PAUSED, ENDED = tuple(PopupState)


class ByEndIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-end"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    ends_key = UnicodeAttribute(range_key=True)


class PopupModel(StageModel):
    logical_name = "popups"

    class Meta:
        pass

    popup_id = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)
    listing = UnicodeAttribute(null=True)
    ends_key = UnicodeAttribute(null=True)  # ends_at + '#' + id
    by_end = ByEndIndex()
    placement = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    image_url = UnicodeAttribute(null=True)
    link = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute(null=True)
    ends_at = UnicodeAttribute(null=True)
    priority = NumberAttribute(null=True)
    frequency = UnicodeAttribute(null=True)
    rules = UnicodeAttribute(null=True)  # JSON list of rule_to_dict
    status = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    shown = NumberAttribute(null=True)  # stats parts only
    clicked = NumberAttribute(null=True)


@dataclass(frozen=True)
class PopupRecord:
    popup: Popup  # paused is True unless status is ACTIVE
    title: str
    image_url: str
    link: str | None
    status: PopupState
    created_by: str
    created_at: datetime
    shown: int = 0
    clicked: int = 0


def ends_key(ends_at: datetime, popup_id: str) -> str:
    return f"{times.iso_z(ends_at)}#{popup_id}"


def _to_model(r: PopupRecord) -> PopupModel:
    p = r.popup
    return PopupModel(p.id, DEFINITION, listing=LISTING, ends_key=ends_key(p.ends_at, p.id),
                      placement=p.placement, title=r.title, image_url=r.image_url, link=r.link,
                      starts_at=times.iso_z(p.starts_at), ends_at=times.iso_z(p.ends_at), priority=p.priority,
                      frequency=p.frequency, rules=json.dumps([rule_to_dict(x) for x in p.rules]),
                      status=r.status, created_by=r.created_by, created_at=r.created_at,
                      updated_at=r.created_at)


def _to_record(m: PopupModel) -> PopupRecord:
    popup = Popup(id=m.popup_id, starts_at=times.parse_iso(m.starts_at), ends_at=times.parse_iso(m.ends_at),
                  priority=int(m.priority or 0), frequency=m.frequency,
                  rules=tuple(rule_from_dict(d) for d in json.loads(m.rules or "[]")),
                  placement=m.placement, paused=m.status != ACTIVE)
    return PopupRecord(popup, m.title, m.image_url, m.link, PopupState(m.status), m.created_by,
                       m.created_at)


def create_popup(record: PopupRecord) -> bool:
    """False when the id is taken (nothing is written then)."""
    try:
        _to_model(record).save(condition=PopupModel.popup_id.does_not_exist())
    except PutError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_popup(popup_id: str) -> PopupRecord | None:
    try:
        return _to_record(PopupModel.get(popup_id, DEFINITION, consistent_read=True))
    except PopupModel.DoesNotExist:
        return None


def popups_not_ended(now: datetime) -> list[PopupRecord]:
    """Every popup and banner whose window has not closed (paused and ended ones included)."""
    return [_to_record(m) for m in PopupModel.by_end.query(LISTING, PopupModel.ends_key > times.iso_z(now))]


def page_popups(after_key: str | None, limit: int) -> tuple[list[PopupRecord], str | None]:
    """All popups, latest end first; the ends_key to continue after, or None at the end."""
    condition = PopupModel.ends_key < after_key if after_key else None
    found = [_to_record(m) for m in PopupModel.by_end.query(
        LISTING, condition, scan_index_forward=False, limit=limit + 1)]
    page = found[:limit]
    following = ends_key(page[-1].popup.ends_at, page[-1].popup.id) if len(found) > limit else None
    return page, following


def change_status(popup_id: str, from_statuses: tuple[str, ...], to_status: str,
                  now: datetime) -> bool:
    """Move a popup whose window is still open from one of `from_statuses` to `to_status`;
    False when it is not in such a state (or does not exist)."""
    try:
        PopupModel(popup_id, DEFINITION).update(
            actions=[PopupModel.status.set(to_status), PopupModel.updated_at.set(now)],
            condition=PopupModel.status.is_in(*from_statuses) & (PopupModel.ends_at > times.iso_z(now)))
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def count(popup_id: str, field: str) -> None:
    """Add one to `shown` or `clicked` on a random stats shard (an atomic ADD)."""
    attribute = {"shown": PopupModel.shown, "clicked": PopupModel.clicked}[field]
    PopupModel(popup_id, f"stats#{random.randrange(STATS_SHARDS)}").update(
        actions=[attribute.add(1)])


def with_stats(record: PopupRecord) -> PopupRecord:
    """The record with its counters summed over the shards (one Query)."""
    shown = clicked = 0
    for m in PopupModel.query(record.popup.id, PopupModel.part.startswith("stats#")):
        shown += int(m.shown or 0)
        clicked += int(m.clicked or 0)
    return replace(record, shown=shown, clicked=clicked)
