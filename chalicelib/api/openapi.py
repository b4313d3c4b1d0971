"""GET /v1/openapi.json: the OpenAPI 3.1 document, generated from the routes' own contract."""
from __future__ import annotations

import re
from functools import lru_cache

import msgspec
from chalice import Blueprint

from chalicelib.api import contract
from chalicelib.api.http import route
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
DOCUMENT_PATH = "/v1/openapi.json"
# A host as a browser may be sent to: a name or IPv4 address and an optional port.
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")

REF = "#/components/schemas/{name}"
SECURITY = {
    "driver": [{"driverBearer": []}],
    "driver_optional": [{}, {"driverBearer": []}],
    "staff": [{"staffBearer": []}],
    "wechatpay": [{"wechatpaySignature": []}],
}
# Errors every operation of a kind can answer, besides the ones it declares.
_COMMON = {
    "body": {400: ("BODY_REQUIRED", "MALFORMED_JSON", "BODY_NOT_OBJECT", "FIELD_REQUIRED",
                   "FIELD_INVALID", "UNKNOWN_FIELD"), 413: ("BODY_TOO_LARGE",), 415: ("UNSUPPORTED_MEDIA_TYPE",)},
    "query": {400: ("PARAM_REQUIRED", "PARAM_INVALID", "UNKNOWN_PARAM")},
    "driver": {401: ("TOKEN_REQUIRED", "INVALID_TOKEN", "TOKEN_EXPIRED"),
               403: ("WRONG_TOKEN_KIND",)},
    "staff": {401: ("TOKEN_REQUIRED", "INVALID_TOKEN", "TOKEN_EXPIRED", "TOKEN_REVOKED"),
              403: ("WRONG_TOKEN_KIND",)},
    "driver_optional": {401: ("INVALID_TOKEN", "TOKEN_EXPIRED"), 403: ("WRONG_TOKEN_KIND",)},
}


def documented(op: contract.Operation) -> bool:
    return op.path != "/{proxy+}"


def _errors(op: contract.Operation) -> dict[int, list[str]]:
    merged: dict[int, list[str]] = {}
    kinds = [k for k, present in (("body", op.body), ("query", op.query)) if present]
    kinds += [op.auth] if op.auth in _COMMON else []
    for table in [_COMMON[k] for k in kinds] + [op.errors]:
        for status, codes in table.items():
            merged.setdefault(status, [])
            merged[status] += [c for c in codes if c not in merged[status]]
    return dict(sorted(merged.items()))


def _query_parameters(query_type, schemas: dict) -> list[dict]:
    schema = schemas[query_type.__name__]
    return [{"name": name, "in": "query", "required": name in schema.get("required", []),
             "schema": prop} for name, prop in schema["properties"].items()]


def _operation(op: contract.Operation, schemas: dict) -> dict:
    doc: dict = {"operationId": f"{op.method}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower())}".strip("_"),
                 "summary": op.summary.strip().splitlines()[0] if op.summary else "",
                 "tags": [op.tag]}
    params = [{"name": name, "in": "path", "required": True,
               "schema": op.path_schemas.get(name, {"type": "string"})}
              for name in re.findall(r"{(\w+)}", op.path)]
    if op.query is not None:
        params += _query_parameters(op.query, schemas)
    params += [{"name": h, "in": "header", "required": True,
                "schema": {"type": "string", "pattern": "^[!-~]{1,128}$"}} for h in op.headers]
    if op.auth == "wechatpay":
        params += [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                   for h in ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                             "Wechatpay-Serial")]
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF.format(name=op.body.__name__)}}}}
    ok = {"description": "OK"}
    if op.ok_status == 302:
        ok = {"description": "Found: the Location header is where to go",
              "headers": {"Location": {"required": True,
                                       "schema": {"type": "string", "format": "uri"}}}}
    if op.ok is not None:
        ok["content"] = {"application/json": {"schema": {"$ref": REF.format(name=op.ok.__name__)}}}
    responses = {str(op.ok_status): ok}
    if op.conditional:
        params.append({"name": "If-None-Match", "in": "header", "required": False,
                       "schema": {"type": "string"}})
        doc["parameters"] = params
        ok["headers"] = {"ETag": {"required": True, "schema": {"type": "string"}}}
        responses["304"] = {"description": "Not Modified: the ETag named in If-None-Match is "
                                           "still current; no body"}
    for status, codes in _errors(op).items():
        responses[str(status)] = {
            "description": "codes: " + ", ".join(codes),
            "content": {"application/json": {"schema": {"$ref": REF.format(name="Error")}}}}
    doc["responses"] = responses
    if op.auth in SECURITY:
        doc["security"] = SECURITY[op.auth]
    return doc


@lru_cache(maxsize=1)
def build_document() -> dict:
    ops = [op for op in contract.OPERATIONS if documented(op)]
    types = {contract.Error}
    for op in ops:
        types.update(t for t in (op.body, op.query, op.ok) if t is not None)
    _, schemas = msgspec.json.schema_components(sorted(types, key=lambda t: t.__name__),
                                                ref_template=REF)
    paths: dict = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fuel mini-program API", "version": "1.0.0",
                 "description": "Money in integer fen, volumes in millilitres, prices in fen "
                                "per litre, times in UTC ISO 8601, coordinates GCJ-02 unless "
                                "`coord=wgs84`. Errors are {code, message, field?}."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "driverBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                 "description": "token from POST /v1/auth/login"},
                "staffBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                "description": "token from POST /v1/staff/login"},
                "wechatpaySignature": {"type": "apiKey", "in": "header",
                                       "name": "Wechatpay-Signature",
                                       "description": "WeChat Pay v3 platform signature over "
                                                      "timestamp, nonce and body"},
            },
        },
    }


class OpenApiDocument(msgspec.Struct):
    openapi: str
    info: dict
    paths: dict
    components: dict
    servers: list[dict] = []


def server_url(request) -> str:
    """This API's base URL as the caller reached it, so "Try it out" in a rendered reference
    calls this very API: the stage's URL in AWS, the devstack's API port locally.

    API Gateway gives the domain and the path as the client sent it (with the stage, or a
    custom domain's base path, before the route's own path); locally the Host header says
    which port the API was started on. A host that is not a plain host[:port] is not echoed.
    """
    context = request.context or {}
    settings = get_settings()
    host = context.get("domainName") or request.headers.get("host") or ""
    if not _HOST.match(host):
        return settings.public_base_url
    sent_path = context.get("path") or DOCUMENT_PATH
    if sent_path.endswith(DOCUMENT_PATH):
        prefix = sent_path[:-len(DOCUMENT_PATH)].rstrip("/")
    else:
        prefix = f"/{context['stage']}" if context.get("stage") else ""
    scheme = "http" if settings.is_local else "https"
    return f"{scheme}://{host}{prefix}"


@route(bp, DOCUMENT_PATH, methods=["GET"], summary="This API's OpenAPI 3.1 document",
       ok=OpenApiDocument)
def openapi_document():
    return {**build_document(), "servers": [{"url": server_url(bp.current_request)}]}
