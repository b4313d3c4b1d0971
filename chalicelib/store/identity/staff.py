"""Station staff accounts: password hash, role, stations, and the failed-login lockout counters."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import (NumberAttribute, UnicodeAttribute, UnicodeSetAttribute,
                                 UTCDateTimeAttribute)
from pynamodb.exceptions import UpdateError

from chalicelib.store.base import StageModel, error_code


class StaffModel(StageModel):
    logical_name = "staff"

    class Meta:
        pass

    username = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    role = UnicodeAttribute()
    station_ids = UnicodeSetAttribute(null=True)
    display_name = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute()
    failed_logins = NumberAttribute(default=0)
    locked_until = UTCDateTimeAttribute(null=True)


@dataclass(frozen=True)
class StaffAccount:
    username: str
    staff_id: str
    role: str
    station_ids: frozenset[str]
    password_hash: str
    display_name: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None


def _to_account(model: StaffModel) -> StaffAccount:
    return StaffAccount(username=model.username, staff_id=model.staff_id, role=model.role,
                        station_ids=frozenset(model.station_ids or ()),
                        password_hash=model.password_hash, display_name=model.display_name,
                        failed_logins=int(model.failed_logins or 0),
                        locked_until=model.locked_until)


def get_staff(username: str) -> StaffAccount | None:
    try:
        return _to_account(StaffModel.get(username, consistent_read=True))
    except StaffModel.DoesNotExist:
        return None


def put_staff(account: StaffAccount) -> None:
    """Create or replace an account (seeding and administration)."""
    StaffModel(account.username, staff_id=account.staff_id, role=account.role,
               station_ids=set(account.station_ids) or None, display_name=account.display_name,
               password_hash=account.password_hash, failed_logins=0).save()


def record_failed_login(username: str, *, max_failures: int, lock_until: datetime) -> int:
    """Count a failed login atomically; the failure that reaches the limit locks the account.

    Returns the new failure count.
    """
    model = StaffModel(username)
    model.update(actions=[StaffModel.failed_logins.add(1)],
                 condition=StaffModel.username.exists())
    count = int(model.failed_logins)
    if count >= max_failures:
        try:
            model.update(actions=[StaffModel.locked_until.set(lock_until),
                                  StaffModel.failed_logins.set(0)],
                         condition=StaffModel.failed_logins == count)
        except UpdateError as err:
            # Another failure was counted in between; that request locks the account instead.
            if error_code(err) != "ConditionalCheckFailedException":
                raise
    return count


def record_successful_login(username: str) -> None:
    StaffModel(username).update(actions=[StaffModel.failed_logins.set(0),
                                         StaffModel.locked_until.remove()],
                                condition=StaffModel.username.exists())
