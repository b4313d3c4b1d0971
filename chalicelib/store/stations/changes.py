"""Writes that change a station together with another table, each one transaction.

- prices: the new prices, the version bump, the history entry and the price-drop fan-out's
  outbox message commit together, on the condition that the version is still the one the
  change was computed from;
- promotions: the promotion item and its copies on the station items (so a search reads them
  with the station) are created or deleted together.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from chalicelib.domain.stations.promotions import Promotion
from chalicelib.store.stations import price_history, promotions
from chalicelib.store.base import error_code, get_connection, transaction_condition_failed
from chalicelib.store.stations.stations import StationModel


def change_prices(change: price_history.PriceChange, expected_version: int,
                  also: Callable | None = None) -> bool:
    """Apply the new guide and pump prices, and `also(tx)` (the outbox messages the change
    owes) with them; False when the station changed (or vanished) since."""
    actions = [StationModel.version.set(change.version)]
    for g in change.grades:
        actions += [Path(["grades", g.grade, "guide"]).set(g.new_guide_price_fen),
                    Path(["grades", g.grade, "pump"]).set(g.new_pump_price_fen),
                    Path(["grades", g.grade, "member"]).set(dict(g.new_member_prices))]
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.update(StationModel(change.station_id), actions=actions,
                      condition=StationModel.version == expected_version)
            tx.save(price_history.to_model(change),
                    condition=price_history.PriceChangeModel.station_id.does_not_exist())
            if also is not None:
                also(tx)
    except TransactWriteError as err:
        if transaction_condition_failed(err):
            return False
        raise
    return True


def set_stock(station_id: str, levels_ml: dict[str, int]) -> bool:
    """Set the tank levels of grades the station sells; False if it does not (or is gone)."""
    condition = StationModel.station_id.exists()
    for grade in levels_ml:
        condition &= Path(["grades", grade]).exists()
    try:
        StationModel._get_connection().update_item(
            station_id, actions=[Path(["stock", g]).set(ml) for g, ml in levels_ml.items()],
            condition=condition)
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def add_promotion(promotion: Promotion, created_by: str, created_at: datetime,
                  ended_by_station: dict[str, list[str]], *, first_try: bool = True) -> bool:
    """Create the promotion and copy it onto its stations, dropping the copies of promotions
    that have ended (`ended_by_station`); False when a station is gone or the id is taken."""
    try:
        _write_promotion(promotion, created_by, created_at, ended_by_station)
    except TransactWriteError as err:
        if transaction_condition_failed(err):
            return False
        if not (first_try and _missing_map(err)):
            raise
        # Station items written before they always carried the map: give them one, once.
        for station_id in promotion.station_ids or ():
            _ensure_promotions_map(station_id)
        return add_promotion(promotion, created_by, created_at, ended_by_station,
                             first_try=False)
    return True


def _write_promotion(promotion, created_by, created_at, ended_by_station) -> None:
    model = promotions.to_model(promotion, created_by, created_at)
    doc = promotions.to_doc(promotion)
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.save(model, condition=promotions.PromotionModel.promotion_id.does_not_exist())
            for station_id in sorted(promotion.station_ids or ()):
                actions = [Path(["promotions", promotion.id]).set(doc)]
                actions += [Path(["promotions", old]).remove()
                            for old in ended_by_station.get(station_id, ()) if old != promotion.id]
                tx.update(StationModel(station_id), actions=actions,
                          condition=StationModel.station_id.exists())
    finally:
        promotions.forget_chain_kept()  # this process's searches show its own writes at once


def remove_promotion(promotion: Promotion) -> bool:
    """Delete the promotion and its copies; False when it was already deleted."""
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.delete(promotions.PromotionModel(promotion.id),
                      condition=promotions.PromotionModel.promotion_id.exists())
            for station_id in sorted(promotion.station_ids or ()):
                tx.update(StationModel(station_id),
                          actions=[Path(["promotions", promotion.id]).remove()],
                          condition=StationModel.station_id.exists())
    except TransactWriteError as err:
        if transaction_condition_failed(err):
            return False
        raise
    finally:
        promotions.forget_chain_kept()  # this process's searches show its own deletes at once
    return True


def _missing_map(err: TransactWriteError) -> bool:
    return "document path" in str(getattr(err, "cause", "") or err)


def _ensure_promotions_map(station_id: str) -> None:
    try:
        StationModel._get_connection().update_item(
            station_id, actions=[StationModel.promotions.set({})],
            condition=StationModel.station_id.exists() & StationModel.promotions.does_not_exist())
    except UpdateError as err:
        if error_code(err) != "ConditionalCheckFailedException":
            raise
