"""Drivers: one item per user, plus one claim item per WeChat openid that makes the openid unique."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.base import StageModel, get_connection, transaction_condition_failed


class UserModel(StageModel):
    logical_name = "users"

    class Meta:
        pass

    user_id = UnicodeAttribute(hash_key=True)
    openid = UnicodeAttribute()
    unionid = UnicodeAttribute(null=True)
    nickname = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class OpenIdClaimModel(StageModel):
    logical_name = "user-openids"

    class Meta:
        pass

    openid = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


@dataclass(frozen=True)
class User:
    id: str
    openid: str
    created_at: datetime
    unionid: str | None = None
    nickname: str | None = None


def _to_user(model: UserModel) -> User:
    return User(id=model.user_id, openid=model.openid, created_at=model.created_at,
                unionid=model.unionid, nickname=model.nickname)


def get_user(user_id: str) -> User | None:
    return UserModel.get_or_none(user_id, _to_user)


def read(user_id: str):
    """A batch read (store/batch.py) of the user: get_user's answer."""
    from chalicelib.store.batch import Read

    return Read(UserModel, user_id, lambda model: None if model is None else _to_user(model))


def find_user_id_by_openid(openid: str) -> str | None:
    try:
        return OpenIdClaimModel.get(openid, consistent_read=True).user_id
    except OpenIdClaimModel.DoesNotExist:
        return None


def create_user(user: User) -> bool:
    """Create the user and claim its openid in one transaction.

    Returns False when the openid was claimed first by another request (nothing is written then).
    """
    model = UserModel(user.id, openid=user.openid, unionid=user.unionid,
                      nickname=user.nickname, created_at=user.created_at)
    claim = OpenIdClaimModel(user.openid, user_id=user.id)
    try:
        with TransactWrite(connection=get_connection()) as tx:
            tx.save(claim, condition=OpenIdClaimModel.openid.does_not_exist())
            tx.save(model, condition=UserModel.user_id.does_not_exist())
    except TransactWriteError as err:
        if transaction_condition_failed(err):
            return False
        raise
    return True
