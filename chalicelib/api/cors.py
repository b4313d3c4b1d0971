"""CORS for the browser origins the settings allow (the station console; locally also the API
reference).

The origin is read from settings per request, never at import time, so Chalice's static
per-route CORSConfig cannot carry it: the middleware asks this module instead. An origin not
allowed gets no CORS header at all (never `*`), so the browser refuses to hand it the answer.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.settings import get_settings

# What the API's own clients send: a bearer token, JSON bodies, an idempotency key, a request id,
# and the board's If-None-Match (an unchanged order list answers 304).
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, If-None-Match"
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSE_HEADERS = "X-Request-Id, ETag"
PREFLIGHT_MAX_AGE_S = "600"


def allowed_origin(request) -> str | None:
    """The request's Origin when the settings allow it, else None."""
    origin = request.headers.get("origin")
    if origin and origin in get_settings().cors_origins:
        return origin
    return None


def is_preflight(request) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def preflight_response(origin: str) -> Response:
    return Response(body="", status_code=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
        "Vary": "Origin"})


def add_headers(response: Response, origin: str) -> None:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    response.headers["Vary"] = "Origin"
