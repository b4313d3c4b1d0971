"""The scheduled sweep over invoices with work left: polls the ones ISSUING, re-drives the
REQUESTED ones whose message went missing, retries mail and reversals, and lets each give up
(FAILED, with a reason) after its bounded number of attempts; see services/invoices/work.py."""
from __future__ import annotations

from collections import Counter
from typing import Callable

from chalicelib.domain.invoices import flow
from chalicelib.domain import times
from chalicelib.observability import get_logger
from chalicelib.services.invoices.work import advance
from chalicelib.store.invoices import invoices as store

PER_SHARD = 200
# Stop taking new invoices when less than this is left of the Lambda's time.
RESERVE_MS = 15_000


def sweep(remaining_ms: Callable[[], int] | None = None) -> dict[str, int]:
    """Advance every due invoice; returns how many ended in each status (and errors)."""
    now = times.iso_z(times.now(), micro=True)
    done: Counter = Counter()
    for shard in range(flow.WORK_SHARDS):
        for invoice_id in store.due_invoice_ids(now, str(shard), PER_SHARD):
            if remaining_ms is not None and remaining_ms() < RESERVE_MS:
                get_logger().warning("invoice sweep out of time", extra=dict(done))
                return dict(done)
            try:
                done[advance(invoice_id, scheduled=True)] += 1
            except Exception:  # noqa: BLE001 - one broken invoice must not stop the sweep
                get_logger().exception("invoice sweep step failed",
                                       extra={"invoice_id": invoice_id})
                done["error"] += 1
    if done:
        get_logger().info("invoice sweep", extra=dict(done))
    return dict(done)
