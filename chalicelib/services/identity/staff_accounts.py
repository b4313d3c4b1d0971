"""Staff tokens follow the account: each request checks the account's token version.

The version rises whenever the account's rights change (role or stations rewritten, disabled,
"log out everywhere"), so a token issued before that stops working on the next request,
not when it expires hours later. The price is one consistent read of the staff table per
staff request (docs/decisions.md, 2026-12-06).
"""
from __future__ import annotations

import re
from dataclasses import replace

from chalicelib.domain.cursors import STAFF_CURSOR_PATTERN, check_page
from chalicelib.domain.errors import Forbidden, NotFound, Unauthenticated
from chalicelib.domain.identity.roles import Role
from chalicelib.observability import get_logger
from chalicelib.services.identity.tokens import STAFF, Principal, verify_token
from chalicelib.store.identity import staff as staff_store


def verify_staff_token(token: str) -> Principal:
    principal = verify_token(token, expected_kind=STAFF)
    account = staff_store.get_staff(principal.username) if principal.username else None
    if (account is None or account.disabled or account.staff_id != principal.subject
            or account.token_version != principal.token_version):
        raise Unauthenticated("the token is no longer valid; log in again", code="TOKEN_REVOKED")
    # The name comes with the account just read, so what staff do can be signed with it.
    return replace(principal, display_name=account.display_name)


def log_out_everywhere(staff: Principal) -> None:
    """Every token of the caller's account stops working, this one included."""
    staff_store.revoke_tokens(staff.username or "")


def disable_account(staff: Principal, username: str) -> None:
    """hq only: the account can no longer log in, and its tokens stop working at once."""
    _require_hq(staff)
    if staff_store.revoke_tokens(username, disable=True) is None:
        raise NotFound("the staff account does not exist", code="STAFF_NOT_FOUND")
    get_logger().info("staff account disabled", extra={"by": staff.subject})


def list_accounts(staff: Principal, limit: int, cursor: str | None) -> dict:
    """hq only: {"items", "next_cursor"}, the staff accounts a page at a time (the route shapes
    them, so their password hashes never leave)."""
    _require_hq(staff)
    check_page(limit, cursor, _CURSOR)
    accounts, last = staff_store.page_staff(limit, cursor)
    return {"items": accounts, "next_cursor": last}


_CURSOR = re.compile(STAFF_CURSOR_PATTERN)


def _require_hq(staff: Principal) -> None:
    if staff.role != Role.HQ:
        raise Forbidden("only hq can manage staff accounts", code="ROLE_NOT_ALLOWED")
