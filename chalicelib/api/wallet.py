"""A driver's wallet: balance, points and level; top-ups through WeChat Pay; the ledger."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import one_of
from chalicelib.api.http import created, current_driver, route
from chalicelib.api.shapes import shaped
from chalicelib.domain.wallet.topups import TopupStatus

from chalicelib.domain import times

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

# A page position is the seq of the last entry given: seqs run 1, 2, 3 ... per chain.
CURSOR_PATTERN = r"^[1-9][0-9]{0,11}$"


class BonusRuleView(msgspec.Struct):
    """每满X赠Y: every_fen of one top-up gives bonus_fen of bonus money."""
    every_fen: int
    bonus_fen: int


class PointsLot(msgspec.Struct):
    points: int
    expires_at: str


class NextLevel(msgspec.Struct):
    name: str
    spend_needed_fen: int


class WalletView(msgspec.Struct):
    paid_fen: int  # money paid in (redeemable); spent first
    bonus_fen: int  # bonus money from top-ups; spent once the paid money is gone
    balance_fen: int
    topup_room_fen: int  # the largest top-up the 5,000-yuan cap allows now
    bonus_rule: BonusRuleView | None
    points: int  # redeemable now
    points_expiring: list[PointsLot]  # soonest first
    # Points refunds took back that were already spent or expired: the next earnings pay it off
    # before any new point is kept (0: none).
    points_debt: int
    level: str | None
    next_level: NextLevel | None
    spend_12m_fen: int


class TopupCreate(msgspec.Struct, forbid_unknown_fields=True):
    # Any whole number of fen. The range is documented, not enforced here: the service answers
    # 400 AMOUNT_INVALID below 1 and 422 TOPUP_OVER_CAP above the room under the cap.
    amount_fen: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 1, "maximum": 500000})]


class TopupView(msgspec.Struct):
    id: str
    out_trade_no: str
    status: one_of(TopupStatus)
    amount_fen: int
    bonus_fen: int  # expected while pending; credited once PAID
    created_at: str
    expires_at: str
    paid_at: str | None
    closed_at: str | None
    refunded_at: str | None


class TopupPayment(msgspec.Struct):
    """The arguments of wx.requestPayment."""
    timeStamp: str
    nonceStr: str
    package: str
    signType: str
    paySign: str


class TopupCreated(msgspec.Struct):
    topup: TopupView
    payment: TopupPayment | None  # None once the top-up can no longer be paid


class EntryListQuery(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["balance", "points", "points_debt"] = "balance"
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, msgspec.Meta(pattern=CURSOR_PATTERN)] | None = None


class EntryView(msgspec.Struct, omit_defaults=True):
    seq: int
    # balance: topup, bonus, order, refund;
    # points: points_earned, points_redeemed, points_expired, points_returned,
    #   points_taken_back (a refund after confirmation), points_debt_paid;
    # points_debt: debt_incurred, debt_repaid
    reason: str
    amount: int  # fen or points; negative when taken
    balance_after: int
    ref: str  # the order, top-up or expiry run it belongs to
    at: str
    paid_after: int | None = None  # balance entries only (points entries leave both out)
    bonus_after: int | None = None


class EntryPage(msgspec.Struct):
    items: list[EntryView]
    next_cursor: str | None


@route(bp, "/v1/wallet", methods=["GET"], auth="driver", ok=WalletView,
       summary="The driver's balance (paid and bonus money), points and their expiry, member level")
def get_wallet():
    from chalicelib.services.wallet import overview as wallet

    driver = current_driver(bp.current_request)
    return shaped(wallet.wallet_summary(driver.subject, times.now()), WalletView)


@route(bp, "/v1/wallet/topups", methods=["POST"], auth="driver", body=TopupCreate,
       ok=TopupCreated, status=201, headers=("Idempotency-Key",),
       summary="Top up the balance through WeChat Pay (header Idempotency-Key: the same key and "
               "body answer the same top-up)",
       errors={400: ("IDEMPOTENCY_KEY_REQUIRED", "IDEMPOTENCY_KEY_INVALID", "AMOUNT_INVALID"),
               404: ("USER_NOT_FOUND",), 409: ("IDEMPOTENCY_KEY_REUSED", "TOPUP_BUSY"),
               422: ("TOPUP_OVER_CAP",), 429: ("TOO_MANY_UNPAID_TOPUPS",),
               503: ("PAYMENT_UNAVAILABLE", "PAYMENT_REFUSED")})
def create_topup(body: TopupCreate):
    from chalicelib.services.wallet import topups

    request = bp.current_request
    driver = current_driver(request)
    return created(shaped(topups.create_topup(driver.subject, body.amount_fen,
                                              request.headers.get("idempotency-key"), now=times.now()),
                          TopupCreated))


@route(bp, "/v1/wallet/topups/{topup_id}", methods=["GET"], auth="driver", ok=TopupView,
       summary="One of the driver's own top-ups", errors={404: ("TOPUP_NOT_FOUND",)})
def get_topup(topup_id):
    from chalicelib.services.wallet import topups

    driver = current_driver(bp.current_request)
    return shaped(topups.get_topup(driver.subject, topup_id, now=times.now()), TopupView)


@route(bp, "/v1/wallet/entries", methods=["GET"], auth="driver", query=EntryListQuery,
       ok=EntryPage, summary="Every movement of the driver's balance or points, newest first",
       errors={400: ("INVALID_CURSOR",)})
def list_entries(query: EntryListQuery):
    from chalicelib.services.wallet import overview as wallet

    driver = current_driver(bp.current_request)
    return shaped(wallet.entries_page(driver.subject, query.kind, query.limit, query.cursor),
                  EntryPage)
