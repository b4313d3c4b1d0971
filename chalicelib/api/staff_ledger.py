"""hq's audit of a driver's ledger: every hash chain recomputed and held against the account."""
from __future__ import annotations

import msgspec
from chalice import Blueprint

from chalicelib.api.http import current_staff, route
from chalicelib.api.shapes import shaped

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)


class ChainReport(msgspec.Struct):
    ok: bool
    entries: int
    first_broken_seq: int | None  # the first entry that does not verify (or is missing)
    reason: str | None
    balance: int  # the running balance of the entries that verified
    account_balance: int  # what the account item holds
    keyed: bool  # false for a chain written before heads were sealed (chain version 1)


class LedgerReport(msgspec.Struct):
    user_id: str
    ok: bool
    balance: ChainReport
    points: ChainReport
    points_debt: ChainReport  # points refunds took back that were no longer held


@route(bp, "/v1/staff/ledger/{user_id}/verify", methods=["GET"], auth="staff", ok=LedgerReport,
       summary="Recompute a driver's balance, points and points debt chains and report the first "
               "broken link (hq)",
       errors={400: ("USER_ID_INVALID",), 403: ("ROLE_NOT_ALLOWED",)})
def verify_ledger(user_id):
    from chalicelib.services.wallet import ledger_audit

    staff = current_staff(bp.current_request)
    return shaped(ledger_audit.verify_account(staff, user_id), LedgerReport)
