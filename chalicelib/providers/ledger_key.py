"""KMS: the ledger's HMAC key (domain/wallet/ledger_keys.py). GenerateMac to seal a chain head,
VerifyMac to check one; the key material never leaves KMS, so no function can read it, and IAM
decides who may seal (the writers) and who may verify (hq's audit): infra/roles.py.

MACs travel as base64 text. On the local stage without LEDGER_KEY_ID, `sign` answers None (heads
are written unsealed, as before the key) and `verify` False; on any other stage a missing key
id is an error, so a misconfigured function fails instead of writing unsealed heads.
"""
from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from chalicelib.providers import aws
from chalicelib.settings import get_settings

ALGORITHM = "HMAC_SHA_256"


class LedgerKeyMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def _kms():
    return aws.client("kms")


def _key_id() -> str | None:
    settings = get_settings()
    if not settings.ledger_key_id and not settings.is_local:
        raise LedgerKeyMissing("LEDGER_KEY_ID is not set for this function")
    return settings.ledger_key_id


def sign(message: bytes) -> str | None:
    key_id = _key_id()
    if not key_id:
        return None
    mac = _kms().generate_mac(KeyId=key_id, MacAlgorithm=ALGORITHM, Message=message)["Mac"]
    return base64.b64encode(mac).decode("ascii")


def verify(message: bytes, mac: str) -> bool:
    key_id = _key_id()
    if not key_id:
        return False
    try:
        raw = base64.b64decode(mac, validate=True)
    except (binascii.Error, ValueError):
        return False
    if not raw:
        return False
    client = _kms()
    try:
        answer = client.verify_mac(KeyId=key_id, MacAlgorithm=ALGORITHM, Message=message,
                                   Mac=raw)
    except client.exceptions.KMSInvalidMacException:
        return False
    return bool(answer.get("MacValid"))


def clear_cache() -> None:
    _kms.cache_clear()
