"""The one place where errors become HTTP: each domain error class has one status."""
from __future__ import annotations

from chalice import Response

from chalicelib.domain.errors import (Conflict, DomainError, Forbidden, InvalidInput, NotFound,
                                      RateLimited, RuleViolation, Unauthenticated,
                                      UpstreamUnavailable)
from chalicelib.observability import redact

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
    RateLimited: 429,
    UpstreamUnavailable: 503,
}

# Chalice answers some requests itself ({"Code": ..., "Message": ...}); these are their codes.
_CHALICE_CODES = {
    "BadRequestError": "BAD_REQUEST",
    "MethodNotAllowedError": "METHOD_NOT_ALLOWED",
    "UnsupportedMediaType": "UNSUPPORTED_MEDIA_TYPE",
    "NotFoundError": "NOT_FOUND",
    "RequestTimeoutError": "REQUEST_TIMEOUT",
    "TooManyRequestsError": "RATE_LIMITED",
    "InternalServerError": "INTERNAL_ERROR",
}


def status_of(err: DomainError) -> int:
    for cls in type(err).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_body(code: str, message: str, field: str | None = None,
               details: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    if details:
        body["details"] = details
    return body


def error_response(err: DomainError) -> Response:
    # Scrubbed once more here: a message built from an outside system's answer must never
    # hand a caller a URL query or a credential. `details`: figures an error carries for the
    # caller (e.g. FAR_FROM_STATION's distance).
    return Response(body=error_body(err.code, redact(err.message), err.field,
                                    getattr(err, "details", None)),
                    status_code=status_of(err), headers={"Content-Type": "application/json"})


def rewrite_chalice_error(response: Response) -> Response:
    """Give the errors Chalice produces on its own the shape of API.md."""
    body = response.body
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code = _CHALICE_CODES.get(body["Code"], "ERROR")
        response.body = error_body(code, str(body["Message"]))
        response.headers["Content-Type"] = "application/json"
    return response
