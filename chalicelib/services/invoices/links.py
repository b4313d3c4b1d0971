"""Download links that outlive the credentials that sign them.

A mailed link points at our own route, `GET /v1/invoice-files/{token}`, where the token is a
JWT (HS256, its own key `file_link_signing_key` from our secrets) naming one stored file and
when the link expires. Following it checks the token and redirects to a presigned URL made at
that moment and valid for minutes, so the link works for as long as the token says, however
often the Lambda role's temporary credentials that sign the presigned URL are rotated.
"""
from __future__ import annotations

import time

from chalicelib.domain.errors import Forbidden
from chalicelib.providers.secrets import get_secret
from chalicelib.settings import get_settings

ISSUER = "fuel"
AUDIENCE = "invoice-file"
MAX_TOKEN = 2048
REDIRECT_TTL_S = 5 * 60   # the presigned URL only has to last until the download starts
_INVALID = "this download link is not valid"
_EXPIRED = "this download link has expired; have the invoice mailed again from the app"


def file_link(key: str, ttl_s: int, *, now: float | None = None) -> str:
    """The URL to mail for the stored file `key`, good for ttl_s seconds."""
    import jwt

    issued = int(time.time() if now is None else now)
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": key, "iat": issued,
                        "exp": issued + ttl_s}, get_secret("file_link_signing_key"),
                       algorithm="HS256")
    return f"{get_settings().public_base_url}/v1/invoice-files/{token}"


def resolve(token: str) -> str:
    """A fresh short-lived presigned URL of the file a valid token names; Forbidden with a fixed
    text for a forged, altered or expired one."""
    import jwt

    from chalicelib.providers.storage import presigned_get

    if not token or len(token) > MAX_TOKEN:
        raise Forbidden(_INVALID, code="INVALID_LINK")
    try:
        claims = jwt.decode(token, get_secret("file_link_signing_key"), algorithms=["HS256"],
                            audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "sub", "aud", "iss"]})
    except jwt.ExpiredSignatureError as err:
        raise Forbidden(_EXPIRED, code="LINK_EXPIRED") from err
    except jwt.PyJWTError as err:
        raise Forbidden(_INVALID, code="INVALID_LINK") from err
    key = claims["sub"]
    if not isinstance(key, str) or not key.startswith("invoices/"):
        raise Forbidden(_INVALID, code="INVALID_LINK")
    return presigned_get(key, REDIRECT_TTL_S)
