"""Secrets: one JSON document per stage, from Secrets Manager in AWS or a file written by the devstack.

Keys used: token_signing_key, wechat_app_secret, wechatpay_merchant_private_key_pem,
wechatpay_merchant_serial, wechatpay_apiv3_key, wechatpay_public_key_pem,
wechatpay_public_key_id, invoice_app_key, invoice_app_secret, file_link_signing_key (the mailed
invoice download links).

Read from Secrets Manager, the document is kept for `SECRETS_CACHE_S` seconds (Powertools
parameters' cache), so a warm Lambda picks up a rotated secret within that time and no
redeploy is needed; within it, no request pays a Secrets Manager call. The devstack's file is
read once (it never rotates; tests clear the cache when they change it).
"""
from __future__ import annotations

import json
from functools import lru_cache

from chalicelib.settings import get_settings


class MissingSecret(KeyError):
    pass


def get_secret(name: str) -> str:
    try:
        return _document()[name]
    except KeyError:
        raise MissingSecret(name) from None


def _document() -> dict:
    settings = get_settings()
    if settings.secrets_file:
        return _file(settings.secrets_file)
    if settings.secrets_id:
        return _provider().get(settings.secrets_id, max_age=settings.secrets_cache_s,
                               transform="json")
    return {}


@lru_cache(maxsize=1)
def _file(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _provider():
    # Imported here: only the first secret read pays for boto3 and Powertools parameters.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from chalicelib.providers import aws

    return SecretsProvider(boto3_client=aws.client("secretsmanager"))


def clear_cache() -> None:
    """Forget loaded secrets and the client (tests, and a changed environment)."""
    if _provider.cache_info().currsize:
        _provider().clear_cache()
    _provider.cache_clear()
    _file.cache_clear()
