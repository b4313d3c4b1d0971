"""A boto3 client of one AWS service for this stage: its endpoint (the local stack's locally),
the region, and the app's connect/read timeouts with three attempts."""
from __future__ import annotations

from chalicelib.settings import get_settings


def client(service: str, **config):
    import boto3  # imported on first use, not at Lambda start
    from botocore.config import Config

    settings = get_settings()
    return boto3.client(service, region_name=settings.aws_region,
                        endpoint_url=settings.endpoint_for(service),
                        config=Config(connect_timeout=settings.http_connect_timeout_s,
                                      read_timeout=settings.http_read_timeout_s,
                                      retries={"max_attempts": 3}, **config))
