"""Points: earning, redemption at order time, lots that expire, and return on refund.

Earning: earn_points for every whole earn_per_fen the order charged in money (WeChat Pay or
the balance, paid and bonus money alike: what is left after promotion, coupon and points),
rounded down; default 1 point per whole yuan, so 199.99 yuan earns 199 points.

Redemption: redeem_points are worth redeem_fen (default 100 points = 1 yuan, 1 point = 1 fen).
A redemption must be a whole multiple of `step` (the fewest points worth a whole fen), so its
value is exact and never rounded: POINTS_NOT_A_MULTIPLE otherwise. Its value may be at most
max_share_percent (default 50) of the amount left after the promotion and the coupon, rounded
down (a share limit is never exceeded), and always leaves at least 1 fen to pay:
POINTS_OVER_LIMIT beyond that, POINTS_INSUFFICIENT beyond the unexpired points held.

Lots: each earning is a lot with its own expiry, fixed when earned (earned_at + lifetime_days)
so a later change of the lifetime moves no existing expiry. A lot expires at expires_at
(expired when now >= expires_at). Redemptions take the soonest-expiring lots first, which is
oldest first (FIFO) while the lifetime is unchanged.

Return on refund: of p fen paid, a refund bringing the refunded total to R returns
round_half_up(redeemed * R / p) points in total, so the figure of each refund is that total less
what earlier refunds returned: never more than redeemed, all of it on a full refund. The points
come back to the lots they were taken from, last taken first, with the expiry they had: a refund
restores what the redemption took, neither extending nor shortening any point's life.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from math import gcd

from chalicelib.domain.errors import InvalidInput, RuleViolation
from chalicelib.domain.money import div_round_half_up


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


@dataclass(frozen=True)
class PointsRules:
    earn_points: int = 1  # points earned ...
    earn_per_fen: int = 100  # ... for every whole this many fen paid
    redeem_points: int = 100  # this many points ...
    redeem_fen: int = 100  # ... are worth this many fen
    max_share_percent: int = 50  # of the amount after promotion and coupon
    lifetime_days: int = 365

    def __post_init__(self) -> None:
        figures = (self.earn_points, self.earn_per_fen, self.redeem_points, self.redeem_fen, self.lifetime_days)
        if not all(_whole(f, 1) for f in figures) or not (_whole(self.max_share_percent, 0)
                                                           and self.max_share_percent <= 100):
            raise InvalidInput("points rules need positive integers and a share of 0..100%",
                               code="POINTS_RULES_INVALID")

    @property
    def step(self) -> int:
        return self.redeem_points // gcd(self.redeem_points, self.redeem_fen)


DEFAULT_RULES = PointsRules()


@dataclass(frozen=True)
class Lot:
    ref: str  # the order that earned the points
    earned_at: datetime
    expires_at: datetime
    points: int  # still unspent


def points_earned(paid_fen: int, rules: PointsRules = DEFAULT_RULES) -> int:
    return max(paid_fen, 0) // rules.earn_per_fen * rules.earn_points


def earn(ref: str, paid_fen: int, now: datetime, rules: PointsRules = DEFAULT_RULES) -> Lot | None:
    """The lot an order confirmed FUELLED earns, or None when it earns nothing."""
    points = points_earned(paid_fen, rules)
    return Lot(ref, now, now + timedelta(days=rules.lifetime_days), points) if points else None


def check_points(points: object) -> int:
    if not _whole(points, 0):
        raise InvalidInput("points must be a non-negative integer", code="POINTS_INVALID", field="points")
    return points


def redemption_cap_fen(base_fen: int, rules: PointsRules = DEFAULT_RULES) -> int:
    return max(min(base_fen * rules.max_share_percent // 100, base_fen - 1), 0)


def redeem_value(points: int, *, base_fen: int, rules: PointsRules = DEFAULT_RULES,
                 available: int | None = None) -> int:
    """Fen that `points` take off an amount of base_fen, or the rule's error (0 points: 0 fen)."""
    check_points(points)
    if points % rules.step:
        raise InvalidInput(f"points are redeemed in multiples of {rules.step}",
                           code="POINTS_NOT_A_MULTIPLE", field="points")
    if available is not None and points > available:
        raise RuleViolation(f"{available} points are available", code="POINTS_INSUFFICIENT", field="points")
    value = points * rules.redeem_fen // rules.redeem_points
    if value > redemption_cap_fen(base_fen, rules):
        raise RuleViolation(f"points may pay at most {redemption_cap_fen(base_fen, rules)} fen of this order",
                            code="POINTS_OVER_LIMIT", field="points")
    return value


def max_redeemable(base_fen: int, available: int, rules: PointsRules = DEFAULT_RULES) -> int:
    """The most points an order of base_fen can take from `available` (for the order screen)."""
    by_cap = redemption_cap_fen(base_fen, rules) * rules.redeem_points // rules.redeem_fen
    return min(by_cap, available) // rules.step * rules.step


def live_lots(lots: Iterable[Lot], now: datetime) -> list[Lot]:
    """Unexpired lots with points, soonest expiry first (the order they are spent in)."""
    return sorted((lot for lot in lots if lot.points > 0 and now < lot.expires_at),
                  key=lambda lot: (lot.expires_at, lot.earned_at, lot.ref))


def available_points(lots: Iterable[Lot], now: datetime) -> int:
    return sum(lot.points for lot in live_lots(lots, now))


def expire(lots: Iterable[Lot], now: datetime) -> int:
    """Points in lots whose expiry has come: the amount of the points_expired entry."""
    return sum(lot.points for lot in lots if now >= lot.expires_at)


def spend_lots(lots: Iterable[Lot], points: int, now: datetime) -> tuple[list[Lot], list[Lot]]:
    """(lots left, parts taken) after taking `points`, soonest-expiring first.

    Lots left keeps expired lots untouched: only expire() and its points_expired entry remove them.
    """
    check_points(points)
    lots = list(lots)
    live = live_lots(lots, now)
    if points > sum(lot.points for lot in live):
        raise RuleViolation(f"{sum(lot.points for lot in live)} points are available",
                            code="POINTS_INSUFFICIENT", field="points")
    left = [lot for lot in lots if lot.points > 0 and now >= lot.expires_at]
    taken, wanted = [], points
    for lot in live:
        part = min(lot.points, wanted)
        wanted -= part
        if part:
            taken.append(replace(lot, points=part))
        if lot.points > part:
            left.append(replace(lot, points=lot.points - part))
    return left, taken


def points_returned(redeemed: int, paid_fen: int, refunded_fen: int) -> int:
    """Points returned in total once refunded_fen of paid_fen have been refunded."""
    if not (_whole(paid_fen, 1) and 0 <= refunded_fen <= paid_fen):
        raise RuleViolation("a refund cannot exceed what the order paid", code="REFUND_EXCEEDS_PAID")
    return div_round_half_up(redeemed * refunded_fen, paid_fen)


def return_lots(taken: list[Lot], paid_fen: int, refunded_before_fen: int, refund_fen: int) -> list[Lot]:
    """The lot parts a refund gives back: the slice of `taken` (in spend order) it now covers."""
    if not _whole(refund_fen, 1):
        raise InvalidInput("refund_fen must be a positive integer of fen", code="AMOUNT_INVALID", field="refund_fen")
    redeemed = sum(lot.points for lot in taken)
    before = points_returned(redeemed, paid_fen, refunded_before_fen)
    after = points_returned(redeemed, paid_fen, refunded_before_fen + refund_fen)
    start, stop = redeemed - after, redeemed - before  # returned points are the last ones taken
    parts, position = [], 0
    for lot in taken:
        lo, hi = max(start, position), min(stop, position + lot.points)
        if hi > lo:
            parts.append(replace(lot, points=hi - lo))
        position += lot.points
    return parts
