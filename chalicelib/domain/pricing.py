"""Pricing: the one function both the station list and the order call, so they never differ.

Integers throughout: amounts in fen, volumes in millilitres, prices in fen per litre; every
quotient goes through money.div_round_half_up.

Rules (PROTOCOLS.md): `per_litre_off` 直降 X fen/L; `per_litre_off_over_amount` 满X元每升减Y
(threshold on the pump amount); `amount_off_over_amount` 满X元减Y; and the member price of a
grade (GradePrice.member_prices[level]). A promotion is eligible when its station scope and
grade scope include the order's (None = all) and starts_at <= now < ends_at.

Stacking: exactly one rule applies, the one with the largest discount; never two. Ties go
to the member price, then to the promotion with the smallest id (string order).

Discounts are computed from the pump amount: a per-litre rule takes off Y on the exact
volume that amount buys (gross * Y / pump price, rounded once). A list quote for a volume
first prices the volume (gross), then runs the same steps, so the list and an order for
the same pump amount pay the same fen.

Bounds: a discount never exceeds gross - 1 fen, so pay >= 1 fen whenever gross >= 1 (WeChat
Pay cannot charge 0), and a per-litre reduction never takes the price below 1 fen/L.
Never more for less fuel: crossing a threshold lowers what is due (满200减20: 199 yuan would
pay 199, 200 pays 180). An amount just below a threshold therefore pays at most what the
threshold amount pays, which makes pay non-decreasing in the amount; the quote says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import FEN_PER_YUAN, ML_PER_LITRE, div_round_half_up, yuan_text

PER_LITRE_OFF = "per_litre_off"
PER_LITRE_OFF_OVER_AMOUNT = "per_litre_off_over_amount"
AMOUNT_OFF_OVER_AMOUNT = "amount_off_over_amount"
MEMBER_PRICE = "member_price"  # a rule kind in a Quote, never a Promotion kind
PROMOTION_KINDS = (PER_LITRE_OFF, PER_LITRE_OFF_OVER_AMOUNT, AMOUNT_OFF_OVER_AMOUNT)
# Chinese retail fuel has sold between about 5 and 10 yuan/L; 1..30 yuan/L catches typos
# (a price typed in yuan, or with a digit too many) and leaves room for any grade sold.
MIN_PRICE_FEN, MAX_PRICE_FEN = 100, 3000


@dataclass(frozen=True)
class GradePrice:
    grade: str
    guide_price_fen: int
    pump_price_fen: int
    member_prices: Mapping[str, int] = field(default_factory=dict)  # member level -> fen/L


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


@dataclass(frozen=True)
class Quote:
    grade: str
    list_price_fen: int  # pump price
    guide_price_fen: int
    price_fen: int  # per litre: the rule's price, else pay / litres (fixed reduction, threshold cap)
    liters_ml: int
    gross_fen: int  # pump amount
    discount_fen: int
    pay_fen: int
    rule: str | None  # a promotion kind, MEMBER_PRICE, or None
    promotion_id: str | None
    description: str | None


@dataclass(frozen=True)
class _Rule:
    kind: str
    rank: tuple  # tie order: member price first, then promotion id
    promotion_id: str | None
    text: str
    per_litre_off_fen: int = 0
    threshold_fen: int = 0
    amount_off_fen: int = 0

    def discount(self, gross_fen: int, pump_price_fen: int) -> int:
        if gross_fen < self.threshold_fen:
            return 0
        if self.amount_off_fen:
            return self.amount_off_fen
        off = min(self.per_litre_off_fen, pump_price_fen - 1)
        return div_round_half_up(gross_fen * off, pump_price_fen)


def _figure(fen: int) -> bool:
    return isinstance(fen, int) and not isinstance(fen, bool) and fen >= 0


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
    used_right = all(_figure(f) and (f > 0) == used for f, used in zip(figures, _FIGURES_BY_KIND[p.kind]))
    absurd = p.per_litre_off_fen >= MAX_PRICE_FEN or 0 < p.threshold_fen <= p.amount_off_fen
    if not used_right or absurd:
        raise InvalidInput(f"figures do not fit a {p.kind} promotion", code="PROMOTION_FIGURE_INVALID")


def validate_price(guide_price_fen: int, pump_price_fen: int) -> None:
    """Raise InvalidInput PRICE_INVALID unless both are integers in MIN_PRICE_FEN..MAX_PRICE_FEN."""
    for name, fen in (("guide_price_fen", guide_price_fen), ("pump_price_fen", pump_price_fen)):
        if not _figure(fen) or not MIN_PRICE_FEN <= fen <= MAX_PRICE_FEN:
            raise InvalidInput(f"{name} must be {MIN_PRICE_FEN}..{MAX_PRICE_FEN} fen per litre",
                               code="PRICE_INVALID", field=name)


def _yuan(fen: int) -> str:
    return str(fen // FEN_PER_YUAN) if fen % FEN_PER_YUAN == 0 else yuan_text(fen)


def describe(p: Promotion) -> str:
    """Chinese words for the list, e.g. 直降0.50元/升, 满200元每升减0.30元, 满300元减20元."""
    if p.kind == PER_LITRE_OFF:
        return f"直降{yuan_text(p.per_litre_off_fen)}元/升"
    if p.kind == PER_LITRE_OFF_OVER_AMOUNT:
        return f"满{_yuan(p.threshold_fen)}元每升减{yuan_text(p.per_litre_off_fen)}元"
    return f"满{_yuan(p.threshold_fen)}元减{_yuan(p.amount_off_fen)}元"


def _rules(price: GradePrice, promotions: Iterable[Promotion], station_id: str, now: datetime,
           member_level: str | None) -> list[_Rule]:
    rules = [_Rule(p.kind, (1, p.id), p.id, describe(p), p.per_litre_off_fen, p.threshold_fen,
                   p.amount_off_fen) for p in promotions if p.applies(station_id, price.grade, now)]
    member = price.member_prices.get(member_level) if member_level is not None else None
    if member is not None and member < price.pump_price_fen:
        rules.append(_Rule(MEMBER_PRICE, (0, ""), None, f"会员价{yuan_text(member)}元/升",
                           per_litre_off_fen=price.pump_price_fen - member))
    return rules


def _best(rules: list[_Rule], gross_fen: int, pump_price_fen: int) -> tuple[int, _Rule | None]:
    """(capped discount, rule) of the single best rule at this gross; (0, None) if none helps."""
    cap = max(gross_fen - 1, 0)
    scored = [(min(r.discount(gross_fen, pump_price_fen), cap), r) for r in rules]
    scored = [(d, r) for d, r in scored if d > 0]
    if not scored:
        return 0, None
    return min(scored, key=lambda dr: (-dr[0], dr[1].rank))


def _cheapest(rules: list[_Rule], gross: int, pump: int) -> tuple[int, _Rule | None, int | None]:
    """(discount, rule, threshold it was capped at): the best rule, or a higher threshold's pay.

    Between thresholds pay never falls (a discount grows by at most 1 fen per fen), so the
    least pay at any amount >= gross is at gross itself or at one of the thresholds above.
    """
    discount, rule = _best(rules, gross, pump)
    capped_at = None
    for threshold in sorted({r.threshold_fen for r in rules if r.threshold_fen > gross}):
        at_threshold, threshold_rule = _best(rules, threshold, pump)
        if threshold - at_threshold < gross - discount:
            discount, rule, capped_at = gross - (threshold - at_threshold), threshold_rule, threshold
    return discount, rule, capped_at


def _check_request(amount_fen: int | None, volume_ml: int | None, now: datetime) -> None:
    if (amount_fen is None) == (volume_ml is None):
        raise InvalidInput("give exactly one of amount_fen and volume_ml", code="AMOUNT_OR_VOLUME_REQUIRED")
    for name, value, code in (("amount_fen", amount_fen, "AMOUNT_INVALID"),
                              ("volume_ml", volume_ml, "VOLUME_INVALID")):
        if value is not None and not (_figure(value) and value > 0):
            raise InvalidInput(f"{name} must be a positive integer", code=code, field=name)
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def quote(grade_prices: Iterable[GradePrice], promotions: Iterable[Promotion], *, station_id: str,
          grade: str, now: datetime, member_level: str | None = None, amount_fen: int | None = None,
          volume_ml: int | None = None) -> Quote:
    """Price a pump amount (an order) or a volume (the list's reference fill)."""
    _check_request(amount_fen, volume_ml, now)
    price = next((gp for gp in grade_prices if gp.grade == grade), None)
    if price is None:
        raise InvalidInput(f"this station does not sell {grade}", code="UNKNOWN_GRADE", field="grade")
    pump = price.pump_price_fen
    if amount_fen is not None:
        gross, liters = amount_fen, div_round_half_up(amount_fen * ML_PER_LITRE, pump)
    else:
        gross, liters = div_round_half_up(volume_ml * pump, ML_PER_LITRE), volume_ml
    discount, rule, capped_at = _cheapest(_rules(price, promotions, station_id, now, member_level), gross, pump)
    pay = gross - discount
    if rule is None:
        price_fen, text = pump, None
    elif rule.per_litre_off_fen and capped_at is None:
        price_fen, text = pump - min(rule.per_litre_off_fen, pump - 1), rule.text
    else:
        price_fen = div_round_half_up(pay * ML_PER_LITRE, liters) if liters else pump
        text = rule.text if capped_at is None else f"{rule.text}（未满{_yuan(capped_at)}元，按满额应付封顶）"
    return Quote(grade, pump, price.guide_price_fen, price_fen, liters, gross, discount, pay,
                 rule and rule.kind, rule and rule.promotion_id, text)
