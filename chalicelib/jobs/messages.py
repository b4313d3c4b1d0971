"""The message bodies the queue workers accept, one typed struct per queue.

A body that does not fit raises when decoded (jobs/batches.decode), so each worker handles only
well-formed messages and a malformed one is reported as that record's failure. Unknown fields
are ignored, so a publisher may add one before the worker reads it.
"""
from __future__ import annotations

from typing import Annotated, Any

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1)]


class InvoiceWork(msgspec.Struct, frozen=True):
    """Advance one invoice (services/invoices/work.advance). `fresh`: sent by the request that
    created it, so it is REQUESTED and never tried unless someone moved it on since."""
    invoice_id: Id
    fresh: bool = False


class CampaignChunk(msgspec.Struct, frozen=True):
    """One chunk of a coupon campaign's users (services/marketing/campaigns.grant_chunk)."""
    campaign_id: Id
    user_ids: list[Id]


class PriceDrop(msgspec.Struct, frozen=True):
    grade: Id
    old_price_fen: int
    new_price_fen: int


class PriceDropFanOut(msgspec.Struct, frozen=True):
    """One page of a price change's followers (services/notifications/price_alerts.fan_out);
    `after` is the user id the previous page ended at."""
    station_id: Id
    station_name: str
    changed_at: Id
    changes: list[PriceDrop]
    after: str | None = None


class NotificationEvent(msgspec.Struct, frozen=True):
    """One notification event (services/notifications/sender.deliver checks its data against
    the template of its kind)."""
    kind: Id
    user_id: Id
    event_id: Id
    data: dict[str, Any]
    page: str | None = None
