"""Check that an answer of the API matches what /v1/openapi.json documents for it.

The unit client fixture and the e2e tier route every response they receive through
`check_response`, so a route whose output drifts from its documented schema fails the tests
that happened to call it.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import msgspec

from chalicelib.api import contract


def _template_regex(path: str) -> re.Pattern:
    pattern = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", path)
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")


def find_operation(method: str, path: str) -> contract.Operation | None:
    path = urlparse(path).path.rstrip("/") or "/"
    matches = [op for op in contract.OPERATIONS
               if op.method == method.lower() and _template_regex(op.path).match(path)]
    # Concrete paths win over variables, as API Gateway routes them.
    matches.sort(key=lambda op: (op.path == "/{proxy+}", op.path.count("{")))
    return matches[0] if matches else None


def check_response(method: str, path: str, status: int, raw_body: bytes | str | None,
                   content_type: str | None = None) -> None:
    if content_type and not content_type.startswith("application/json") and status < 400:
        return  # e.g. a settlement as text/csv: its schema is not JSON
    op = find_operation(method, path)
    if op is None or op.path == "/{proxy+}":
        if status >= 400:
            _convert(raw_body, contract.Error, method, path, status)
        return
    if status == 304 and op.conditional:
        assert not raw_body, f"{method} {path} answered 304 with a body"
        return
    if status == op.ok_status:
        if op.ok is not None:
            _convert(raw_body, op.ok, method, path, status)
        return
    if status >= 400:
        _convert(raw_body, contract.Error, method, path, status)
        from chalicelib.api.openapi import _errors
        documented = _errors(op)
        assert status in documented or status in (404, 405, 500, 503), (
            f"{method} {path} answered {status}, which its contract does not document")
        code = json.loads(raw_body)["code"]
        if status in documented and status != 503:
            assert code in documented[status], (
                f"{method} {path} answered {status} {code}, not among {documented[status]}")
        return
    raise AssertionError(f"{method} {path} answered {status}, documented {op.ok_status}")


def _convert(raw_body, type_, method, path, status):
    try:
        data = json.loads(raw_body) if raw_body else None
        msgspec.convert(data, type=type_)
    except (ValueError, msgspec.ValidationError) as err:
        raise AssertionError(f"{method} {path} -> {status}: body does not match "
                             f"{type_.__name__}: {err}\n{raw_body!r}") from err
