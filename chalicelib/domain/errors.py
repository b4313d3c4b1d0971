"""Domain errors: each carries a stable code; api/errors.py maps each class to one HTTP status."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can cause or must be told about."""

    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class InvalidInput(DomainError):
    """The request is malformed or a field is out of range (400)."""

    code = "INVALID_INPUT"


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not verify (401)."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this (403)."""

    code = "FORBIDDEN"


class NotFound(DomainError):
    """The thing does not exist, or is not the caller's to see (404)."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""

    code = "CONFLICT"


class RuleViolation(DomainError):
    """Well-formed, but a business rule refuses it (422)."""

    code = "RULE_VIOLATION"


class RateLimited(DomainError):
    """Too many requests, here or at an upstream (429)."""

    code = "RATE_LIMITED"


class UpstreamUnavailable(DomainError):
    """An outside system (WeChat, WeChat Pay, the invoice issuer) did not answer in time (503)."""

    code = "UPSTREAM_UNAVAILABLE"
