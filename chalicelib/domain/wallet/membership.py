"""Member levels from the last 12 months' spend.

Spend is what orders charged in money (WeChat Pay or the balance) once confirmed FUELLED, less
what was refunded, inside the window [the same instant 12 calendar months ago, now] (29 Feb
looks back to 28 Feb). A level is held while the rolling spend reaches its threshold, so a
level can fall as old orders leave the window; below the first threshold there is no level
(None). The member price of a level is GradePrice.member_prices[level], applied by
pricing.quote for the list and the order alike.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import InvalidInput


@dataclass(frozen=True)
class Level:
    name: str
    min_spend_fen: int  # over the last 12 months


# A car that fills up twice a month spends roughly 6,000-10,000 yuan a year.
DEFAULT_LEVELS = (Level("silver", 100_000), Level("gold", 300_000), Level("platinum", 800_000))


def validate_levels(levels: Sequence[Level]) -> None:
    """Raise InvalidInput LEVELS_INVALID unless names are unique and thresholds rise from >= 1 fen."""
    names = [level.name for level in levels]
    thresholds = [level.min_spend_fen for level in levels]
    whole = all(isinstance(t, int) and not isinstance(t, bool) and t >= 1 for t in thresholds)
    rising = all(a < b for a, b in zip(thresholds, thresholds[1:]))
    if not levels or not whole or not rising or len(set(names)) != len(names) or not all(names):
        raise InvalidInput("levels need unique names and rising thresholds of at least 1 fen",
                           code="LEVELS_INVALID")


def level_for(spend_fen: int, levels: Sequence[Level] = DEFAULT_LEVELS) -> str | None:
    """The highest level whose threshold the spend reaches, or None."""
    reached = [level.name for level in levels if spend_fen >= level.min_spend_fen]
    return reached[-1] if reached else None


def next_level(spend_fen: int, levels: Sequence[Level] = DEFAULT_LEVELS) -> tuple[str, int] | None:
    """(name, fen still to spend) of the next level up, or None at the top."""
    for level in levels:
        if spend_fen < level.min_spend_fen:
            return level.name, level.min_spend_fen - spend_fen
    return None


def window_start(now: datetime) -> datetime:
    """The same instant 12 calendar months before now."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 1, day=28)


def rolling_spend(movements: Iterable[tuple[datetime, int]], now: datetime) -> int:
    """Sum of (at, fen) movements in the window (orders positive, refunds negative), at least 0."""
    start = window_start(now)
    return max(sum(fen for at, fen in movements if start <= at <= now), 0)
