"""Member levels for the pricing of search, orders and the home page.

A level comes from the spend of the last 12 months (domain/wallet/membership.py), kept on the account
per Asia/Shanghai month. A month counts while any part of it is inside the window [the same
instant 12 months ago, now], so a level can outlast the exact 12-month window by at most the
part of the oldest month that has left it (under one month); that keeps the account item small
(at most 14 month figures) and one GetItem answers a level.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.wallet.accounts import Account, month_end
from chalicelib.domain.wallet.membership import level_for, next_level, rolling_spend
from chalicelib.domain.wallet.points import PointsRules
from chalicelib.services.wallet.rules import member_levels, points_rules
from chalicelib.store.wallet import accounts as store


def spend_of_months(monthly_spend: dict[str, int], now: datetime) -> int:
    """The rolling 12-month spend from month figures, each month dated at its last instant
    (the current month at now)."""
    return rolling_spend(((min(month_end(month), now), fen)
                          for month, fen in monthly_spend.items()), now)


def spend_12m(account: Account, now: datetime) -> int:
    return spend_of_months(dict(account.monthly_spend), now)


def member_level(account: Account, now: datetime) -> str | None:
    """The account's level now (None below the first threshold)."""
    return level_for(spend_12m(account, now), member_levels())


def next_level_of(account: Account, now: datetime) -> tuple[str, int] | None:
    """(name, fen still to spend) of the next level, None at the top."""
    return next_level(spend_12m(account, now), member_levels())


def member_level_of(user_id: str, now: datetime) -> str | None:
    """The user's level now, from one GetItem of the account's monthly spend (eventually
    consistent: a level may lag a just-confirmed order by a moment). None without a level or
    without an account."""
    return level_for(spend_of_months(store.get_monthly_spend(user_id), now), member_levels())


def member_terms(user_id: str, now: datetime) -> tuple[Account, str | None, PointsRules]:
    """What pricing an order needs of its driver: the account as stored (consistent read; build
    the order's AccountChange from it), the member level now, and the points rules."""
    return terms_of(store.get_account(user_id), now)


def terms_of(account: Account, now: datetime) -> tuple[Account, str | None, PointsRules]:
    """member_terms for an account already read (the order path reads it with the order)."""
    return account, member_level(account, now), points_rules()
