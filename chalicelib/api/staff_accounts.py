"""Staff sessions and accounts: log out everywhere, and hq disabling an account."""
from __future__ import annotations


from chalice import Blueprint, Response

from chalicelib.api.http import current_staff, route

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)



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
