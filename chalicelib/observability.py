"""One service-wide structured logger; modules use `get_logger()` and never print."""
from __future__ import annotations

import threading
from functools import lru_cache

SERVICE = "fuel"
# Lambda runs one request at a time, but the local server and the workers run threads: two
# first calls at once would each configure the logger, and one would log with a bare formatter.
_FIRST_USE = threading.Lock()


def get_logger():
    with _FIRST_USE:
        return _logger()


@lru_cache(maxsize=1)
def _logger():
    # Imported here: Powertools is only paid for once a handler actually logs.
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)
