"""What creating an order reads, and what it writes beside the order, in as few round trips as
the guarantees allow (docs/decisions.md, 2026-12-06): one BatchGetItem for the order (a retry
answers it), the station, the driver, the account, the coupon and the unpaid-orders count; one
Query for the chain-wide promotions, run while the batch is read; one TransactWrite for the
order and everything it moves:

- the price guard and the queue counter, one update of the station item (store/stations/
  queue_counters.py stage_order), plus a check that a chain-wide promotion the quote applied
  still exists: a price changed since the read cancels the write, and the order is priced again
  (domain/orders/quotes.py: a different price answers PRICE_CHANGED);
- the unpaid-orders cap (services/limits.py), conditional on the cap still holding.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from chalicelib.domain.orders.orders import WECHATPAY, Order
from chalicelib.services import limits


@dataclass(frozen=True)
class Facts:
    """Everything pricing and writing a new order needs, read at once."""
    existing: Order | None  # the order with this id, when a first attempt got through
    station: object | None  # domain Station, with the promotions active at `now`
    user: object | None
    account: object  # domain Account (an empty one when the driver has none yet)
    coupon: object | None
    unpaid: frozenset  # unpaid orders counted in the cap's window (WeChat Pay orders only)


def read_facts(order_id: str, user_id: str, station_id: str, coupon_id: str | None,
               pay_method: str, now: datetime) -> Facts:
    from chalicelib.store import batch
    from chalicelib.store.identity import users as user_store
    from chalicelib.store.marketing import coupons as coupon_store
    from chalicelib.store.orders import orders as order_store
    from chalicelib.store.stations import promotions as promotion_store
    from chalicelib.store.stations import stations as station_store
    from chalicelib.store.wallet import accounts as account_store

    chain = _side_reader().submit(promotion_store.chain_promotions_not_ended, now)
    reads = {"order": order_store.read(order_id), "station": station_store.read(station_id),
             "user": user_store.read(user_id), "account": account_store.read(user_id)}
    if coupon_id is not None:
        reads["coupon"] = coupon_store.read(coupon_id)
    if pay_method == WECHATPAY:
        reads["unpaid"] = limits.unpaid_orders_read(user_id, now=now)
    try:
        got = batch.read_all(reads)
    finally:
        chain_promotions = chain.result()
    station = got["station"]
    if station is not None:
        station = station_store.with_active_promotions(station, chain_promotions, now)
    return Facts(existing=got["order"], station=station, user=got["user"],
                 account=got["account"], coupon=got.get("coupon"),
                 unpaid=got.get("unpaid", frozenset()))


@lru_cache(maxsize=1)
def _side_reader():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="order-side")


def written_with(order: Order, facts: Facts, also: Callable | None, *,
                 now: datetime) -> Callable:
    """Everything the order's transaction writes beside the order and its effects (`also`)."""
    from chalicelib.services.stations import activity as station_activity
    from chalicelib.store.stations import promotions as promotion_store

    station = facts.station
    applied = next((p for p in station.promotions if p.id == order.promotion_id), None)
    own_promotion = applied.id if applied is not None and applied.station_ids is not None \
        else None
    station_stage = station_activity.order_stage(station, order.created_at, own_promotion)

    def stage(tx) -> None:
        if also is not None:
            also(tx)
        station_stage(tx)
        if applied is not None and applied.station_ids is None:
            promotion_store.stage_still_offered(tx, applied.id)
        if order.pay_method == WECHATPAY:
            limits.stage_unpaid_order(tx, order.user_id, order.id, now=now)
    return stage
