"""Users and staff in the store, on moto and on DynamoDB Local."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

from chalicelib.domain.passwords import hash_password
from chalicelib.services.identity import logins as identity
from chalicelib.store.identity import staff as staff_store
from chalicelib.store.identity import users as user_store
from tests.races import all_at_once


def test_concurrent_first_logins_of_one_openid_create_one_user(real_dynamodb):
    # DynamoDB Local only: moto does not make a conditional write atomic under concurrency.
    openid = f"o-{uuid.uuid4().hex}"
    results, barrier = [], threading.Barrier(12)

    def first_login():
        barrier.wait()
        results.append(identity._find_or_create_user(openid, None).id)

    threads = [threading.Thread(target=first_login) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 12 and len(set(results)) == 1
    assert user_store.find_user_id_by_openid(openid) == results[0]
    users = real_dynamodb.scan(TableName="fuel-local-users", FilterExpression="openid = :o",
                          ExpressionAttributeValues={":o": {"S": openid}})["Items"]
    assert len(users) == 1


def test_a_claimed_openid_is_never_written_twice(dynamodb):
    openid = f"o-{uuid.uuid4().hex}"
    now = datetime.now(timezone.utc)
    first = user_store.User(id=f"u_{uuid.uuid4().hex}", openid=openid, created_at=now)
    second = user_store.User(id=f"u_{uuid.uuid4().hex}", openid=openid, created_at=now)

    assert user_store.create_user(first) is True
    assert user_store.create_user(second) is False

    assert user_store.get_user(second.id) is None
    assert user_store.find_user_id_by_openid(openid) == first.id


def test_parallel_guesses_verify_no_more_passwords_than_the_limit(real_dynamodb, monkeypatch):
    # DynamoDB Local only: the count must hold under real concurrency, not only in sequence.
    monkeypatch.setenv("STAFF_MAX_FAILED_LOGINS", "3")
    from tests.conftest import reset_caches
    reset_caches()
    username = f"mgr-{uuid.uuid4().hex[:8]}"
    staff_store.put_staff(staff_store.StaffAccount(
        username=username, staff_id=f"s_{username}", role="manager",
        station_ids=frozenset({"ty-001"}), password_hash=hash_password("pw")))
    checked = []
    real_verify = identity.verify_password
    monkeypatch.setattr(identity, "verify_password",
                        lambda password, hashed: checked.append(hashed) or real_verify(password, hashed))

    outcomes = all_at_once([lambda: identity.login_staff(username, "guess", client_address="192.0.2.1")
                            for _ in range(12)], keep_errors=True)

    assert all(getattr(o, "code", None) == "INVALID_CREDENTIALS" for o in outcomes)
    real_checks = [h for h in checked if h != identity.dummy_hash()]
    assert len(real_checks) == 3


def test_a_staff_rewrite_raises_the_token_version(dynamodb):
    username = f"mgr-{uuid.uuid4().hex[:8]}"
    account = staff_store.StaffAccount(username=username, staff_id=f"s_{username}",
                                       role="manager", station_ids=frozenset({"ty-001"}),
                                       password_hash=hash_password("pw"))
    first = staff_store.put_staff(account)

    second = staff_store.put_staff(account)

    assert second == first + 1 == staff_store.get_staff(username).token_version
    assert staff_store.revoke_tokens(username, disable=True) == second + 1
    assert staff_store.get_staff(username).disabled
    assert staff_store.revoke_tokens("nobody-" + username) is None
