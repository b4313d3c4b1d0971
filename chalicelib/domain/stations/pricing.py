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

Coupon and points (optional; without them nothing above changes). Order of application:
1. the best promotion or member price, as above;
2. the coupon, accepted or refused by coupons.coupon_discount alone (the check the coupon list
   runs, so a coupon shown as usable is never refused at payment); its minimum spend is on the
   pump amount and an amount below it is refused, not capped. A 满减 coupon takes its amount;
   a per-litre coupon adds its Y to the per-litre reduction of the rule (if any) on the same
   exact volume, rounded once together, so the pair never takes off more than pump - 1 fen/L
   and pay stays non-decreasing in the amount. The rule is chosen with the coupon counted
   (which can differ from the choice without it only by a fen of rounding), and a threshold
   cap compares what is due with the coupon too;
3. points (points.redeem_value): at most points.max_share_percent of what is left after 1
   and 2, rounded down, in exact multiples of the points step.
At every step pay stays >= 1 fen. discount_fen is the total of the three; coupon_fen and
points_fen say what the coupon and the points took. With a coupon or points, price_fen is pay /
litres.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from chalicelib.domain.marketing.coupons import AMOUNT_OFF, Coupon, coupon_discount
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import ML_PER_LITRE, div_round_half_up, yuan_text
from chalicelib.domain.stations.prices import GradePrice, whole_fen
from chalicelib.domain.stations.promotions import Promotion, describe, short_yuan
from chalicelib.domain.wallet.points import DEFAULT_RULES, PointsRules, check_points, redeem_value


MEMBER_PRICE = "member_price"  # a rule kind in a Quote, never a Promotion kind


@dataclass(frozen=True)
class Quote:
    grade: str
    list_price_fen: int  # pump price
    guide_price_fen: int
    price_fen: int  # per litre: the rule's price, else pay / litres (fixed reduction, threshold cap,
    # coupon or points)
    liters_ml: int
    gross_fen: int  # pump amount
    discount_fen: int  # everything taken off: rule, coupon and points
    pay_fen: int
    rule: str | None  # a promotion kind, MEMBER_PRICE, or None
    promotion_id: str | None
    description: str | None
    coupon_fen: int = 0
    points_fen: int = 0
    points: int = 0  # points redeemed
    coupon_id: str | None = None


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


def _rules(price: GradePrice, promotions: Iterable[Promotion], station_id: str, now: datetime,
           member_level: str | None) -> list[_Rule]:
    rules = [_Rule(p.kind, (1, p.id), p.id, describe(p), p.per_litre_off_fen, p.threshold_fen,
                   p.amount_off_fen) for p in promotions if p.applies(station_id, price.grade, now)]
    member = price.member_prices.get(member_level) if member_level is not None else None
    if member is not None and member < price.pump_price_fen:
        rules.append(_Rule(MEMBER_PRICE, (0, ""), None, f"会员价{yuan_text(member)}元/升",
                           per_litre_off_fen=price.pump_price_fen - member))
    return rules


def _with_coupon(rule: _Rule | None, gross: int, pump: int, coupon: Coupon | None) -> int:
    """Discount of a rule (None: no rule) with the coupon; per-litre parts are rounded together."""
    applies = rule is not None and gross >= rule.threshold_fen
    own = rule.discount(gross, pump) if applies else 0
    if coupon is None:
        return own
    if coupon.kind == AMOUNT_OFF:
        return own + coupon.amount_off_fen
    fixed = own if applies and rule.amount_off_fen else 0
    per_litre = min((rule.per_litre_off_fen if applies else 0) + coupon.per_litre_off_fen, pump - 1)
    return fixed + div_round_half_up(gross * per_litre, pump)


_NO_RULE_RANK = (2, "")  # a coupon alone comes after any rule in a tie


def _best(rules: list[_Rule], gross_fen: int, pump_price_fen: int,
          coupon: Coupon | None = None) -> tuple[int, _Rule | None]:
    """(capped discount, rule) of the single best rule at this gross; (0, None) if none helps."""
    cap = max(gross_fen - 1, 0)
    scored = [(min(_with_coupon(r, gross_fen, pump_price_fen, coupon), cap), r) for r in rules]
    if coupon is not None:
        scored.append((min(_with_coupon(None, gross_fen, pump_price_fen, coupon), cap), None))
    scored = [(d, r) for d, r in scored if d > 0]
    if not scored:
        return 0, None
    return min(scored, key=lambda dr: (-dr[0], dr[1].rank if dr[1] else _NO_RULE_RANK))


def _cheapest(rules: list[_Rule], gross: int, pump: int,
              coupon: Coupon | None = None) -> tuple[int, _Rule | None, int | None]:
    """(discount, rule, threshold it was capped at): the best rule, or a higher threshold's pay.

    Between thresholds pay never falls (a discount grows by at most 1 fen per fen), so the
    least pay at any amount >= gross is at gross itself or at one of the thresholds above.
    """
    discount, rule = _best(rules, gross, pump, coupon)
    capped_at = None
    for threshold in sorted({r.threshold_fen for r in rules if r.threshold_fen > gross}):
        at_threshold, threshold_rule = _best(rules, threshold, pump, coupon)
        if threshold - at_threshold < gross - discount:
            discount, rule, capped_at = gross - (threshold - at_threshold), threshold_rule, threshold
    return discount, rule, capped_at


def _check_request(amount_fen: int | None, volume_ml: int | None, now: datetime, points: int) -> None:
    if (amount_fen is None) == (volume_ml is None):
        raise InvalidInput("give exactly one of amount_fen and volume_ml", code="AMOUNT_OR_VOLUME_REQUIRED")
    for name, value, code in (("amount_fen", amount_fen, "AMOUNT_INVALID"),
                              ("volume_ml", volume_ml, "VOLUME_INVALID")):
        if value is not None and not (whole_fen(value) and value > 0):
            raise InvalidInput(f"{name} must be a positive integer", code=code, field=name)
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    check_points(points)


def quote(grade_prices: Iterable[GradePrice], promotions: Iterable[Promotion], *, station_id: str,
          grade: str, now: datetime, member_level: str | None = None, amount_fen: int | None = None,
          volume_ml: int | None = None, coupon: Coupon | None = None, points: int = 0,
          user_id: str | None = None, points_rules: PointsRules = DEFAULT_RULES) -> Quote:
    """Price a pump amount (an order) or a volume (the list's reference fill).

    coupon is a coupon the driver user_id holds; points are redeemed after it (module doc).
    """
    _check_request(amount_fen, volume_ml, now, points)
    price = next((gp for gp in grade_prices if gp.grade == grade), None)
    if price is None:
        raise InvalidInput(f"this station does not sell {grade}", code="UNKNOWN_GRADE", field="grade")
    pump = price.pump_price_fen
    if amount_fen is not None:
        gross, liters = amount_fen, div_round_half_up(amount_fen * ML_PER_LITRE, pump)
    else:
        gross, liters = div_round_half_up(volume_ml * pump, ML_PER_LITRE), volume_ml
    if coupon is not None:  # refuses with the coupon's own code; the figure is taken below
        coupon_discount(coupon, station_id=station_id, grade=grade, now=now, gross_fen=gross,
                        liters_ml=div_round_half_up(gross * ML_PER_LITRE, pump), user_id=user_id)
    rules = _rules(price, promotions, station_id, now, member_level)
    discount, rule, capped_at = _cheapest(rules, gross, pump, coupon)
    coupon_fen, rule = _coupon_share(discount, rule, gross, capped_at, pump, coupon)
    points_fen = redeem_value(points, base_fen=gross - discount, rules=points_rules) if points else 0
    discount += points_fen
    pay = gross - discount
    if rule is None:
        price_fen, text = pump, None
    elif rule.per_litre_off_fen and capped_at is None:
        price_fen, text = pump - min(rule.per_litre_off_fen, pump - 1), rule.text
    else:
        price_fen = div_round_half_up(pay * ML_PER_LITRE, liters) if liters else pump
        text = rule.text if capped_at is None else f"{rule.text}（未满{short_yuan(capped_at)}元，按满额应付封顶）"
    if (coupon_fen or points_fen) and liters:
        price_fen = div_round_half_up(pay * ML_PER_LITRE, liters)
    return Quote(grade, pump, price.guide_price_fen, price_fen, liters, gross, discount, pay,
                 rule and rule.kind, rule and rule.promotion_id, text, coupon_fen, points_fen,
                 points, coupon.id if coupon is not None else None)


def _coupon_share(discount: int, rule: _Rule | None, gross: int, capped_at: int | None, pump: int,
                  coupon: Coupon | None) -> tuple[int, _Rule | None]:
    """(fen of the discount that is the coupon's, the rule if it takes anything itself).

    At the amount the discount was worked out for (gross, or the threshold it was capped at)
    the rule takes its own discount first and the coupon the rest.
    """
    at = capped_at if capped_at is not None else gross
    own = rule.discount(at, pump) if rule is not None else 0
    if coupon is None:
        return 0, rule
    with_coupon = discount - (gross - at)  # what the rule and coupon take at `at`, capped
    return min(with_coupon - min(own, with_coupon), discount), rule if own > 0 else None
