"""Staff password hashing: scrypt from the standard library, salted, parameters stored with the hash.

Format: scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>. n=2**14, r=8, p=1 costs about 16 MiB and tens of
milliseconds per check: slow enough against guessing, fast enough for a Lambda.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

_N, _R, _P = 2 ** 14, 8, 1
_DKLEN = 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked against when the username is unknown, so both paths take the same time."""
    return hash_password("not-a-real-password", salt=b"\0" * 16)
