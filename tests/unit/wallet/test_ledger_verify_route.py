"""GET /v1/staff/ledger/{user_id}/verify: hq recomputes a driver's chains; every kind of
tampering with the stored records is reported at the first broken entry."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from chalicelib.domain.wallet import changes, points_changes
from chalicelib.domain.wallet.points import DEFAULT_RULES as RULES
from chalicelib.store.wallet import accounts as store
from chalicelib.store.wallet.accounts import AccountModel, LedgerModel
from tests.paystack import driver_auth, seed_driver, staff_auth, staff_principal

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def user_id(aws):
    user = f"u_{uuid.uuid4().hex}"
    account = store.commit_change(changes.for_topup(store.get_account(user), "TU" + "C" * 26,
                                                     100_000, None, NOW))
    for n in range(3):
        account = store.commit_change(changes.for_wallet_order(account, f"FO{n}", 1_000, 0, NOW))
    store.commit_change(points_changes.for_points_earned(account, "FO0", 20_000, NOW, RULES))
    return user


def _verify(client, user_id, role="hq"):
    return client.http.get(f"/v1/staff/ledger/{user_id}/verify",
                           headers=staff_auth(staff_principal(role)))


def test_an_untouched_ledger_verifies(client, user_id):
    answer = _verify(client, user_id)

    assert answer.status_code == 200
    # json.dumps of both: the keys in the order they have always been sent
    assert json.dumps(answer.json_body) == json.dumps({
        "user_id": user_id, "ok": True,
        "balance": {"ok": True, "entries": 4, "first_broken_seq": None, "reason": None,
                    "balance": 97_000, "account_balance": 97_000, "keyed": True},
        "points": {"ok": True, "entries": 1, "first_broken_seq": None, "reason": None,
                   "balance": 200, "account_balance": 200, "keyed": True},
        "points_debt": {"ok": True, "entries": 0, "first_broken_seq": None, "reason": None,
                        "balance": 0, "account_balance": 0, "keyed": True}})


def test_an_edited_entry_is_reported_at_its_seq(client, user_id):
    LedgerModel(f"{user_id}#balance", 3).update(actions=[LedgerModel.ref.set("FO-somewhere-else")])

    report = _verify(client, user_id).json_body

    assert report["ok"] is False and report["balance"]["first_broken_seq"] == 3
    assert report["points"]["ok"] is True


def test_a_deleted_entry_is_reported_as_missing(client, user_id):
    LedgerModel(f"{user_id}#balance", 2).delete()

    report = _verify(client, user_id).json_body["balance"]

    assert (report["ok"], report["first_broken_seq"]) == (False, 2)
    assert "missing" in report["reason"]


def test_a_deleted_last_entry_shows_against_the_account_head(client, user_id):
    LedgerModel(f"{user_id}#balance", 4).delete()

    report = _verify(client, user_id).json_body["balance"]

    assert (report["ok"], report["first_broken_seq"]) == (False, 4)


def test_a_balance_changed_on_the_account_alone_is_reported(client, user_id):
    AccountModel(user_id).update(actions=[AccountModel.bonus_fen.set(5_000)])

    report = _verify(client, user_id).json_body["balance"]

    assert report["ok"] is False and report["account_balance"] == 102_000


def test_only_hq_can_verify(client, user_id):
    manager = _verify(client, user_id, "manager")
    driver = client.http.get(f"/v1/staff/ledger/{user_id}/verify",
                             headers=driver_auth(seed_driver()))

    assert (manager.status_code, manager.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (driver.status_code, driver.json_body["code"]) == (403, "WRONG_TOKEN_KIND")


def test_an_unknown_user_has_empty_chains_and_a_malformed_id_is_refused(client, aws):
    empty = _verify(client, f"u_{uuid.uuid4().hex}").json_body
    malformed = _verify(client, "x" * 200)

    assert empty["ok"] is True and empty["balance"]["entries"] == 0
    assert (malformed.status_code, malformed.json_body["code"]) == (400, "USER_ID_INVALID")
