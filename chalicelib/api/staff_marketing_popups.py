"""HQ marketing: home popups and banners (create, list with statistics, pause, resume, end)."""
from __future__ import annotations

from typing import Annotated, Literal, Union

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import literal_of
from chalicelib.api.http import created, current_staff, route
from chalicelib.api.shapes import shaped
from chalicelib.api.stations import doc_only
from chalicelib.domain.cursors import POPUP_CURSOR_PATTERN
from chalicelib.domain.marketing.states import PopupStatus
from chalicelib.domain.marketing.targeting import (
    MAX_DAYS, MAX_LIST_ITEMS, MAX_PRIORITY, MAX_RADIUS_M, MAX_RULES)

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

Days = Annotated[int, doc_only(minimum=1, maximum=MAX_DAYS)]
Names = Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]],
                  doc_only(minItems=1, maxItems=MAX_LIST_ITEMS)]


class NewUserRule(msgspec.Struct, tag="new_user", tag_field="kind", forbid_unknown_fields=True):
    """Registered less than `days` days ago."""
    days: Days


class MemberLevelRule(msgspec.Struct, tag="member_level", tag_field="kind",
                      forbid_unknown_fields=True):
    """Holds one of these member levels (silver, gold, platinum)."""
    levels: Names


class NearStationRule(msgspec.Struct, tag="near_station", tag_field="kind",
                      forbid_unknown_fields=True):
    """Within radius_m metres of the station (the position the home page was opened with)."""
    station_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    radius_m: Annotated[int, doc_only(minimum=1, maximum=MAX_RADIUS_M)]


class DistrictRule(msgspec.Struct, tag="district", tag_field="kind", forbid_unknown_fields=True):
    """In one of these districts (that of the nearest station), e.g. 迎泽区."""
    districts: Names


class InactiveDaysRule(msgspec.Struct, tag="inactive_days", tag_field="kind",
                       forbid_unknown_fields=True):
    """Has not fuelled for at least `days` days (counted from registration if never)."""
    days: Days


TargetingRule = Union[NewUserRule, MemberLevelRule, NearStationRule, DistrictRule, InactiveDaysRule]


class PopupIn(msgspec.Struct, forbid_unknown_fields=True):
    """Shown in [starts_at, ends_at) to drivers matching every rule (none: everyone), highest
    priority first, at most `frequency` per driver (once_ever, once_per_day: Asia/Shanghai day,
    unlimited)."""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    image_url: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    starts_at: Annotated[str, msgspec.Meta(max_length=40)]
    ends_at: Annotated[str, msgspec.Meta(max_length=40)]
    link: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    placement: Literal["popup", "banner"] = "popup"
    priority: Annotated[int, doc_only(minimum=0, maximum=MAX_PRIORITY)] = 0
    frequency: Literal["once_ever", "once_per_day", "unlimited"] = "once_per_day"
    rules: Annotated[list[TargetingRule], doc_only(maxItems=MAX_RULES)] = []


class PopupStats(msgspec.Struct):
    shown: int
    clicked: int


class PopupAdminView(msgspec.Struct):
    id: str
    placement: str
    title: str
    image_url: str
    link: str | None
    starts_at: str
    ends_at: str
    priority: int
    frequency: str
    rules: list[dict]
    status: literal_of(PopupStatus)
    created_by: str
    created_at: str
    stats: PopupStats


class PopupListQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, doc_only(minimum=1, maximum=100)] = 20
    cursor: Annotated[str, doc_only(pattern=POPUP_CURSOR_PATTERN)] | None = None


class PopupAdminPage(msgspec.Struct):
    items: list[PopupAdminView]
    next_cursor: str | None


_CHANGE_ERRORS = {403: ("ROLE_NOT_ALLOWED",), 404: ("POPUP_NOT_FOUND",),
                  409: ("POPUP_NOT_ACTIVE", "POPUP_NOT_PAUSED", "POPUP_ENDED")}


@route(bp, "/v1/staff/marketing/popups", methods=["POST"], auth="staff", body=PopupIn,
       ok=PopupAdminView, status=201, summary="Create a home popup or banner (HQ)",
       errors={400: ("POPUP_TITLE_REQUIRED", "IMAGE_URL_INVALID", "LINK_INVALID",
                     "POPUP_TIME_INVALID", "POPUP_WINDOW_INVALID", "POPUP_PRIORITY_INVALID",
                     "TARGETING_RULE_INVALID", "UNKNOWN_STATION", "UNKNOWN_MEMBER_LEVEL"),
               403: ("ROLE_NOT_ALLOWED",), 409: ("POPUP_ID_TAKEN",),
               422: ("POPUP_ALREADY_ENDED",)})
def create_popup(body: PopupIn):
    from chalicelib.services.marketing import popups as marketing_popups

    staff = current_staff(bp.current_request)
    fields = msgspec.structs.asdict(body)
    fields["rules"] = msgspec.to_builtins(body.rules)
    return created(shaped(marketing_popups.create_popup(staff, **fields), PopupAdminView))


@route(bp, "/v1/staff/marketing/popups", methods=["GET"], auth="staff", query=PopupListQuery,
       ok=PopupAdminPage, errors={400: ("LIMIT_OUT_OF_RANGE", "INVALID_CURSOR"),
                                  403: ("ROLE_NOT_ALLOWED",)},
       summary="Every popup and banner, latest end first, with shown and clicked counts (HQ)")
def list_popups(query: PopupListQuery):
    from chalicelib.services.marketing import popups as marketing_popups

    staff = current_staff(bp.current_request)
    return shaped(marketing_popups.list_popups(staff, query.limit, query.cursor), PopupAdminPage)


@route(bp, "/v1/staff/marketing/popups/{popup_id}/pause", methods=["POST"], auth="staff",
       ok=PopupAdminView, errors=_CHANGE_ERRORS, summary="Pause a live or scheduled popup (HQ)")
def pause_popup(popup_id: str):
    from chalicelib.services.marketing import popups as marketing_popups

    return shaped(marketing_popups.change_popup(current_staff(bp.current_request), popup_id,
                                                "pause"), PopupAdminView)


@route(bp, "/v1/staff/marketing/popups/{popup_id}/resume", methods=["POST"], auth="staff",
       ok=PopupAdminView, errors=_CHANGE_ERRORS, summary="Resume a paused popup (HQ)")
def resume_popup(popup_id: str):
    from chalicelib.services.marketing import popups as marketing_popups

    return shaped(marketing_popups.change_popup(current_staff(bp.current_request), popup_id,
                                                "resume"), PopupAdminView)


@route(bp, "/v1/staff/marketing/popups/{popup_id}/end", methods=["POST"], auth="staff",
       ok=PopupAdminView, errors=_CHANGE_ERRORS, summary="End a popup for good (HQ)")
def end_popup(popup_id: str):
    from chalicelib.services.marketing import popups as marketing_popups

    return shaped(marketing_popups.change_popup(current_staff(bp.current_request), popup_id,
                                                "end"), PopupAdminView)
