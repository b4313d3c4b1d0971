"""WeChat Pay's notifications (TRANSACTION.SUCCESS, REFUND.*): verified, then their
AEAD_AES_256_GCM resource decrypted with the APIv3 key."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from chalicelib.providers.wechatpay import crypto
from chalicelib.providers.wechatpay.errors import InvalidNotification
from chalicelib.providers.wechatpay.signatures import Verifier, lowered


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
    create_time: str
    summary: str
    resource: dict  # the decrypted transaction or refund


def parse_notification(verifier: Verifier, apiv3_key: str, headers: Mapping[str, str],
                       body: bytes, now: float | datetime | None = None) -> Notification:
    """Verify and decrypt a notification; raises InvalidNotification (code FAIL) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidNotification("body is not UTF-8") from None
    problem = verifier.problem(lowered(headers), text, now)
    if problem:
        raise InvalidNotification(problem)
    try:
        envelope = json.loads(text)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise InvalidNotification(f"unknown algorithm {resource.get('algorithm')}")
        plaintext = crypto.aead_decrypt(apiv3_key, resource["nonce"],
                                        resource.get("associated_data") or "",
                                        resource["ciphertext"])
        data = json.loads(plaintext)
        if not isinstance(data, dict):
            raise InvalidNotification("resource is not a JSON object")
        return Notification(id=envelope["id"], event_type=envelope["event_type"],
                            create_time=envelope.get("create_time", ""),
                            summary=envelope.get("summary", ""), resource=data)
    except crypto.DecryptionFailed:
        raise InvalidNotification("resource does not decrypt") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise InvalidNotification(f"malformed notification: {err!r}") from None
