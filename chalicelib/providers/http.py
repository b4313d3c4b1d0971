"""One HTTP session for outside systems: every call has connect and read timeouts and a bounded retry."""
from __future__ import annotations

import time
from functools import lru_cache
from urllib.parse import urlsplit

from chalicelib import budget
from chalicelib.domain.errors import UpstreamUnavailable
from chalicelib.settings import get_settings

# Connection failures and these statuses are retried; anything else is the caller's to judge.
RETRY_STATUSES = frozenset({502, 503, 504})
# Below this much of the request's time left, an attempt is not started at all.
MIN_ATTEMPT_S = 0.5


@lru_cache(maxsize=1)
def get_session():
    import os
    import urllib.request

    import requests  # imported on the first outbound call, not at Lambda start

    session = requests.Session()
    if not urllib.request.getproxies():
        # Without proxies in the environment, skip requests' per-call look-ups of proxy
        # variables and ~/.netrc (a scan of os.environ and a stat each, ~0.3 ms a call); the CA
        # bundle the environment may name is read here once instead.
        session.trust_env = False
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE") or True
    return session


def request(method: str, url: str, *, retries: int = 2, backoff_s: float = 0.2,
            idempotent: bool = True, **kwargs):
    """Send a request with timeouts; retry only when it is safe (idempotent or never sent),
    and only inside the request's budget (chalicelib/budget.py): each attempt waits at most
    the time left, and none starts when too little is left.

    Raises UpstreamUnavailable once the retries or the time are spent.
    """
    import requests

    settings = get_settings()
    connect_s, read_s = kwargs.pop(
        "timeout", (settings.http_connect_timeout_s, settings.http_read_timeout_s))
    attempt = 0
    failure: Exception | None = None
    while True:
        left = budget.remaining_s()
        if left is not None and left < MIN_ATTEMPT_S:
            raise UpstreamUnavailable(f"{_host(url)} could not be asked in the time left") \
                from failure
        timeout = (connect_s, read_s) if left is None else (min(connect_s, left),
                                                              min(read_s, left))
        try:
            response = get_session().request(method, url, timeout=timeout, **kwargs)
        except requests.ConnectionError as err:
            # A refused connection never reached the server, so even a POST may be resent.
            failure = err
        except requests.Timeout as err:
            if not idempotent:
                raise UpstreamUnavailable(f"{_host(url)} did not answer in time") from err
            failure = err
        else:
            if response.status_code not in RETRY_STATUSES or attempt >= retries:
                return response
            failure = RuntimeError(f"status {response.status_code}")
        if attempt >= retries:
            raise UpstreamUnavailable(f"{_host(url)} is unreachable") from failure
        attempt += 1
        time.sleep(backoff_s * (2 ** (attempt - 1)))


def _host(url: str) -> str:
    """Only the host of a URL for an error text: its query may hold the app secret or an
    access token, and requests' own error texts (kept as the cause) repeat the whole URL, so
    those stay out of every message and reach logs only through the scrubbing logger."""
    return urlsplit(url).hostname or "the outside system"
