"""Private object storage (S3) for invoice files and pump codes, handed out only through
presigned GET URLs.

Locally the endpoint is the moto server: path-style addressing there, so a presigned URL is a
plain http://host:port/bucket/key that any HTTP client can download.
"""
from __future__ import annotations

from functools import lru_cache

from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def get_s3():
    import boto3  # imported on first use: the API handler's cold start never pays for it
    from botocore.config import Config

    settings = get_settings()
    endpoint = settings.endpoint_for("s3")
    style = "path" if endpoint else "auto"
    config = Config(signature_version="s3v4", s3={"addressing_style": style},
                    connect_timeout=settings.http_connect_timeout_s,
                    read_timeout=settings.http_read_timeout_s, retries={"max_attempts": 3})
    return boto3.client("s3", region_name=settings.aws_region,
                        endpoint_url=endpoint, config=config)


def _bucket() -> str:
    bucket = get_settings().invoice_bucket
    if not bucket:
        raise RuntimeError("INVOICE_BUCKET is not configured")
    return bucket


def _pump_code_bucket() -> str:
    bucket = get_settings().pump_code_bucket
    if not bucket:
        raise RuntimeError("PUMP_CODE_BUCKET is not configured")
    return bucket


CONTENT_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd"}


def put_file(key: str, data: bytes, filename: str) -> None:
    """Store a file privately (the bucket blocks public access and encrypts at rest)."""
    kind = filename.rpartition(".")[2]
    get_s3().put_object(Bucket=_bucket(), Key=key, Body=data,
                        ContentType=CONTENT_TYPES.get(kind, "application/octet-stream"),
                        ContentDisposition=f'attachment; filename="{filename}"')


def presigned_get(key: str, ttl_s: int) -> str:
    """A time-limited download URL; signing is local, no request is made."""
    return get_s3().generate_presigned_url("get_object", Params={"Bucket": _bucket(), "Key": key},
                                           ExpiresIn=ttl_s)


def put_pump_code(key: str, png: bytes, filename: str) -> None:
    """Store a pump code's PNG privately (overwriting the code of the same scene)."""
    get_s3().put_object(Bucket=_pump_code_bucket(), Key=key, Body=png, ContentType="image/png",
                        ContentDisposition=f'attachment; filename="{filename}"')


def pump_code_exists(key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        get_s3().head_object(Bucket=_pump_code_bucket(), Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def presigned_pump_code(key: str, ttl_s: int) -> str:
    return get_s3().generate_presigned_url(
        "get_object", Params={"Bucket": _pump_code_bucket(), "Key": key}, ExpiresIn=ttl_s)
