"""Station promotions: the three kinds (PROTOCOLS.md), their figures and window, and the words
the station list shows. Which promotion an order gets is decided in pricing.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import FEN_PER_YUAN, yuan_text
from chalicelib.domain.stations.prices import MAX_PRICE_FEN, whole_fen

PER_LITRE_OFF = "per_litre_off"
PER_LITRE_OFF_OVER_AMOUNT = "per_litre_off_over_amount"
AMOUNT_OFF_OVER_AMOUNT = "amount_off_over_amount"
PROMOTION_KINDS = (PER_LITRE_OFF, PER_LITRE_OFF_OVER_AMOUNT, AMOUNT_OFF_OVER_AMOUNT)


@dataclass(frozen=True)
class Promotion:
    id: str
    kind: str
    title: str
    starts_at: datetime  # UTC aware, inclusive
    ends_at: datetime  # UTC aware, exclusive
    station_ids: frozenset[str] | None = None  # None: every station
    grades: frozenset[str] | None = None  # None: every grade
    per_litre_off_fen: int = 0  # Y of 直降 and of 满X每升减Y
    threshold_fen: int = 0  # X of 满X...
    amount_off_fen: int = 0  # Y of 满X减Y

    def __post_init__(self) -> None:
        for name in ("station_ids", "grades"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, frozenset(getattr(self, name)))
        validate_promotion(self)

    def applies(self, station_id: str, grade: str, now: datetime) -> bool:
        return ((self.station_ids is None or station_id in self.station_ids)
                and (self.grades is None or grade in self.grades)
                and self.starts_at <= now < self.ends_at)


_FIGURES_BY_KIND = {  # which of (per_litre_off_fen, threshold_fen, amount_off_fen) a kind uses
    PER_LITRE_OFF: (True, False, False),
    PER_LITRE_OFF_OVER_AMOUNT: (True, True, False),
    AMOUNT_OFF_OVER_AMOUNT: (False, True, True),
}


def validate_promotion(p: Promotion) -> None:
    """Raise InvalidInput for an unknown kind, an empty or reversed window, or bad figures."""
    if p.kind not in _FIGURES_BY_KIND:
        raise InvalidInput(f"unknown promotion kind {p.kind!r}", code="PROMOTION_KIND_UNKNOWN", field="kind")
    times = (p.starts_at, p.ends_at)
    if not all(isinstance(t, datetime) and t.utcoffset() is not None for t in times) or p.ends_at <= p.starts_at:
        raise InvalidInput("the window must end after it starts (aware UTC times)",
                           code="PROMOTION_WINDOW_INVALID", field="ends_at")
    for name in ("station_ids", "grades"):
        if getattr(p, name) == frozenset():
            raise InvalidInput(f"{name} must not be empty; leave it out to mean all",
                               code="PROMOTION_SCOPE_INVALID", field=name)
    figures = (p.per_litre_off_fen, p.threshold_fen, p.amount_off_fen)
    used_right = all(whole_fen(f) and (f > 0) == used for f, used in zip(figures, _FIGURES_BY_KIND[p.kind]))
    absurd = p.per_litre_off_fen >= MAX_PRICE_FEN or 0 < p.threshold_fen <= p.amount_off_fen
    if not used_right or absurd:
        raise InvalidInput(f"figures do not fit a {p.kind} promotion", code="PROMOTION_FIGURE_INVALID")


def short_yuan(fen: int) -> str:
    """Yuan without ".00" when whole: 满200元, 满199.50元."""
    return str(fen // FEN_PER_YUAN) if fen % FEN_PER_YUAN == 0 else yuan_text(fen)


def describe(p: Promotion) -> str:
    """Chinese words for the list, e.g. 直降0.50元/升, 满200元每升减0.30元, 满300元减20元."""
    if p.kind == PER_LITRE_OFF:
        return f"直降{yuan_text(p.per_litre_off_fen)}元/升"
    if p.kind == PER_LITRE_OFF_OVER_AMOUNT:
        return f"满{short_yuan(p.threshold_fen)}元每升减{yuan_text(p.per_litre_off_fen)}元"
    return f"满{short_yuan(p.threshold_fen)}元减{short_yuan(p.amount_off_fen)}元"
