"""Staff sessions and accounts: hq listing and disabling accounts, and log out everywhere."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint, Response

from chalicelib.api.http import current_staff, route
from chalicelib.api.shapes import shaped
from chalicelib.api.stations import doc_only
from chalicelib.domain.cursors import STAFF_CURSOR_PATTERN

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


class AccountQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, doc_only(minimum=1, maximum=100)] = 50
    # next_cursor of the previous page, passed back unchanged
    cursor: Annotated[str, doc_only(pattern=STAFF_CURSOR_PATTERN)] | None = None


class AccountView(msgspec.Struct):
    username: str
    staff_id: str
    role: str  # attendant | manager | hq
    station_ids: list[str]  # sorted; empty for hq: every station
    display_name: str | None
    disabled: bool


class AccountPage(msgspec.Struct):
    items: list[AccountView]
    next_cursor: str | None


@route(bp, "/v1/staff/accounts", methods=["GET"], auth="staff", query=AccountQuery,
       ok=AccountPage, summary="Staff accounts a page at a time, disabled ones too (hq)",
       errors={400: ("LIMIT_OUT_OF_RANGE", "INVALID_CURSOR"), 403: ("ROLE_NOT_ALLOWED",)})
def list_accounts(query: AccountQuery):
    from chalicelib.services.identity import staff_accounts

    return shaped(staff_accounts.list_accounts(current_staff(bp.current_request), query.limit,
                                               query.cursor), AccountPage)


@route(bp, "/v1/staff/logout-all", methods=["POST"], auth="staff", status=204,
       summary="End every token of the caller's account (a lost phone, a shared desk)")
def log_out_everywhere():
    from chalicelib.services.identity import staff_accounts

    staff_accounts.log_out_everywhere(current_staff(bp.current_request))
    return Response(body="", status_code=204)


@route(bp, "/v1/staff/accounts/{username}/disable", methods=["POST"], auth="staff", status=204,
       summary="Disable a staff account (hq): no more logins, and its tokens stop at once",
       errors={403: ("ROLE_NOT_ALLOWED",), 404: ("STAFF_NOT_FOUND",)})
def disable_account(username: str):
    from chalicelib.services.identity import staff_accounts

    staff_accounts.disable_account(current_staff(bp.current_request), username)
    return Response(body="", status_code=204)
