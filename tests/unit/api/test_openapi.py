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
        assert op.ok is not None or op.ok_status in (204, 302), \
            f"{op.method} {op.path} has no ok type"


def test_authenticated_operations_declare_their_security_and_auth_errors():
    document = build_document()
    me = document["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"driverBearer": []}]
    assert "TOKEN_REQUIRED" in me["responses"]["401"]["description"]


# Regressions found by the fuzzer (tests/e2e/test_fuzz.py), kept as plain tests.

def test_a_whole_number_written_as_a_float_is_that_integer():
    """JSON Schema counts 1879.0 as an integer; refusing it rejected valid requests."""
    from chalicelib.api.contract import decode_body
    from chalicelib.api.identity import DriverLogin
    import msgspec

    class Amount(msgspec.Struct):
        amount_fen: int

    assert decode_body(b'{"amount_fen": 1879.0}', Amount).amount_fen == 1879
    assert decode_body(b'{"code": "abc"}', DriverLogin).code == "abc"


def test_a_fractional_amount_is_still_refused():
    import msgspec
    import pytest

    from chalicelib.api.contract import decode_body
    from chalicelib.domain.errors import InvalidInput

    class Amount(msgspec.Struct):
        amount_fen: int

    with pytest.raises(InvalidInput) as caught:
        decode_body(b'{"amount_fen": 18.5}', Amount)
    assert caught.value.field == "amount_fen"


def test_idempotency_key_is_documented_as_a_required_header():
    document = build_document()
    for path in ("/v1/orders", "/v1/staff/orders/{order_id}/refund"):
        params = document["paths"][path]["post"]["parameters"]
        assert {"name": "Idempotency-Key", "in": "header", "required": True}.items() <= \
            next(p for p in params if p["name"] == "Idempotency-Key").items()


def test_states_are_listed_with_their_allowed_values():
    """A client (and the fuzzer) learns every status an order, refund, invoice or top-up may
    answer with from the document, not from reading the code."""
    from chalicelib.domain.invoices.flow import InvoiceStatus
    from chalicelib.domain.orders.orders import OrderStatus
    from chalicelib.domain.orders.refunds import RefundStatus
    from chalicelib.domain.wallet.topups import TopupStatus

    schemas = build_document()["components"]["schemas"]
    for schema, states in (("OrderView", OrderStatus), ("RefundView", RefundStatus),
                           ("InvoiceView", InvoiceStatus), ("TopupView", TopupStatus)):
        status = schemas[schema]["properties"]["status"]
        assert status["type"] == "string"
        assert sorted(status["enum"]) == sorted(member.value for member in states), schema
    assert set(schemas["OrderView"]["properties"]["status"]["enum"]) >= {
        "PENDING_PAYMENT", "PAID", "FUELLED", "CLOSED", "PARTIALLY_REFUNDED", "REFUNDED"}


def test_a_state_field_refuses_a_value_it_does_not_list():
    import msgspec
    import pytest

    from chalicelib.api.contract import decode_body, one_of
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.domain.orders.orders import OrderStatus

    Filter = msgspec.defstruct("Filter", [("status", one_of(OrderStatus))])

    assert decode_body(b'{"status": "PAID"}', Filter).status == OrderStatus.PAID
    with pytest.raises(InvalidInput) as caught:
        decode_body(b'{"status": "paid"}', Filter)
    assert caught.value.code == "FIELD_INVALID" and caught.value.field == "status"


# The servers entry: "Try it out" in a rendered reference must call this very API.

class _Request:
    def __init__(self, context: dict, headers: dict):
        self.context, self.headers = context, headers


def test_locally_the_document_names_the_api_on_the_port_it_was_reached_on(client):
    response = client.http.get("/v1/openapi.json", headers={"Host": "127.0.0.1:8765"})
    assert response.json_body["servers"] == [{"url": "http://127.0.0.1:8765"}]


def test_in_aws_the_document_names_the_stage_url_it_was_reached_on(monkeypatch):
    from chalicelib.api.openapi import server_url
    from chalicelib.settings import get_settings

    monkeypatch.setenv("STAGE", "dev")
    get_settings.cache_clear()
    execute_api = _Request({"domainName": "abc123.execute-api.cn-north-1.amazonaws.com.cn",
                            "stage": "api", "path": "/api/v1/openapi.json"},
                           {"host": "abc123.execute-api.cn-north-1.amazonaws.com.cn"})
    custom_domain = _Request({"domainName": "api-dev.fuel.example.cn", "stage": "api",
                              "path": "/v1/openapi.json"}, {"host": "api-dev.fuel.example.cn"})
    assert server_url(execute_api) == "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/api"
    assert server_url(custom_domain) == "https://api-dev.fuel.example.cn"


def test_a_host_header_that_is_not_a_plain_host_is_not_echoed_into_the_document(client):
    response = client.http.get("/v1/openapi.json", headers={"Host": "evil\"><script>"})
    assert response.json_body["servers"] == [{"url": "http://127.0.0.1:8000"}]


def test_a_price_change_documents_who_made_it_by_id_and_by_name():
    """The name is kept since names were; older changes answer null, and the document says so."""
    change = build_document()["components"]["schemas"]["PriceChangeOut"]
    assert {"changed_by", "changed_by_name"} <= set(change["required"])
    assert change["properties"]["changed_by_name"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]}
