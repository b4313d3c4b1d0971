"""Price history: one item per price change of a station (who, when, each grade's old and new
prices), written in the same transaction as the new prices (station_changes.change_prices)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain import times
from chalicelib.store.base import StageModel


@dataclass(frozen=True)
class GradeChange:
    grade: str
    old_guide_price_fen: int
    old_pump_price_fen: int
    new_guide_price_fen: int
    new_pump_price_fen: int
    old_member_prices: Mapping[str, int] = field(default_factory=dict)  # level -> fen/L
    new_member_prices: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PriceChange:
    station_id: str
    version: int  # the station's version after the change
    changed_at: datetime
    changed_by: str  # staff id
    role: str
    grades: tuple[GradeChange, ...]
    # The staff member's name when they made the change (None on changes recorded before names
    # were kept): a history reads as it happened, whatever the account is called later.
    changed_by_name: str | None = None


class PriceChangeModel(StageModel):
    logical_name = "price-history"

    class Meta:
        pass

    station_id = UnicodeAttribute(hash_key=True)
    change_key = UnicodeAttribute(range_key=True)  # changed_at + '#' + version (10 digits)
    version = NumberAttribute()
    changed_at = UnicodeAttribute()
    changed_by = UnicodeAttribute()
    changed_by_name = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    grades = ListAttribute(of=MapAttribute)


def to_model(change: PriceChange) -> PriceChangeModel:
    return PriceChangeModel(
        change.station_id, f"{times.iso_z(change.changed_at, micro=True)}#{change.version:010d}",
        version=change.version, changed_at=times.iso_z(change.changed_at, micro=True),
        changed_by=change.changed_by, changed_by_name=change.changed_by_name, role=change.role,
        grades=[{"grade": g.grade, "old_guide": g.old_guide_price_fen,
                 "old_pump": g.old_pump_price_fen, "new_guide": g.new_guide_price_fen,
                 "new_pump": g.new_pump_price_fen, "old_member": dict(g.old_member_prices),
                 "new_member": dict(g.new_member_prices)} for g in change.grades])


def _from_model(model: PriceChangeModel) -> PriceChange:
    def plain(entry):
        return entry.as_dict() if isinstance(entry, MapAttribute) else entry
    return PriceChange(
        station_id=model.station_id, version=int(model.version),
        changed_at=datetime.strptime(model.changed_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        .replace(tzinfo=timezone.utc),
        changed_by=model.changed_by, role=model.role,
        grades=tuple(GradeChange(str(e["grade"]), int(e["old_guide"]), int(e["old_pump"]),
                                 int(e["new_guide"]), int(e["new_pump"]),
                                 _levels(e.get("old_member")), _levels(e.get("new_member")))
                     for e in map(plain, model.grades)),
        changed_by_name=model.changed_by_name)


def _levels(stored) -> dict[str, int]:
    """Member prices as stored (absent on changes made before member prices existed)."""
    return {str(k): int(v) for k, v in (stored or {}).items()}


def price_history(station_id: str, limit: int = 50) -> list[PriceChange]:
    """The station's most recent price changes, newest first."""
    return [_from_model(m) for m in PriceChangeModel.query(
        station_id, scan_index_forward=False, limit=limit, consistent_read=True)]
