"""How every use case changes an order: decide on the order as read, write conditionally, and on
a lost race read again and decide again (the decision may now be "nothing to do").

This is what makes 50 copies of one notification produce one PAID transition: all read
PENDING_PAYMENT, one transaction wins, the others find PAID on the re-read and stop.
"""
from __future__ import annotations

from typing import Callable

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.orders.events import Transition
from chalicelib.domain.orders.ids import is_order_id
from chalicelib.domain.orders.orders import Order
from chalicelib.services.orders import effects as order_effects
from chalicelib.settings import get_settings
from chalicelib.store.orders import orders as order_store
from chalicelib.store.retries import retry_lost_writes

ORDER_BUSY = "the order is being changed by someone else; try again"


def find_order(order_id: str) -> Order | None:
    """The order by id; a malformed id is simply not found (and never reaches DynamoDB)."""
    return order_store.get_order(order_id) if is_order_id(order_id) else None


def change_order(order: Order | str, decide: Callable[[Order], Transition | None],
                 ) -> tuple[Order, Transition | None]:
    """Apply `decide(order)` until it is written or there is nothing left to do.

    Returns the order as it now stands and the transition written (None: nothing changed).
    """
    given = find_order(order) if isinstance(order, str) else order
    if given is None:
        raise NotFound("the order does not exist", code="ORDER_NOT_FOUND")

    def attempt(n: int) -> tuple[Order, Transition | None]:
        current = given if n == 0 else order_store.get_order(given.id)
        if current is None:
            raise NotFound("the order does not exist", code="ORDER_NOT_FOUND")
        transition = decide(current)
        if transition is None:
            return current, None
        transition = order_effects.commit(transition)
        return transition.after, transition
    return retry_lost_writes(attempt, order_store.StaleWrite,
                             busy=Conflict(ORDER_BUSY, code="ORDER_BUSY"))


def driver_actor(user_id: str) -> str:
    return f"driver:{user_id}"


def staff_actor(staff) -> str:
    return f"staff:{staff.subject}:{staff.role}"


def notify_url() -> str:
    """Where WeChat Pay sends payment and refund notifications (API.md: the webhook route)."""
    return get_settings().public_base_url + "/v1/webhooks/wechatpay"
