"""One service-wide structured logger; modules use `get_logger()` and never print."""
from __future__ import annotations

from functools import lru_cache

SERVICE = "fuel"


@lru_cache(maxsize=1)
def get_logger():
    # Imported here: Powertools is only paid for once a handler actually logs.
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)
