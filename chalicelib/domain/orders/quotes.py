"""The honest price of an order: what was quoted is what is charged.

An order is priced from the station as read and written in one transaction that holds only if
the station's prices (its price version) and the promotion the quote applied are still the
ones read. When they are not, the order is priced again; if the driver would now pay anything
else, creation answers 409 PRICE_CHANGED with the new quote instead of charging it silently.
"""
from __future__ import annotations

from chalicelib.domain.errors import Conflict

# What a driver is quoted for an order (Order's own field names); any difference is a new price.
QUOTE_FIELDS = ("grade", "price_fen", "list_price_fen", "pump_amount_fen", "discount_fen",
                "coupon_fen", "points_fen", "pay_amount_fen", "liters_ml", "promotion_id",
                "member_level", "price_version")
_PRICE_FIELDS = tuple(f for f in QUOTE_FIELDS if f != "price_version")


def quote_of(order) -> dict:
    """The order's quote as the caller sees it in PRICE_CHANGED's details."""
    return {name: getattr(order, name) for name in QUOTE_FIELDS}


def same_price(order, other) -> bool:
    """Whether two pricings of one request charge exactly the same (the version may differ: a
    change of another grade's price leaves this order's price as it was)."""
    return all(getattr(order, f) == getattr(other, f) for f in _PRICE_FIELDS)


class PriceChanged(Conflict):
    """The station's price changed between the order's pricing and its write (409); `details`
    holds the new quote, which the driver confirms by sending the order again."""

    code = "PRICE_CHANGED"

    def __init__(self, order):
        super().__init__("the price changed while the order was being placed; "
                         "see the new quote and order again")
        self.details = quote_of(order)
