"""What every route shares: registration with error mapping, JSON bodies, query values, principals."""
from __future__ import annotations

import functools
import json

from chalice import Blueprint, Response

from chalicelib.api import contract
from chalicelib.api.errors import error_response
from chalicelib.domain.errors import DomainError, InvalidInput, Unauthenticated
from chalicelib.services.tokens import DRIVER, STAFF, Principal, verify_token

# The middleware refuses bodies above this with a 413 before any view runs.
MAX_BODY_BYTES = 64 * 1024


def route(bp: Blueprint, path: str, methods: list[str], *, summary: str = "",
          auth: str | None = None, body: type | None = None, query: type | None = None,
          ok: type | None = None, status: int = 200,
          errors: dict[int, tuple[str, ...]] | None = None, **options):
    """Register a view, its contract (api/contract.py) and the error mapping of API.md.

    With `body`/`query` types the view receives `body=`/`query=` already validated; a request
    that does not fit is a 400 naming the field. Chalice turns any exception from a view into a
    500 before middleware sees it, so domain errors are mapped here, around the view itself.
    """
    def register(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            try:
                request = bp.current_request
                if body is not None:
                    kwargs["body"] = contract.decode_body(request.raw_body, body)
                if query is not None:
                    kwargs["query"] = contract.decode_query(request.query_params, query)
                return view(*args, **kwargs)
            except DomainError as err:
                return error_response(err)

        bp.route(path, methods=methods, **options)(guarded)
        tag = view.__module__.rpartition(".")[2]
        for method in methods:
            contract.OPERATIONS.append(contract.Operation(
                path=path, method=method.lower(), summary=summary or view.__doc__ or "",
                tag=tag, auth=auth, body=body, query=query, ok_status=status, ok=ok,
                errors=dict(errors or {})))
        return view

    return register


def json_object(request) -> dict:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    raw = request.raw_body or b""
    if not raw.strip():
        raise InvalidInput("a JSON object body is required", code="BODY_REQUIRED")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise InvalidInput("the body is not valid JSON", code="MALFORMED_JSON") from err
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", code="BODY_NOT_OBJECT")
    return body


def text_field(body: dict, field: str, *, max_len: int = 128, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required and must be a non-empty string",
                           code="FIELD_REQUIRED", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters",
                           code="FIELD_TOO_LONG", field=field)
    return value


def _bearer(request) -> str:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required", code="TOKEN_REQUIRED")
    return token.strip()


def current_driver(request) -> Principal:
    return verify_token(_bearer(request), expected_kind=DRIVER)


def optional_driver(request) -> Principal | None:
    """The driver when a token is sent (e.g. for member prices), None without one."""
    if not request.headers.get("authorization"):
        return None
    return current_driver(request)


def current_staff(request) -> Principal:
    return verify_token(_bearer(request), expected_kind=STAFF)


def created(body: dict) -> Response:
    return Response(body=body, status_code=201)


def accepted(body: dict) -> Response:
    return Response(body=body, status_code=202)


def int_field(body: dict, field: str, *, minimum: int | None = None, maximum: int | None = None,
              required: bool = True) -> int | None:
    """An integer field; booleans, floats and numeric strings are refused (money is exact)."""
    value = body.get(field)
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required", code="FIELD_REQUIRED", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an integer", code="FIELD_NOT_INTEGER", field=field)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidInput(f"{field} must be between {minimum} and {maximum}",
                           code="FIELD_OUT_OF_RANGE", field=field)
    return value


def query_params(request) -> dict:
    return dict(request.query_params or {})


def query_number(params: dict, name: str, *, minimum: float, maximum: float,
                 default: float | None = None, integer: bool = False):
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise InvalidInput(f"{name} is required", code="PARAM_REQUIRED", field=name)
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", code="PARAM_NOT_NUMBER", field=name) from None
    if not (minimum <= value <= maximum):  # also refuses NaN
        raise InvalidInput(f"{name} must be between {minimum} and {maximum}",
                           code="PARAM_OUT_OF_RANGE", field=name)
    return value


def query_choice(params: dict, name: str, choices: tuple[str, ...], default: str | None = None):
    value = params.get(name) or default
    if value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}",
                           code="PARAM_INVALID", field=name)
    return value


def page_params(params: dict) -> tuple[int, str | None]:
    """`limit` (default 20, max 100) and the opaque `cursor` of list endpoints."""
    limit = query_number(params, "limit", minimum=1, maximum=100, default=20, integer=True)
    return limit, params.get("cursor") or None
