"""A boto3 client of one AWS service for this stage: its endpoint (the local stack's locally),
the region, and the app's connect/read timeouts with three attempts."""
from __future__ import annotations

import threading
from functools import lru_cache, wraps

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


def one_per_process(factory):
    """`lru_cache(maxsize=1)` for a client factory, called under a lock: the threads of a queue
    worker's batch asking at once share one client instead of each building its own (a client
    costs tens of milliseconds of CPU, and boto3's default session is not thread-safe)."""
    cached = lru_cache(maxsize=1)(factory)
    lock = threading.Lock()

    @wraps(factory)
    def get():
        with lock:
            return cached()

    get.cache_clear = cached.cache_clear
    return get
