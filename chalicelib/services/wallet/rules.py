"""The wallet's and points' configurable rules, parsed from settings (chalicelib/settings.py).

- TOPUP_BONUS_RULE "X:Y": 每满X赠Y in fen (default "50000:2000": every 500 yuan gives 20);
  empty or "none" gives no bonus.
- POINTS_EARN_RULE "P:F": P points for every whole F fen paid (default "1:100", 1 per yuan).
- POINTS_REDEEM_RULE "P:F": P points are worth F fen (default "100:100", 100 points = 1 yuan).
- POINTS_MAX_SHARE_PERCENT (default 50), POINTS_EXPIRY_DAYS (default 365).
- MEMBER_LEVELS "name:min_spend_fen,..." in rising order (default the domain's levels).
A malformed value is a configuration error (ValueError), never silently replaced by a default.
"""
from __future__ import annotations

from chalicelib.domain.wallet.membership import DEFAULT_LEVELS, Level, validate_levels
from chalicelib.domain.wallet.points import PointsRules
from chalicelib.domain.wallet.balance import BonusRule
from chalicelib.settings import get_settings


def _pair(name: str, text: str) -> tuple[int, int]:
    left, sep, right = (text or "").partition(":")
    if not sep or not left.strip().isdigit() or not right.strip().isdigit():
        raise ValueError(f"{name} must be two whole numbers as 'A:B', not {text!r}")
    return int(left), int(right)


def bonus_rule() -> BonusRule | None:
    text = get_settings().topup_bonus_rule
    if text is None or text.strip().lower() in ("", "none"):
        return None
    return BonusRule(*_pair("TOPUP_BONUS_RULE", text))


def points_rules() -> PointsRules:
    settings = get_settings()
    earn_points, earn_per_fen = _pair("POINTS_EARN_RULE", settings.points_earn_rule)
    redeem_points, redeem_fen = _pair("POINTS_REDEEM_RULE", settings.points_redeem_rule)
    return PointsRules(earn_points=earn_points, earn_per_fen=earn_per_fen,
                       redeem_points=redeem_points, redeem_fen=redeem_fen,
                       max_share_percent=settings.points_max_share_percent,
                       lifetime_days=settings.points_expiry_days)


def member_levels() -> tuple[Level, ...]:
    text = get_settings().member_levels
    if text is None:
        return DEFAULT_LEVELS
    levels = []
    for part in text.split(","):
        name, sep, threshold = part.strip().partition(":")
        if not sep or not threshold.strip().isdigit():
            raise ValueError(f"MEMBER_LEVELS must be 'name:min_spend_fen,...', not {text!r}")
        levels.append(Level(name.strip(), int(threshold)))
    validate_levels(levels)
    return tuple(levels)
