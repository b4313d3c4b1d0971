"""The prepaid balance of a named card: paid money and bonus money, integer fen, kept apart.

Cap. A named single-purpose prepaid card holds at most 5,000 yuan (CAP_FEN), paid and bonus
money counted together. New money enters only through a top-up: the paid amount must fit
under the cap (else RuleViolation TOPUP_OVER_CAP and nothing is credited); the bonus it earns
fills at most the room left after it, and the rest is forgone (TopUp.bonus_forgone_fen, so
the top-up screen can say so before payment). A bonus never refuses a top-up and never lifts
the balance over the cap.

Bonus 每满X赠Y: each top-up on its own gives Y fen for every whole X fen paid,
floor(amount / X) * Y (每满500赠20: 999 yuan gives 20, 1000 gives 40); top-ups are not summed.

Spending order: paid money first, bonus money once the paid money is gone. Weighed:
- bonus first: kindest while the driver stays, but a named card's remaining paid money can be
  redeemed in cash, so "top up 500, spend the 20 bonus, redeem 500" turns every bonus into
  cash for a driver who buys almost nothing;
- in proportion: closes that hole too, but splits every order with a rounding and is hard to
  explain on a receipt;
- paid first: the prepaid money the issuer owes (and must safeguard under the prepaid-card
  rules) falls fastest, only paid money is ever redeemed, and the top-up invoice (预付卡销售和
  充值, issued for the paid amount at top-up time) needs a red-letter reversal only for paid
  money redeemed; fuel paid from the balance is not invoiced again whichever bucket paid it.
  Cost: a driver who leaves keeps bonus money that is not redeemable in cash; it never expires,
  so it stays good for fuel.

Refunds. Each order keeps the split it took. A refund gives back bonus first, then paid (the
reverse of spending), so after any refund the order holds exactly what spending the smaller
amount would have taken. The split of each refund is computed from cumulative figures (all
refunded so far), so partial refunds never return more than was taken from either bucket.
Money given back goes to its own bucket; should a top-up made since the order have filled the
room, what does not fit is not stored: paid money beyond the room is paid out to the driver
(RefundCredit.payout_fen, refunded through WeChat Pay by the caller), bonus takes the room
first because it cannot be paid out, and bonus beyond the room is forfeited, as at top-up.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput, RuleViolation

CAP_FEN = 500_000  # 5,000 yuan: the limit of a named single-purpose prepaid card


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def check_amount(amount_fen: object, field: str = "amount_fen") -> int:
    """Return the amount if it is an integer of at least 1 fen, else raise InvalidInput."""
    if not _whole(amount_fen, 1):
        raise InvalidInput(f"{field} must be a positive integer of fen", code="AMOUNT_INVALID", field=field)
    return amount_fen


@dataclass(frozen=True)
class Balance:
    paid_fen: int = 0
    bonus_fen: int = 0

    def __post_init__(self) -> None:
        if not (_whole(self.paid_fen, 0) and _whole(self.bonus_fen, 0)):
            raise ValueError("a balance is two non-negative integers of fen")

    @property
    def total_fen(self) -> int:
        return self.paid_fen + self.bonus_fen


class Split(Balance):
    """Money moved by one spend or refund, per bucket (both non-negative)."""


@dataclass(frozen=True)
class BonusRule:
    """每满X赠Y: every_fen is X, bonus_fen is Y."""

    every_fen: int
    bonus_fen: int

    def __post_init__(self) -> None:
        if not (_whole(self.every_fen, 1) and _whole(self.bonus_fen, 1)):
            raise InvalidInput("a bonus rule needs positive integers of fen", code="BONUS_RULE_INVALID")

    def bonus_for(self, amount_fen: int) -> int:
        return amount_fen // self.every_fen * self.bonus_fen


@dataclass(frozen=True)
class TopUp:
    paid_fen: int
    bonus_fen: int  # credited
    bonus_forgone_fen: int  # earned by the rule but beyond the cap
    after: Balance


@dataclass(frozen=True)
class Spend:
    paid_fen: int
    bonus_fen: int
    after: Balance

    @property
    def split(self) -> Split:
        return Split(self.paid_fen, self.bonus_fen)


@dataclass(frozen=True)
class RefundCredit:
    credited: Split  # into the balance, each part to its own bucket
    payout_fen: int  # paid money that does not fit under the cap: pay it out to the driver
    bonus_forfeited_fen: int  # bonus money that does not fit under the cap
    after: Balance


def room_fen(balance: Balance, cap_fen: int = CAP_FEN) -> int:
    """The largest top-up the cap allows now (0 when full)."""
    return max(cap_fen - balance.total_fen, 0)


def top_up(balance: Balance, amount_fen: int, *, rule: BonusRule | None = None, cap_fen: int = CAP_FEN) -> TopUp:
    check_amount(amount_fen)
    room = room_fen(balance, cap_fen)
    if amount_fen > room:
        raise RuleViolation(f"a named card holds at most {cap_fen} fen; {room} fen can be added now",
                            code="TOPUP_OVER_CAP", field="amount_fen")
    earned = rule.bonus_for(amount_fen) if rule is not None else 0
    bonus = min(earned, room - amount_fen)
    after = Balance(balance.paid_fen + amount_fen, balance.bonus_fen + bonus)
    return TopUp(amount_fen, bonus, earned - bonus, after)


def spend(balance: Balance, amount_fen: int) -> Spend:
    """Take an order's amount, paid money first; INSUFFICIENT_BALANCE if the total is short."""
    check_amount(amount_fen)
    if amount_fen > balance.total_fen:
        raise RuleViolation(f"the balance is {balance.total_fen} fen, the order needs {amount_fen}",
                            code="INSUFFICIENT_BALANCE", field="amount_fen")
    paid = min(balance.paid_fen, amount_fen)
    bonus = amount_fen - paid
    return Spend(paid, bonus, Balance(balance.paid_fen - paid, balance.bonus_fen - bonus))


def _given_back(spent: Split, refunded_fen: int) -> Split:
    bonus = min(spent.bonus_fen, refunded_fen)
    return Split(refunded_fen - bonus, bonus)


def refund_split(spent: Split, refunded_before_fen: int, refund_fen: int) -> Split:
    """What a refund gives back per bucket, from the order's split and what it refunded before."""
    check_amount(refund_fen, "refund_fen")
    if not _whole(refunded_before_fen, 0):
        raise ValueError("refunded_before_fen must be a non-negative integer")
    if refunded_before_fen + refund_fen > spent.total_fen:
        raise RuleViolation(f"only {spent.total_fen - refunded_before_fen} fen of this order is left to refund",
                            code="REFUND_EXCEEDS_SPENT", field="refund_fen")
    before, after = _given_back(spent, refunded_before_fen), _given_back(spent, refunded_before_fen + refund_fen)
    return Split(after.paid_fen - before.paid_fen, after.bonus_fen - before.bonus_fen)


def credit_refund(balance: Balance, returned: Split, *, cap_fen: int = CAP_FEN) -> RefundCredit:
    """Put a refund's split back, bonus first into the room under the cap; report what does not fit."""
    room = room_fen(balance, cap_fen)
    bonus = min(returned.bonus_fen, room)
    paid = min(returned.paid_fen, room - bonus)
    after = Balance(balance.paid_fen + paid, balance.bonus_fen + bonus)
    return RefundCredit(Split(paid, bonus), returned.paid_fen - paid, returned.bonus_fen - bonus, after)
