"""What every route shares: registration with error mapping, JSON bodies, query values, principals."""
from __future__ import annotations

import functools
import hashlib
import json
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.api import contract
from chalicelib.api.errors import error_response
from chalicelib.domain.errors import DomainError, InvalidInput, Unauthenticated

if TYPE_CHECKING:
    from chalicelib.services.identity.tokens import Principal

# The middleware refuses bodies above this with a 413 before any view runs.
MAX_BODY_BYTES = 64 * 1024


def route(bp: Blueprint, path: str, methods: list[str], *, summary: str = "",
          auth: str | None = None, body: type | None = None, query: type | None = None,
          ok: type | None = None, status: int = 200,
          errors: dict[int, tuple[str, ...]] | None = None, headers: tuple[str, ...] = (),
          path_schemas: dict[str, dict] | None = None, conditional: bool = False, **options):
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
                errors=dict(errors or {}), headers=tuple(headers),
                path_schemas=dict(path_schemas or {}),
                conditional=conditional))
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



def _bearer(request) -> str:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required", code="TOKEN_REQUIRED")
    return token.strip()


def current_driver(request) -> Principal:
    # Imported here, like every service: the token code (and its settings) loads on first use.
    from chalicelib.services.identity.tokens import DRIVER, verify_token

    return verify_token(_bearer(request), expected_kind=DRIVER)


def optional_driver(request) -> Principal | None:
    """The driver when a token is sent (e.g. for member prices), None without one."""
    if not request.headers.get("authorization"):
        return None
    return current_driver(request)


def current_staff(request) -> Principal:
    from chalicelib.services.identity.staff_accounts import verify_staff_token

    return verify_staff_token(_bearer(request))


def created(body: dict) -> Response:
    return Response(body=body, status_code=201)


def accepted(body: dict) -> Response:
    return Response(body=body, status_code=202)


def conditional(request, body: dict) -> Response:
    """The answer with an ETag of its content; 304 without a body when the client's
    If-None-Match names it, so a poller whose view is unchanged downloads nothing."""
    content = json.dumps(body, sort_keys=True, default=str).encode()
    tag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if tag in (request.headers.get("if-none-match") or "").replace("W/", "").split(", "):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=200, headers=headers)




