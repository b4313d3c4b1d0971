"""Popups and banners as they are listed at a moment: to staff with their status then and
their counts, to drivers as a card. The popup routes shape these into their answers
(api/shapes.py), so each answer's fields are written once, in its response type.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.marketing.states import PopupState, PopupStatus
from chalicelib.domain.marketing.targeting import rule_to_dict


def popup_status(record: Any, now: datetime) -> PopupStatus:
    """ended, paused, scheduled (not started yet) or live: a stored popup's state (`record`:
    store/marketing/popups.PopupRecord) read with its window at `now`."""
    if record.status == PopupState.ENDED or record.popup.ends_at <= now:
        return PopupStatus.ENDED
    if record.status == PopupState.PAUSED:
        return PopupStatus.PAUSED
    return PopupStatus.SCHEDULED if now < record.popup.starts_at else PopupStatus.LIVE


@dataclass(frozen=True)
class PopupListing:
    """A stored popup read at `at`: its words, author and counts are the record's own, its
    window, placement, priority and frequency its popup's, its rules in their stored form."""
    record: Any  # store/marketing/popups.PopupRecord
    at: datetime

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("record", "at"):  # never recurse while (un)pickling
            raise AttributeError(name)
        record = self.record
        return getattr(record, name) if hasattr(record, name) else getattr(record.popup, name)

    @property
    def status(self) -> PopupStatus:
        return popup_status(self.record, self.at)

    @property
    def rules(self) -> list[dict]:
        return [rule_to_dict(rule) for rule in self.record.popup.rules]

    @property
    def stats(self) -> dict:
        return {"shown": self.record.shown, "clicked": self.record.clicked}
