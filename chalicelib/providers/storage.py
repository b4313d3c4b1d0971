"""Private object storage (S3) for invoice files and pump codes, handed out only through
presigned GET URLs.

Locally the endpoint is the moto server: path-style addressing there, so a presigned URL is a
plain http://host:port/bucket/key that any HTTP client can download.
"""
from __future__ import annotations

from chalicelib.providers import aws  # light: boto3 loads on the first client
from chalicelib.settings import get_settings


@aws.one_per_process
def get_s3():
    style = "path" if get_settings().endpoint_for("s3") else "auto"
    return aws.client("s3", signature_version="s3v4", s3={"addressing_style": style})


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
