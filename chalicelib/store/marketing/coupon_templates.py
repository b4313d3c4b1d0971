"""Coupon templates: the table `fuel-<stage>-coupon-templates` and its two indexes.

Indexes:
- `by-status` (status, ends_key = "<ends_at>#<template_id>"): the ACTIVE templates whose claim
  window has not ended, read by the coupon centre with one query (never a scan); ENDED and
  PAUSED templates sit in other partitions, and ended windows sort before `now`.
- `listing` (one constant key, created_key = "<created_at to the microsecond>#<template_id>"):
  every template, newest first, for marketing staff. Templates are few (hundreds), so one
  partition holds them.

The definition never changes after creation; `status` moves by conditional writes, and `issued`
only grows, inside the claim's transaction (store/marketing/coupon_claims.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.attributes import (NumberAttribute, UnicodeAttribute, UnicodeSetAttribute,
                                 UTCDateTimeAttribute)
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain.marketing.coupons import PUBLIC, CouponTemplate
from chalicelib.domain.marketing.states import TemplateStatus
from chalicelib.domain import times
from chalicelib.store.base import StageModel, error_code
from chalicelib.store.stations.stations import StationModel

ACTIVE, PAUSED, ENDED = tuple(TemplateStatus)
STATUSES = tuple(TemplateStatus)
LISTING = "ALL"
MAX_CLAIMABLE = 100  # the coupon centre shows at most this many templates, ending soonest first


class _ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    ends_key = UnicodeAttribute(range_key=True)


class _Listing(GlobalSecondaryIndex):
    class Meta:
        index_name = "listing"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class CouponTemplateModel(StageModel):
    logical_name = "coupon-templates"

    class Meta:
        pass

    template_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    total_stock = NumberAttribute()
    per_user_limit = NumberAttribute()
    amount_off_fen = NumberAttribute(default=0)
    per_litre_off_fen = NumberAttribute(default=0)
    min_spend_fen = NumberAttribute(default=0)
    station_ids = UnicodeSetAttribute(null=True)
    grades = UnicodeSetAttribute(null=True)
    valid_days = NumberAttribute(null=True)
    issued = NumberAttribute(default=0)
    audience = UnicodeAttribute(null=True)  # absent on templates older than audiences: public
    status = UnicodeAttribute()
    ends_key = UnicodeAttribute()
    listing = UnicodeAttribute(default=LISTING)
    created_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    status_changed_at = UTCDateTimeAttribute(null=True)

    by_status = _ByStatus()
    by_listing = _Listing()


@dataclass(frozen=True)
class StoredTemplate:
    """A template with what only the store knows: its status and who created it when."""
    template: CouponTemplate
    status: TemplateStatus
    created_at: datetime
    created_by: str


def to_template(m: CouponTemplateModel) -> CouponTemplate:
    return CouponTemplate(
        id=m.template_id, kind=m.kind, title=m.title, starts_at=m.starts_at, ends_at=m.ends_at,
        total_stock=int(m.total_stock), per_user_limit=int(m.per_user_limit),
        amount_off_fen=int(m.amount_off_fen or 0), per_litre_off_fen=int(m.per_litre_off_fen or 0),
        min_spend_fen=int(m.min_spend_fen or 0),
        station_ids=frozenset(m.station_ids) if m.station_ids else None,
        grades=frozenset(m.grades) if m.grades else None,
        valid_days=int(m.valid_days) if m.valid_days is not None else None,
        issued=int(m.issued or 0), audience=m.audience or PUBLIC)


def _stored(m: CouponTemplateModel) -> StoredTemplate:
    return StoredTemplate(to_template(m), TemplateStatus(m.status), m.created_at, m.created_by)


def put_template(t: CouponTemplate, created_by: str, now: datetime) -> None:
    """Store a new template, ACTIVE; its id must be new (a fresh id per creation)."""
    CouponTemplateModel(
        t.id, kind=t.kind, title=t.title, starts_at=t.starts_at, ends_at=t.ends_at,
        total_stock=t.total_stock, per_user_limit=t.per_user_limit, amount_off_fen=t.amount_off_fen,
        per_litre_off_fen=t.per_litre_off_fen, min_spend_fen=t.min_spend_fen,
        station_ids=set(t.station_ids) if t.station_ids else None,
        grades=set(t.grades) if t.grades else None, valid_days=t.valid_days, issued=0,
        audience=t.audience, status=ACTIVE, ends_key=f"{times.iso_z(t.ends_at)}#{t.id}",
        created_key=f"{now.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S.%f}Z#{t.id}",
        created_at=now, created_by=created_by,
    ).save(condition=CouponTemplateModel.template_id.does_not_exist())


def get_template(template_id: str) -> StoredTemplate | None:
    """The template as stored now (strongly consistent), or None."""
    return CouponTemplateModel.get_or_none(template_id, _stored)


def list_claimable_templates(now: datetime) -> list[CouponTemplate]:
    """Public ACTIVE templates whose claim window holds `now` and that have stock left, ending soonest
    first (at most MAX_CLAIMABLE): one query of `by-status`; window start and stock are filters
    on the few templates that are ACTIVE and not yet ended."""
    M = CouponTemplateModel
    found = M.by_status.query(
        ACTIVE, M.ends_key > times.iso_z(now),
        filter_condition=(M.starts_at <= now) & (M.ends_at > now) & (M.issued < M.total_stock)
        & (M.audience.does_not_exist() | (M.audience == PUBLIC)),
        limit=MAX_CLAIMABLE)
    return [to_template(m) for m in found]


def list_templates(status: str | None, limit: int,
                   after: str | None) -> tuple[list[StoredTemplate], str | None]:
    """Every template (or those in one status), newest first; `after` is the created_key the
    previous page ended on. Returns the page and the key to pass next (None at the end)."""
    M = CouponTemplateModel
    start = {"template_id": {"S": after.rpartition("#")[2]}, "listing": {"S": LISTING},
             "created_key": {"S": after}} if after else None
    results = M.by_listing.query(
        LISTING, scan_index_forward=False, limit=limit, last_evaluated_key=start,
        filter_condition=(M.status == status) if status else None)
    page = [_stored(m) for m in results]
    last = results.last_evaluated_key
    return page, (last["created_key"]["S"] if last else None)


def change_status(template_id: str, allowed_from: tuple[str, ...], to: str, now: datetime) -> bool:
    """Move the template to `to` if its status is one of `allowed_from`; False otherwise
    (including when it does not exist)."""
    M = CouponTemplateModel
    try:
        M(template_id).update(actions=[M.status.set(to), M.status_changed_at.set(now)],
                              condition=M.template_id.exists() & M.status.is_in(*allowed_from))
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def station_grades(station_ids: list[str]) -> dict[str, set[str]]:
    """The grades each existing station sells (one BatchGetItem per 100, two attributes each);
    a station that does not exist is absent from the answer."""
    found = {}
    for m in StationModel.batch_get(station_ids, attributes_to_get=["station_id", "grades"]):
        grades = m.grades.as_dict() if hasattr(m.grades, "as_dict") else (m.grades or {})
        found[m.station_id] = set(grades)
    return found
