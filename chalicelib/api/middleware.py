"""HTTP middleware: a correlation id on every log line and response, body size limit, error
shape, CORS for the allowed browser origins, and the request's time budget for outbound calls."""
from __future__ import annotations

from chalice import Response

from chalicelib import budget
from chalicelib.api import cors
from chalicelib.api.errors import error_body, rewrite_chalice_error
from chalicelib.api.http import MAX_BODY_BYTES
from chalicelib.observability import get_logger


def http_middleware(request, get_response):
    logger = get_logger()
    context = request.context or {}
    correlation_id = request.headers.get("x-request-id") or context.get("requestId") or "-"
    logger.append_keys(correlation_id=correlation_id, path=context.get("resourcePath"),
                       method=request.method)
    origin = cors.allowed_origin(request)
    if origin is not None and cors.is_preflight(request):
        response = cors.preflight_response(origin)
    elif len(request.raw_body or b"") > MAX_BODY_BYTES:
        response = Response(body=error_body("BODY_TOO_LARGE", "the body is too large"),
                            status_code=413)
    else:
        with budget.request_budget(getattr(request, "lambda_context", None)):
            response = rewrite_chalice_error(get_response(request))
    if response.status_code >= 500:
        logger.error("request failed", extra={"status": response.status_code})
    response.headers["X-Request-Id"] = correlation_id
    if origin is not None:
        cors.add_headers(response, origin)
    logger.remove_keys(["correlation_id", "path", "method"])
    return response
