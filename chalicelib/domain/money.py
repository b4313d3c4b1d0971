"""Money is integer fen, volume integer millilitres, prices fen per litre.

`div_round_half_up` is the one place where a quotient of money is rounded.
"""
from __future__ import annotations

FEN_PER_YUAN = 100
ML_PER_LITRE = 1000


def div_round_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounding halves away from zero, e.g. 5/2 -> 3, -5/2 -> -3."""
    if denominator == 0:
        raise ZeroDivisionError("denominator is zero")
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def yuan_text(fen: int) -> str:
    """Human text for an amount, e.g. 12345 -> '123.45'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // FEN_PER_YUAN}.{fen % FEN_PER_YUAN:02d}"
