"""What the staff of a station read of it besides its prices: the tank stock as last reported,
and the price history (who changed which grade's prices, when, from what to what)."""
from __future__ import annotations

from chalicelib.domain import times
from chalicelib.domain.errors import InvalidInput
from chalicelib.services.identity.tokens import Principal
from chalicelib.services.stations.admin import existing_station, require_station, stock_view
from chalicelib.store.stations import price_history

MAX_HISTORY = 50  # the store's newest-first page; older changes stay stored


def current_inventory(staff: Principal, station_id: str) -> dict:
    """The stock of one of the staff member's stations, as the inventory PUT answers it."""
    require_station(staff, station_id)
    return stock_view(existing_station(station_id))


def price_changes(staff: Principal, station_id: str, limit: int = 20) -> dict:
    """The station's newest price changes first, each grade with its old and new prices."""
    if not 1 <= limit <= MAX_HISTORY:
        raise InvalidInput(f"limit must be 1..{MAX_HISTORY}", code="LIMIT_OUT_OF_RANGE",
                           field="limit")
    require_station(staff, station_id)
    existing_station(station_id)
    return {"station_id": station_id, "items": [
        {"version": c.version, "changed_at": times.iso_z(c.changed_at), "changed_by": c.changed_by,
         "role": c.role,
         "grades": [{"grade": g.grade, "old_guide_price_fen": g.old_guide_price_fen,
                     "old_pump_price_fen": g.old_pump_price_fen,
                     "new_guide_price_fen": g.new_guide_price_fen,
                     "new_pump_price_fen": g.new_pump_price_fen,
                     "old_member_prices": dict(g.old_member_prices),
                     "new_member_prices": dict(g.new_member_prices)} for g in c.grades]}
        for c in price_history.price_history(station_id, limit)]}
