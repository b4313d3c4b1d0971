"""HQ marketing: coupon templates (create, list with figures, pause/resume/end) and campaigns
that grant a template's coupon to a list of drivers."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import literal_of, one_of
from chalicelib.api.http import accepted, created, current_staff, route
from chalicelib.api.shapes import shaped
from chalicelib.api.stations import doc_only
from chalicelib.domain.marketing.coupons import (
    MAX_CAMPAIGN_USERS, MAX_FIGURE_FEN, MAX_PER_USER, MAX_STATIONS, MAX_STOCK, MAX_VALID_DAYS)
from chalicelib.domain.marketing.states import (Audience, CampaignStatus, CouponKind,
                                                TemplateStatus)
from chalicelib.domain.stations.stations import GRADE_NAMES

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

# A next_cursor is opaque (domain/cursors.py encode_cursor); the service checks what it holds.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Fen = Annotated[int, doc_only(minimum=0, maximum=MAX_FIGURE_FEN)]


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    """amount_off (满减): amount_off_fen from min_spend_fen (0 = no threshold, else above the
    amount off); per_litre_off (每升减): per_litre_off_fen on the litres bought, from
    min_spend_fen. Claims open in [starts_at, ends_at); coupons are valid until ends_at, or
    valid_days from the claim. Leave station_ids / grades out to mean all."""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    kind: literal_of(CouponKind)
    starts_at: Annotated[str, msgspec.Meta(max_length=40)]
    ends_at: Annotated[str, msgspec.Meta(max_length=40)]
    total_stock: Annotated[int, doc_only(minimum=1, maximum=MAX_STOCK)]
    per_user_limit: Annotated[int, doc_only(minimum=1, maximum=MAX_PER_USER)] = 1
    amount_off_fen: Fen = 0
    per_litre_off_fen: Fen = 0
    min_spend_fen: Fen = 0
    station_ids: Annotated[list[Id], doc_only(maxItems=MAX_STATIONS)] | None = None
    grades: Annotated[list[Annotated[str, doc_only(enum=list(GRADE_NAMES))]],
                      msgspec.Meta(max_length=20)] | None = None
    valid_days: Annotated[int, doc_only(minimum=1, maximum=MAX_VALID_DAYS)] | None = None
    # public: listed in the coupon centre and claimable there; campaign: only a campaign hands
    # it out (a targeted offer nobody else can claim).
    audience: one_of(Audience) = Audience.PUBLIC


class TemplateListQuery(msgspec.Struct, forbid_unknown_fields=True):
    status: literal_of(TemplateStatus) | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    cursor: Annotated[str, msgspec.Meta(pattern=CURSOR_PATTERN)] | None = None


class TemplateStats(msgspec.Struct):
    issued: int
    stock_left: int
    used: int  # coupons an order holds (given back when it closes unpaid or is fully refunded)
    paid_orders: int
    revenue_fen: int  # paid by those orders, net of refunds


class TemplateView(msgspec.Struct):
    id: str
    kind: one_of(CouponKind)
    title: str
    description: str
    amount_off_fen: int
    per_litre_off_fen: int
    min_spend_fen: int
    station_ids: list[str] | None
    grades: list[str] | None
    starts_at: str
    ends_at: str
    valid_days: int | None
    total_stock: int
    per_user_limit: int
    audience: one_of(Audience)
    status: one_of(TemplateStatus)
    created_at: str
    created_by: str
    stats: TemplateStats


class TemplatePage(msgspec.Struct):
    items: list[TemplateView]
    next_cursor: str | None = None


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True):
    template_id: Id
    user_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_CAMPAIGN_USERS)]


class SkippedByReason(msgspec.Struct):
    sold_out: int
    limit_reached: int
    template_closed: int
    user_not_found: int


class CampaignView(msgspec.Struct):
    id: str
    template_id: str
    status: one_of(CampaignStatus)
    total: int  # distinct users listed
    granted: int
    skipped: int
    skipped_by_reason: SkippedByReason
    created_at: str
    created_by: str


_HQ = {403: ("ROLE_NOT_ALLOWED",)}
_CHANGE_ERRORS = {**_HQ, 404: ("TEMPLATE_NOT_FOUND",), 409: ("TEMPLATE_STATUS_CONFLICT",)}


@route(bp, "/v1/staff/marketing/coupon-templates", methods=["POST"], auth="staff", body=TemplateIn,
       ok=TemplateView, status=201, summary="Create a coupon template, ACTIVE at once (HQ)",
       errors={**_HQ, 400: ("TITLE_REQUIRED", "TITLE_INVALID", "COUPON_TIME_INVALID",
                            "COUPON_KIND_UNKNOWN",
                            "COUPON_WINDOW_INVALID", "COUPON_VALIDITY_INVALID",
                            "COUPON_STOCK_INVALID", "COUPON_SCOPE_INVALID",
                            "COUPON_FIGURE_INVALID", "UNKNOWN_GRADE", "TOO_MANY_STATIONS"),
               422: ("COUPON_ALREADY_ENDED", "UNKNOWN_STATION", "GRADE_NOT_SOLD")})
def create_template(body: TemplateIn):
    from chalicelib.services.marketing import coupon_templates

    staff = current_staff(bp.current_request)
    return created(shaped(coupon_templates.create_template(staff, **msgspec.structs.asdict(body)),
                          TemplateView))


@route(bp, "/v1/staff/marketing/coupon-templates", methods=["GET"], auth="staff",
       query=TemplateListQuery, ok=TemplatePage, errors={**_HQ, 400: ("INVALID_CURSOR",)},
       summary="Coupon templates newest first, with issued, stock left, used and revenue (HQ)")
def list_templates(query: TemplateListQuery):
    from chalicelib.services.marketing import coupon_templates

    staff = current_staff(bp.current_request)
    return shaped(coupon_templates.list_templates(staff, query.status, query.limit, query.cursor),
                  TemplatePage)


def _change(template_id: str, action: str) -> dict:
    from chalicelib.services.marketing import coupon_templates

    staff = current_staff(bp.current_request)
    return shaped(coupon_templates.change_status(staff, template_id, action), TemplateView)


@route(bp, "/v1/staff/marketing/coupon-templates/{template_id}/pause", methods=["POST"],
       auth="staff", ok=TemplateView, errors=_CHANGE_ERRORS,
       summary="Pause an ACTIVE template: no claims until resumed (HQ)")
def pause_template(template_id: str):
    return _change(template_id, "pause")


@route(bp, "/v1/staff/marketing/coupon-templates/{template_id}/resume", methods=["POST"],
       auth="staff", ok=TemplateView, errors=_CHANGE_ERRORS,
       summary="Resume a PAUSED template (HQ)")
def resume_template(template_id: str):
    return _change(template_id, "resume")


@route(bp, "/v1/staff/marketing/coupon-templates/{template_id}/end", methods=["POST"],
       auth="staff", ok=TemplateView, errors=_CHANGE_ERRORS,
       summary="End a template for good; coupons already held stay valid (HQ)")
def end_template(template_id: str):
    return _change(template_id, "end")


@route(bp, "/v1/staff/marketing/campaigns", methods=["POST"], auth="staff", body=CampaignIn,
       ok=CampaignView, status=202,
       summary="Grant one coupon of a template to each listed driver, off the request path (HQ)",
       errors={**_HQ, 400: ("USER_IDS_INVALID",), 404: ("TEMPLATE_NOT_FOUND",),
               422: ("TEMPLATE_NOT_ACTIVE", "COUPON_NOT_STARTED", "COUPON_EXPIRED",
                     "COUPON_OUT_OF_STOCK")})
def create_campaign(body: CampaignIn):
    from chalicelib.services.marketing import campaigns

    staff = current_staff(bp.current_request)
    return accepted(shaped(campaigns.create_campaign(staff, body.template_id, body.user_ids),
                           CampaignView))


@route(bp, "/v1/staff/marketing/campaigns/{campaign_id}", methods=["GET"], auth="staff",
       ok=CampaignView, errors={**_HQ, 404: ("CAMPAIGN_NOT_FOUND",)},
       summary="A campaign's progress: granted, skipped and why (HQ)")
def get_campaign(campaign_id: str):
    from chalicelib.services.marketing import campaigns

    return shaped(campaigns.get_campaign(current_staff(bp.current_request), campaign_id),
                  CampaignView)
