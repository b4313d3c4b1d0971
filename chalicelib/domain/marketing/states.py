"""The closed sets of marketing: what a coupon template, a held coupon, a popup and a campaign
can be. Stored as their values; the API lists them (api/contract.one_of)."""
from __future__ import annotations

from enum import StrEnum


class CouponKind(StrEnum):
    AMOUNT_OFF = "amount_off"  # 满X减Y
    PER_LITRE_OFF = "per_litre_off"  # 每升减Y


class Audience(StrEnum):
    """Who may claim a template: anyone in the coupon centre, or only a campaign's list."""
    PUBLIC = "public"
    CAMPAIGN = "campaign"


class TemplateStatus(StrEnum):
    """A coupon template: claimable while ACTIVE; PAUSED may resume; ENDED is final."""
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"


class CouponStatus(StrEnum):
    """A coupon a driver holds, as of a moment (domain/marketing/coupons.coupon_status)."""
    USABLE = "usable"
    USED = "used"
    EXPIRED = "expired"


class PopupState(StrEnum):
    """What a manager last did to a popup, as stored."""
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class PopupStatus(StrEnum):
    """What a popup is at a moment, as staff see it: its state read with its window."""
    SCHEDULED = "scheduled"
    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"


class CampaignStatus(StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"
