"""Users and staff in the store, on moto and on DynamoDB Local."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

from chalicelib.domain.passwords import hash_password
from chalicelib.services.identity import logins as identity
from chalicelib.store.identity import staff as staff_store
from chalicelib.store.identity import users as user_store


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


def test_failed_logins_lock_exactly_at_the_limit(dynamodb):
    username = f"mgr-{uuid.uuid4().hex[:8]}"
    staff_store.put_staff(staff_store.StaffAccount(
        username=username, staff_id=f"s_{username}", role="manager",
        station_ids=frozenset({"ty-001"}), password_hash=hash_password("pw")))
    lock_until = datetime.now(timezone.utc) + timedelta(minutes=15)

    counts = [staff_store.record_failed_login(username, max_failures=3, lock_until=lock_until)
              for _ in range(2)]
    assert counts == [1, 2] and staff_store.get_staff(username).locked_until is None

    staff_store.record_failed_login(username, max_failures=3, lock_until=lock_until)
    account = staff_store.get_staff(username)
    assert account.locked_until is not None and account.failed_logins == 0

    staff_store.record_successful_login(username)
    assert staff_store.get_staff(username).locked_until is None
