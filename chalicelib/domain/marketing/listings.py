"""Coupons and templates as a driver sees them at a moment.

Each listing is the coupon or template itself (its fields read through) plus what is worked out
from it: its words, its scope in list order, its status now, the stock left, how many more the
driver may claim. The coupon routes shape these into their answers (api/shapes.py), so each
answer's fields are written once, in its response type.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.marketing.coupons import Coupon, CouponTemplate, coupon_status, describe_coupon
from chalicelib.domain.marketing.states import CouponStatus
from chalicelib.domain.stations.stations import grade_sort_key


def sorted_scope(station_ids: Iterable[str] | None,
                 grades: Iterable[str] | None) -> tuple[list[str] | None, list[str] | None]:
    """A scope as lists show it: station ids in text order, grades as pumps list them; None
    (every station / grade) stays None."""
    return (sorted(station_ids) if station_ids else None,
            sorted(grades, key=grade_sort_key) if grades else None)


class _ReadThrough:
    """Fields the listing does not work out itself are the listed object's own."""
    _listed: str  # the name of the field holding the listed object

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == self._listed:  # never recurse while (un)pickling
            raise AttributeError(name)
        return getattr(getattr(self, self._listed), name)


class _Listing(_ReadThrough):
    """A coupon or template listed with its words and its scope in list order."""

    @property
    def description(self) -> str:
        return describe_coupon(getattr(self, self._listed))

    @property
    def station_ids(self) -> list[str] | None:
        return sorted_scope(getattr(self, self._listed).station_ids, None)[0]

    @property
    def grades(self) -> list[str] | None:
        return sorted_scope(None, getattr(self, self._listed).grades)[1]


@dataclass(frozen=True)
class HeldCoupon(_Listing):
    """A coupon its holder reads at `at`: usable, used or expired then."""
    coupon: Coupon
    at: datetime
    _listed = "coupon"

    @property
    def status(self) -> CouponStatus:
        return coupon_status(self.coupon, self.at)


@dataclass(frozen=True)
class Offer(_Listing):
    """A template in the coupon centre, with how many more this driver may claim."""
    template: CouponTemplate
    you_may_claim: int
    _listed = "template"

    @property
    def template_id(self) -> str:
        return self.template.id

    @property
    def claim_ends_at(self) -> datetime:
        return self.template.ends_at

    @property
    def valid_until(self) -> datetime | None:
        """The fixed end of use; None when each coupon lasts valid_days from its claim."""
        return self.template.ends_at if self.template.valid_days is None else None

    @property
    def stock_left(self) -> int:
        return stock_left(self.template)


@dataclass(frozen=True)
class ManagedTemplate(_Listing):
    """A template as marketing manages it: its own fields, its status and creation (as the store
    keeps them), and what its coupons have done so far (`usage`: used, paid_orders, revenue_fen)."""
    template: CouponTemplate
    status: str
    created_at: datetime
    created_by: str
    usage: Any
    _listed = "template"

    @property
    def stats(self) -> TemplateFigures:
        return TemplateFigures(self.template, self.usage)


@dataclass(frozen=True)
class TemplateFigures(_ReadThrough):
    """Coupons issued and stock left (the template's counters), and the usage figures."""
    template: CouponTemplate
    usage: Any
    _listed = "usage"

    @property
    def issued(self) -> int:
        return self.template.issued

    @property
    def stock_left(self) -> int:
        return stock_left(self.template)


def stock_left(template: CouponTemplate) -> int:
    """Coupons still to claim (never below zero: `issued` is a count read from the store)."""
    return max(template.total_stock - template.issued, 0)
