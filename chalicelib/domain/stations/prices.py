"""Pump and guide prices of a grade, and the bounds any price typed by staff must keep."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from chalicelib.domain.errors import InvalidInput

# Chinese retail fuel has sold between about 5 and 10 yuan/L; 1..30 yuan/L catches typos
# (a price typed in yuan, or with a digit too many) and leaves room for any grade sold.
MIN_PRICE_FEN, MAX_PRICE_FEN = 100, 3000


@dataclass(frozen=True)
class GradePrice:
    grade: str
    guide_price_fen: int
    pump_price_fen: int
    member_prices: Mapping[str, int] = field(default_factory=dict)  # member level -> fen/L


def whole_fen(fen: int) -> bool:
    """A whole number of fen, not negative (a bool is not a number here)."""
    return isinstance(fen, int) and not isinstance(fen, bool) and fen >= 0


def validate_price(guide_price_fen: int, pump_price_fen: int) -> None:
    """Raise InvalidInput PRICE_INVALID unless both are integers in MIN_PRICE_FEN..MAX_PRICE_FEN."""
    for name, fen in (("guide_price_fen", guide_price_fen), ("pump_price_fen", pump_price_fen)):
        if not whole_fen(fen) or not MIN_PRICE_FEN <= fen <= MAX_PRICE_FEN:
            raise InvalidInput(f"{name} must be {MIN_PRICE_FEN}..{MAX_PRICE_FEN} fen per litre",
                               code="PRICE_INVALID", field=name)
