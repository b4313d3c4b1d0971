"""Station staff accounts: password hash, role, stations, and the token version every staff
token must match (any change of the account's rights raises it). Login attempts are counted
in store/throttles.py."""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import (BooleanAttribute, NumberAttribute, UnicodeAttribute,
                                 UnicodeSetAttribute)
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
    token_version = NumberAttribute(default=0)
    disabled = BooleanAttribute(null=True)


@dataclass(frozen=True)
class StaffAccount:
    username: str
    staff_id: str
    role: str
    station_ids: frozenset[str]
    password_hash: str
    display_name: str | None = None
    token_version: int = 0
    disabled: bool = False

    @property
    def id(self) -> str:
        """The staff id under the name a staff session's answer gives it (api/identity.py)."""
        return self.staff_id


def _to_account(model: StaffModel) -> StaffAccount:
    return StaffAccount(username=model.username, staff_id=model.staff_id, role=model.role,
                        station_ids=frozenset(model.station_ids or ()),
                        password_hash=model.password_hash, display_name=model.display_name,
                        token_version=int(model.token_version or 0),
                        disabled=bool(model.disabled))


def get_staff(username: str) -> StaffAccount | None:
    return StaffModel.get_or_none(username, _to_account)


def put_staff(account: StaffAccount) -> int:
    """Create or replace an account (seeding and administration); returns its token version.

    An update rather than a replace: the token version only ever goes up, so every token
    issued under the account's former role or stations stops working.
    """
    M = StaffModel
    model = M(account.username)
    model.update(actions=[
        M.staff_id.set(account.staff_id), M.role.set(account.role),
        M.station_ids.set(set(account.station_ids)) if account.station_ids
        else M.station_ids.remove(),
        M.display_name.set(account.display_name) if account.display_name
        else M.display_name.remove(),
        M.password_hash.set(account.password_hash), M.disabled.remove(),
        M.token_version.add(1)])
    return int(model.token_version)


def revoke_tokens(username: str, *, disable: bool = False) -> int | None:
    """Raise the account's token version (and disable it); None when there is no such account."""
    actions = [StaffModel.token_version.add(1)]
    if disable:
        actions.append(StaffModel.disabled.set(True))
    model = StaffModel(username)
    try:
        model.update(actions=actions, condition=StaffModel.username.exists())
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return None
        raise
    return int(model.token_version)


def page_staff(limit: int, after: str | None) -> tuple[list[StaffAccount], str | None]:
    """Up to `limit` accounts in the table's own (hash) order, from after the username `after`;
    and the last username read when the table may hold more. A scan: the staff table holds a
    chain's few hundred accounts, read by hq now and then."""
    start = {"username": {"S": after}} if after else None
    page = StaffModel.scan(limit=limit, page_size=limit, last_evaluated_key=start,
                           consistent_read=True)
    accounts = [_to_account(model) for model in page]
    last = page.last_evaluated_key
    return accounts, (last["username"]["S"] if last and len(accounts) == limit else None)
