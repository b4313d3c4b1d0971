"""A coupon campaign as marketing reads it: users granted and skipped so far (and why), done once
every user listed has been decided."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.marketing.states import CampaignStatus


@dataclass(frozen=True)
class Campaign:
    id: str
    template_id: str
    total: int  # distinct users listed
    granted: int
    skipped_by_reason: Mapping[str, int]  # sold_out, limit_reached, ... -> users skipped
    created_at: datetime
    created_by: str

    @property
    def skipped(self) -> int:
        return sum(self.skipped_by_reason.values())

    @property
    def status(self) -> CampaignStatus:
        return (CampaignStatus.DONE if self.granted + self.skipped >= self.total
                else CampaignStatus.RUNNING)
