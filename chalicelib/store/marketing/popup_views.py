"""Who saw which popup: the table `popup-views` (see infra/template.yaml).

One item per (user, popup, impression slot), slot_key "<popup id>#<slot>" with the domain's
impression_slot ("ever" or an Asia/Shanghai day). Claiming a slot is a conditional put, so a
view counts once however many of the user's devices report it at the same moment. Items expire
(TTL) when they can no longer cap anything, which keeps a user's seen log one small Query.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from chalicelib.domain.marketing.targeting import record_view
from chalicelib.store.base import StageModel, error_code


# The slot of a user's one counted click on a popup (beside its impression slots).
CLICK_SLOT = "click"


class PopupViewModel(StageModel):
    logical_name = "popup-views"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    slot_key = UnicodeAttribute(range_key=True)  # "<popup id>#<slot>"
    seen_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


def claim_view(user_id: str, popup_id: str, slot: str, seen_at: datetime,
               expires_at: datetime) -> bool:
    """Take the impression slot; False when this user's view of the popup there was recorded."""
    try:
        PopupViewModel(user_id, f"{popup_id}#{slot}", seen_at=seen_at,
                       expires_at=expires_at).save(
            condition=PopupViewModel.slot_key.does_not_exist())
    except PutError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def seen_log(user_id: str, now: datetime) -> dict[str, datetime]:
    """popup id -> the user's latest recorded view, from slots not yet expired."""
    log: dict[str, datetime] = {}
    for m in PopupViewModel.query(user_id, consistent_read=True):
        if m.expires_at is not None and m.expires_at <= now:
            continue  # TTL deletes lazily; an expired slot caps nothing
        if m.slot_key.endswith("#" + CLICK_SLOT):
            continue  # a click is counted apart; it caps no view
        log = record_view(log, m.slot_key.rpartition("#")[0], m.seen_at)
    return log
