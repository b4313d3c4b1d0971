"""Login of drivers (WeChat) and staff (password), and the driver's own profile."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.contract import one_of
from chalicelib.api.http import current_driver, route
from chalicelib.api.shapes import shaped
from chalicelib.domain.identity.roles import Role

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class DriverLogin(msgspec.Struct, forbid_unknown_fields=True):
    code: Text  # what wx.login returned; single use, lives 5 minutes


# The openid (the user's identifier at WeChat) is never shown: the mini-program has no need for it.
class Profile(msgspec.Struct):
    id: str
    created_at: str
    nickname: str | None = None


class DriverSession(msgspec.Struct):
    token: str
    expires_in: int
    user: Profile


class StaffLogin(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Text


class StaffProfile(msgspec.Struct):
    id: str
    username: str
    role: one_of(Role)
    station_ids: list[str]
    display_name: str | None = None


class StaffSession(msgspec.Struct):
    token: str
    expires_in: int
    staff: StaffProfile


@route(bp, "/v1/auth/login", methods=["POST"], body=DriverLogin, ok=DriverSession,
       summary="Exchange a wx.login code for a driver token; a new openid creates the user",
       errors={401: ("INVALID_LOGIN_CODE",), 403: ("HIGH_RISK_USER",),
               429: ("WECHAT_RATE_LIMITED",), 503: ("UPSTREAM_UNAVAILABLE", "WECHAT_UNAVAILABLE")})
def driver_login(body: DriverLogin):
    from chalicelib.services.identity import logins as identity

    return shaped(identity.login_driver(body.code), DriverSession)


@route(bp, "/v1/me", methods=["GET"], auth="driver", ok=Profile,
       summary="The driver's own profile", errors={404: ("USER_NOT_FOUND",)})
def me():
    from chalicelib.services.identity import logins as identity

    return shaped(identity.get_profile(current_driver(bp.current_request).subject), Profile)


@route(bp, "/v1/staff/login", methods=["POST"], body=StaffLogin, ok=StaffSession,
       summary="Staff login: a staff token carrying role and stations",
       errors={401: ("INVALID_CREDENTIALS",), 429: ("TOO_MANY_ATTEMPTS",)})
def staff_login(body: StaffLogin):
    from chalicelib.services.identity import logins as identity

    source = (bp.current_request.context or {}).get("identity") or {}
    return shaped(identity.login_staff(body.username, body.password,
                                       client_address=source.get("sourceIp")), StaffSession)
