"""Price-drop alerts: a driver follows a station and grade, optionally below a price.

When does a price change alert a follower (should_alert)?
- Without a threshold: when the new price is lower than the old one. A rise or an unchanged
  price never alerts.
- With a threshold T: only when the price crosses below it, that is new < T <= old. A further
  drop while already below T does not alert again (the driver was told when it crossed), and
  neither does a price equal to T ("below" is strict).
- Without an old price (a grade just added, or no price before) nothing has dropped: no alert.

The service raises the two rule violations through check_alert_limit and check_grade_sold;
each is a 422 with its own code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Collection

from chalicelib.domain.errors import InvalidInput, RuleViolation
from chalicelib.domain.stations.prices import MAX_PRICE_FEN, MIN_PRICE_FEN
from chalicelib.domain.stations.stations import GRADE_NAMES

# Enough for every station and grade a driver actually uses, small enough that one user's
# follows stay one cheap query and cannot be used to multiply a fan-out.
MAX_ALERTS_PER_USER = 20
ALERT_LIMIT_REACHED = "ALERT_LIMIT_REACHED"
GRADE_NOT_SOLD = "GRADE_NOT_SOLD"


@dataclass(frozen=True)
class Alert:
    user_id: str
    station_id: str
    grade: str
    below_price_fen: int | None = None  # fen per litre; None: any drop

    def __post_init__(self) -> None:
        validate_alert(self)



@dataclass(frozen=True)
class SavedAlert:
    """An alert as stored, with its station's name when it was saved; the alert routes shape it
    into their answer (api/shapes.py). `created` answers a follow: False when it changed the
    threshold of an existing alert; None in a list."""
    alert: Alert
    station_name: str
    created_at: datetime
    updated_at: datetime
    created: bool | None = None

    @property
    def station_id(self) -> str:
        return self.alert.station_id

    @property
    def grade(self) -> str:
        return self.alert.grade

    @property
    def grade_name(self) -> str:
        return GRADE_NAMES.get(self.alert.grade, self.alert.grade)

    @property
    def below_price_fen(self) -> int | None:
        return self.alert.below_price_fen


def validate_alert(alert: Alert) -> None:
    """InvalidInput for a missing id or grade, or a threshold outside the plausible price range."""
    for name in ("user_id", "station_id", "grade"):
        if not isinstance(getattr(alert, name), str) or not getattr(alert, name):
            raise InvalidInput(f"{name} is required", code="ALERT_FIELD_MISSING", field=name)
    threshold = alert.below_price_fen
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int)
                                  or not MIN_PRICE_FEN <= threshold <= MAX_PRICE_FEN):
        raise InvalidInput(f"below_price_fen must be whole fen per litre in {MIN_PRICE_FEN}..{MAX_PRICE_FEN}",
                           code="ALERT_THRESHOLD_INVALID", field="below_price_fen")


def check_alert_limit(existing_alerts: int) -> None:
    """RuleViolation ALERT_LIMIT_REACHED when a user who has `existing_alerts` may not add one."""
    if existing_alerts >= MAX_ALERTS_PER_USER:
        raise RuleViolation(f"at most {MAX_ALERTS_PER_USER} price alerts per user", code=ALERT_LIMIT_REACHED)


def check_grade_sold(grade: str, grades_sold: Collection[str]) -> None:
    """RuleViolation GRADE_NOT_SOLD when the station does not sell the grade."""
    if grade not in grades_sold:
        raise RuleViolation(f"the station does not sell grade {grade}", code=GRADE_NOT_SOLD, field="grade")


def should_alert(alert: Alert, old_price_fen: int | None, new_price_fen: int) -> bool:
    """True when this price change is news for this follower (rules in the module docstring)."""
    if old_price_fen is None or new_price_fen >= old_price_fen:
        return False
    if alert.below_price_fen is None:
        return True
    return new_price_fen < alert.below_price_fen <= old_price_fen
