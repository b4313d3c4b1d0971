"""The OpenAPI document describes every route, and only routes that exist."""
from __future__ import annotations

from openapi_spec_validator import validate

from app import app
from chalicelib.api import contract
from chalicelib.api.openapi import build_document


def test_document_is_valid_openapi_3_1(client):
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json_body)
    assert response.json_body["openapi"] == "3.1.0"


def test_every_route_is_documented_and_every_documented_route_exists():
    document = build_document()
    routed = {(path, method.lower()) for path, methods in app.routes.items()
              for method in methods if path != "/{proxy+}"}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routed - documented == set(), "routes missing from the document"
    assert documented - routed == set(), "documented routes that do not exist"


def test_every_operation_says_what_it_does_and_returns():
    for op in contract.OPERATIONS:
        if op.path == "/{proxy+}":
            continue
        assert op.summary, f"{op.method} {op.path} has no summary"
        assert op.ok is not None or op.ok_status == 204, f"{op.method} {op.path} has no ok type"


def test_authenticated_operations_declare_their_security_and_auth_errors():
    document = build_document()
    me = document["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"driverBearer": []}]
    assert "TOKEN_REQUIRED" in me["responses"]["401"]["description"]
