"""Use cases of identity: driver login through WeChat, staff login with a password, profiles."""
from __future__ import annotations

import uuid
from datetime import datetime

from chalicelib.domain.errors import NotFound, RateLimited, Unauthenticated
from chalicelib.domain.passwords import dummy_hash, verify_password
from chalicelib.domain import times
from chalicelib.observability import get_logger, mask
from chalicelib.providers.wechat import get_wechat
from chalicelib.services.identity.tokens import DRIVER, STAFF, Principal, issue_token
from chalicelib.settings import get_settings
from chalicelib.store import throttles
from chalicelib.store.identity import staff as staff_store
from chalicelib.store.identity import users as user_store


def login_driver(code: str) -> dict:
    """Exchange a wx.login code for our token; a new openid creates the user exactly once.
    {"token", "expires_in", "user"}: the user as stored (the route shows only its profile)."""
    session = get_wechat().code_to_session(code)
    user = _find_or_create_user(session.openid, session.unionid)
    ttl = get_settings().driver_token_ttl_s
    token = issue_token(Principal(kind=DRIVER, subject=user.id), ttl)
    get_logger().info("driver logged in", extra={"user_id": user.id})
    return {"token": token, "expires_in": ttl, "user": user}


def _find_or_create_user(openid: str, unionid: str | None) -> user_store.User:
    user_id = user_store.find_user_id_by_openid(openid)
    if user_id is None:
        candidate = user_store.User(id=f"u_{uuid.uuid4().hex}", openid=openid,
                                    unionid=unionid, created_at=times.now())
        if user_store.create_user(candidate):
            return candidate
        # A concurrent first login claimed the openid; use the user it created.
        user_id = user_store.find_user_id_by_openid(openid)
    user = user_store.get_user(user_id) if user_id else None
    if user is None:
        raise NotFound("the user could not be found", code="USER_NOT_FOUND")
    return user


def get_profile(user_id: str) -> user_store.User:
    user = user_store.get_user(user_id)
    if user is None:
        raise NotFound("the user does not exist", code="USER_NOT_FOUND")
    return user


def login_staff(username: str, password: str, *, client_address: str | None,
                now: datetime | None = None) -> dict:
    """A staff token for the right password.

    Every attempt is counted before the password is checked (one atomic update per limit), and
    an unknown account, a wrong password and an account over its limit all get the same 401,
    so neither racing nor the answers tell a guesser anything. A limit lasts one window and
    then lapses by itself: no lock to keep alive, and a guesser's own address hits its limits
    long before the owner, elsewhere, is shut out (docs/decisions.md, 2026-12-06).
    """
    settings = get_settings()
    now = now or times.now()
    window = settings.staff_lockout_s
    address = client_address or "unknown"
    keys = (f"login-addr#{address}", f"login-pair#{username}#{address}", f"login-user#{username}")
    if throttles.hit(keys[0], window_s=window, now=now) > settings.staff_max_logins_per_address:
        raise RateLimited("too many login attempts from this address; try again later",
                          code="TOO_MANY_ATTEMPTS")
    within_limits = (
        throttles.hit(keys[1], window_s=window, now=now) <= settings.staff_max_failed_logins
        and throttles.hit(keys[2], window_s=window,
                          now=now) <= settings.staff_max_logins_per_account)
    account = staff_store.get_staff(username) if within_limits else None
    if account is None or account.disabled:
        verify_password(password, dummy_hash())  # same cost as a real check: no username probing
        raise _wrong_credentials(username)
    if not verify_password(password, account.password_hash):
        raise _wrong_credentials(username)
    for key in keys:  # counted before the check so racing cannot pass a limit; only failures stay
        throttles.forgive(key, window_s=window, now=now)
    principal = Principal(kind=STAFF, subject=account.staff_id, role=account.role,
                          station_ids=account.station_ids, username=account.username,
                          token_version=account.token_version)
    ttl = settings.staff_token_ttl_s
    return {"token": issue_token(principal, ttl), "expires_in": ttl, "staff": account}


def _wrong_credentials(username: str) -> Unauthenticated:
    get_logger().warning("staff login failed", extra={"username": mask(username)})
    return Unauthenticated("wrong username or password", code="INVALID_CREDENTIALS")
