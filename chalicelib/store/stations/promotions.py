"""Promotions: one item each in the promotions table, and the document form the station items
carry (a station-scoped promotion is copied onto each of its stations, see station_changes.py).

Chain-wide promotions (station_ids None) are read from the sparse GSI `chain`, sorted by end,
so a search reads the ones not yet ended with one Query; `listing` pages them all for HQ.
"""
from __future__ import annotations

import time
from datetime import datetime

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.domain.stations.promotions import Promotion
from chalicelib.domain import times
from chalicelib.settings import get_settings
from chalicelib.store.base import StageModel

CHAIN = "chain"
LISTING = "all"
# How long a process shows the nearby list the chain-wide promotions it read (see chain_kept)
CHAIN_KEPT_S = 1.0


class ChainIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "chain"
        projection = AllProjection()

    chain_scope = UnicodeAttribute(hash_key=True)
    ends_key = UnicodeAttribute(range_key=True)


class ListingIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "listing"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    ends_key = UnicodeAttribute(range_key=True)


class PromotionModel(StageModel):
    logical_name = "promotions"

    class Meta:
        pass

    promotion_id = UnicodeAttribute(hash_key=True)
    chain_scope = UnicodeAttribute(null=True)  # CHAIN for chain-wide promotions only (sparse)
    listing = UnicodeAttribute(default=LISTING)
    ends_key = UnicodeAttribute()  # ends_at + '#' + id: index order = end order
    chain = ChainIndex()
    every = ListingIndex()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    station_ids = ListAttribute(of=UnicodeAttribute, null=True)
    grades = ListAttribute(of=UnicodeAttribute, null=True)
    per_litre_off_fen = NumberAttribute(default=0)
    threshold_fen = NumberAttribute(default=0)
    amount_off_fen = NumberAttribute(default=0)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


def ends_key(ends_at: datetime, promotion_id: str) -> str:
    return f"{times.iso_z(ends_at)}#{promotion_id}"


def to_doc(p: Promotion) -> dict:
    """The promotion as a plain map (what a station item holds under promotions.<id>)."""
    return {"id": p.id, "kind": p.kind, "title": p.title, "starts_at": times.iso_z(p.starts_at),
            "ends_at": times.iso_z(p.ends_at),
            "station_ids": sorted(p.station_ids) if p.station_ids is not None else None,
            "grades": sorted(p.grades) if p.grades is not None else None,
            "per_litre_off_fen": p.per_litre_off_fen, "threshold_fen": p.threshold_fen,
            "amount_off_fen": p.amount_off_fen}


def from_doc(doc: dict) -> Promotion:
    ids, grades = doc.get("station_ids"), doc.get("grades")
    return Promotion(id=str(doc["id"]), kind=str(doc["kind"]), title=str(doc["title"]),
                     starts_at=times.parse_iso(doc["starts_at"]), ends_at=times.parse_iso(doc["ends_at"]),
                     station_ids=frozenset(ids) if ids is not None else None,
                     grades=frozenset(grades) if grades is not None else None,
                     per_litre_off_fen=int(doc.get("per_litre_off_fen") or 0),
                     threshold_fen=int(doc.get("threshold_fen") or 0),
                     amount_off_fen=int(doc.get("amount_off_fen") or 0))


def to_model(p: Promotion, created_by: str, created_at: datetime) -> PromotionModel:
    doc = to_doc(p)
    return PromotionModel(
        p.id, chain_scope=CHAIN if p.station_ids is None else None,
        ends_key=ends_key(p.ends_at, p.id), kind=p.kind, title=p.title,
        starts_at=doc["starts_at"], ends_at=doc["ends_at"], station_ids=doc["station_ids"],
        grades=doc["grades"], per_litre_off_fen=p.per_litre_off_fen,
        threshold_fen=p.threshold_fen, amount_off_fen=p.amount_off_fen,
        created_by=created_by, created_at=times.iso_z(created_at))


def from_model(model: PromotionModel) -> Promotion:
    return from_doc({"id": model.promotion_id, "kind": model.kind, "title": model.title,
                     "starts_at": model.starts_at, "ends_at": model.ends_at,
                     "station_ids": model.station_ids, "grades": model.grades,
                     "per_litre_off_fen": model.per_litre_off_fen,
                     "threshold_fen": model.threshold_fen, "amount_off_fen": model.amount_off_fen})


def get_promotion(promotion_id: str) -> Promotion | None:
    return PromotionModel.get_or_none(promotion_id, from_model)


def chain_promotions_not_ended(now: datetime) -> list[Promotion]:
    """Chain-wide promotions whose window has not closed at `now` (one Query, usually one page)."""
    after = times.iso_z(now) + "#\uffff"  # ends_at > now (ends_at is exclusive)
    return [from_model(m) for m in PromotionModel.chain.query(
        CHAIN, PromotionModel.ends_key > after)]


# table -> (monotonic time read, the `now` read for, what it read); one assignment replaces a
# read whole, so a search never sees half of one.
_chain_kept: dict[str, tuple[float, datetime, list[Promotion]]] = {}


def chain_kept(now: datetime) -> list[Promotion]:
    """chain_promotions_not_ended(now), from this process's read of it when that read is under
    CHAIN_KEPT_S old and was for a moment no later than `now`; else read now and kept.

    For the nearby list only: a search otherwise sends this Query beside its index queries, and
    on a busy process it competes with them for the interpreter and the engine (about 1.6 ms of
    a 3 km search). Ended promotions still drop out at `now` (the kept read holds a superset);
    what may show up to CHAIN_KEPT_S late is a promotion created or deleted by another process,
    no later than it could anyway between a driver's list and the order placed from it (the
    order prices with a fresh read and checks its promotions in its transaction). This process's
    own writes (store/stations/changes.py) drop the kept read at once."""
    table = get_settings().table_name(PromotionModel.logical_name)
    kept = _chain_kept.get(table)
    if kept is not None and time.monotonic() - kept[0] < CHAIN_KEPT_S and kept[1] <= now:
        return [p for p in kept[2] if p.ends_at > now]
    read_at = time.monotonic()
    promotions = chain_promotions_not_ended(now)
    _chain_kept[table] = (read_at, now, promotions)
    return promotions


def forget_chain_kept() -> None:
    """Drop the kept read (this process wrote or deleted a promotion; and tests)."""
    _chain_kept.clear()


def promotions_not_ended(now: datetime, after_key: str | None, limit: int) -> list[Promotion]:
    """Every promotion not yet ended, in end order, after the `after_key` of a previous page."""
    floor = times.iso_z(now) + "#\uffff"
    start = max(floor, after_key) if after_key else floor
    return [from_model(m) for m in PromotionModel.every.query(
        LISTING, PromotionModel.ends_key > start, limit=limit)]


def stage_still_offered(tx, promotion_id: str) -> None:
    """Inside an order's transaction: the chain-wide promotion its quote applied still exists
    (a promotion is never edited, only created or deleted), or the transaction is cancelled."""
    tx.condition_check(PromotionModel, promotion_id,
                       condition=PromotionModel.promotion_id.exists())
