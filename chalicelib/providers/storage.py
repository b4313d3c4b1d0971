"""Private object storage (S3) for invoice files, handed out only through presigned GET URLs.

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
