"""Signed bearer tokens (JWT, HS256) for drivers and staff.

A token says what kind of principal it is for; a driver route refuses a staff token (403) and the
reverse, while a token that does not verify or has expired is a 401. A staff token also names
its account and the account's token version, which services/identity/staff_accounts.py checks
on every request.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.domain.identity.roles import Role
from chalicelib.providers.secrets import get_secret

ISSUER = "fuel"
DRIVER, STAFF = "driver", "staff"


@dataclass(frozen=True)
class Principal:
    kind: str
    subject: str
    role: str | None = None
    station_ids: frozenset[str] = frozenset()
    username: str | None = None  # staff: the account, looked up on every request
    token_version: int = 0  # staff: the account's version when the token was issued
    display_name: str | None = None  # staff: the account's name on this request (not in the token)

    def can_act_on_station(self, station_id: str) -> bool:
        return self.role == Role.HQ or station_id in self.station_ids


def issue_token(principal: Principal, ttl_s: int, *, now: float | None = None) -> str:
    import jwt

    issued = int(now if now is not None else time.time())
    claims = {"iss": ISSUER, "sub": principal.subject, "kind": principal.kind,
              "iat": issued, "exp": issued + ttl_s, "jti": uuid.uuid4().hex}
    if principal.kind == STAFF:
        claims["role"] = principal.role
        claims["stations"] = sorted(principal.station_ids)
        claims["usr"] = principal.username
        claims["ver"] = principal.token_version
    return jwt.encode(claims, get_secret("token_signing_key"), algorithm="HS256")


def verify_token(token: str, *, expected_kind: str) -> Principal:
    import jwt

    try:
        claims = jwt.decode(token, get_secret("token_signing_key"), algorithms=["HS256"],
                            issuer=ISSUER, options={"require": ["exp", "iat", "sub", "iss"]})
    except jwt.ExpiredSignatureError as err:
        raise Unauthenticated("the token has expired", code="TOKEN_EXPIRED") from err
    except jwt.PyJWTError as err:
        raise Unauthenticated("the token is not valid", code="INVALID_TOKEN") from err
    kind = claims.get("kind")
    if kind not in (DRIVER, STAFF):
        raise Unauthenticated("the token is not valid", code="INVALID_TOKEN")
    if kind != expected_kind:
        raise Forbidden(f"a {kind} token cannot be used here", code="WRONG_TOKEN_KIND")
    return Principal(kind=kind, subject=str(claims["sub"]), role=claims.get("role"),
                     station_ids=frozenset(claims.get("stations") or ()),
                     username=claims.get("usr"), token_version=int(claims.get("ver") or 0))
