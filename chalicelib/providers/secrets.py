"""Secrets: one JSON document per stage, from Secrets Manager in AWS or a file written by the devstack.

Keys used: token_signing_key, wechat_app_secret, wechatpay_merchant_private_key_pem,
wechatpay_merchant_serial, wechatpay_apiv3_key, wechatpay_public_key_pem,
wechatpay_public_key_id, invoice_app_key, invoice_app_secret, file_link_signing_key (the mailed
invoice download links).
"""
from __future__ import annotations

import json
from functools import lru_cache

from chalicelib.settings import get_settings


class MissingSecret(KeyError):
    pass


@lru_cache(maxsize=1)
def _load() -> dict:
    settings = get_settings()
    if settings.secrets_file:
        with open(settings.secrets_file, encoding="utf-8") as fh:
            return json.load(fh)
    if settings.secrets_id:
        import boto3  # imported here: only the first secret read pays for it

        client = boto3.client("secretsmanager", region_name=settings.aws_region,
                              endpoint_url=settings.endpoint_for("secretsmanager"))
        return json.loads(client.get_secret_value(SecretId=settings.secrets_id)["SecretString"])
    return {}


def get_secret(name: str) -> str:
    try:
        return _load()[name]
    except KeyError:
        raise MissingSecret(name) from None


def clear_cache() -> None:
    """Forget loaded secrets (tests, and rotation)."""
    _load.cache_clear()
