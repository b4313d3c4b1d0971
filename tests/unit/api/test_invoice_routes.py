"""The invoice routes over the app (Chalice test client, moto, issuer sandbox, SMTP sink)."""
from __future__ import annotations

import json

import pytest

from chalicelib.services.invoices import work as invoice_work
from chalicelib.services.identity.tokens import DRIVER, STAFF, Principal, issue_token
from tests.unit.invoice_fixtures import (COMPANY_TITLE, PERSONAL_TITLE,  # noqa: F401
                                         fuelled_order, invoicing, issuer_server, new_user,
                                         smtp_sink)

EMAIL = "driver@example.com"


def auth(user_id: str) -> dict:
    token = issue_token(Principal(kind=DRIVER, subject=user_id), 600)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def post(client, path, body, user_id):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(path, body=raw, headers=auth(user_id))


@pytest.fixture
def driver(client, invoicing):
    return new_user()


def test_request_answers_202_requested_and_get_shows_it_issued(client, driver):
    order_id = fuelled_order(driver)

    created = post(client, "/v1/invoices", {"order_ids": [order_id], "title": COMPANY_TITLE,
                                            "email": EMAIL}, driver)
    invoice_work.advance(created.json_body["id"])
    shown = client.http.get(f"/v1/invoices/{created.json_body['id']}", headers=auth(driver))
    listed = client.http.get("/v1/invoices?limit=5", headers=auth(driver))

    assert created.status_code == 202 and created.json_body["status"] == "REQUESTED"
    assert shown.status_code == 200 and shown.json_body["status"] == "ISSUED"
    assert shown.json_body["pdf_url"].startswith("http")
    assert [i["id"] for i in listed.json_body["items"]] == [created.json_body["id"]]
    assert listed.json_body["next_cursor"] is None


def test_the_answer_shows_the_title_and_lines_as_stored_without_null_fields(client, driver):
    created = post(client, "/v1/invoices", {"order_ids": [fuelled_order(driver)],
                                            "title": PERSONAL_TITLE, "email": EMAIL}, driver)
    shown = client.http.get(f"/v1/invoices/{created.json_body['id']}", headers=auth(driver))

    for answer in (created.json_body, shown.json_body):
        assert answer["title"] == {"type": "personal", "name": PERSONAL_TITLE["name"]}
        assert set(answer["seller"]) == {"name", "tax_id"} and None not in answer["seller"].values()
        (line,) = answer["lines"]
        assert line["vat_exempt"] is False and line["rate_label"] == "13%"
        assert answer["number"] is None and answer["reversal"] is None   # the view's own nulls


@pytest.mark.parametrize("body, status, code", [
    ({"order_ids": [], "title": PERSONAL_TITLE, "email": EMAIL}, 400, "FIELD_INVALID"),
    ({"order_ids": ["o1"] * 2, "title": PERSONAL_TITLE, "email": EMAIL}, 400,
     "DUPLICATE_ORDER_IDS"),
    ({"order_ids": ["o1"], "title": PERSONAL_TITLE}, 400, "FIELD_REQUIRED"),
    ({"order_ids": ["o1"], "title": "me", "email": EMAIL}, 400, "FIELD_INVALID"),
    ({"order_ids": ["o1"], "title": {"type": "guest", "name": "x"}, "email": EMAIL}, 400,
     "FIELD_INVALID"),
    ({"order_ids": ["no-such-order"], "title": PERSONAL_TITLE, "email": EMAIL}, 404,
     "ORDER_NOT_FOUND"),
])
def test_bad_requests_are_json_errors_naming_the_problem(client, driver, body, status, code):
    response = post(client, "/v1/invoices", body, driver)

    assert (response.status_code, response.json_body["code"]) == (status, code)


@pytest.mark.parametrize("title, email, code, field", [
    ({"type": "company", "name": "某公司"}, EMAIL, "TAX_ID_REQUIRED", "title.tax_id"),
    ({"type": "company", "name": "某公司", "tax_id": "91110000600037341X"}, EMAIL,
     "INVALID_TAX_ID", "title.tax_id"),
    ({"type": "personal", "name": "  "}, EMAIL, "TITLE_NAME_REQUIRED", "title.name"),
    (PERSONAL_TITLE, "nope@x", "INVALID_EMAIL", "email"),
])
def test_a_bad_title_or_email_for_real_orders_is_400_naming_the_field(client, driver, title,
                                                                     email, code, field):
    body = {"order_ids": [fuelled_order(driver)], "title": title, "email": email}

    response = post(client, "/v1/invoices", body, driver)

    assert response.status_code == 400
    assert (response.json_body["code"], response.json_body["field"]) == (code, field)


def test_an_order_on_an_invoice_already_is_422(client, driver):
    order_id = fuelled_order(driver)
    body = {"order_ids": [order_id], "title": PERSONAL_TITLE, "email": EMAIL}
    post(client, "/v1/invoices", body, driver)

    again = post(client, "/v1/invoices", body, driver)

    assert (again.status_code, again.json_body["code"]) == (422, "ALREADY_INVOICED")


def test_without_a_driver_token_the_routes_refuse(client, invoicing):
    staff = issue_token(Principal(kind=STAFF, subject="s1", role="hq"), 600)

    anonymous = client.http.get("/v1/invoices")
    as_staff = client.http.get("/v1/invoices", headers={"Authorization": f"Bearer {staff}"})

    assert anonymous.status_code == 401 and as_staff.status_code == 403


def test_someone_elses_invoice_is_404_and_resend_before_issue_is_409(client, driver):
    order_id = fuelled_order(driver)
    invoice_id = post(client, "/v1/invoices", {"order_ids": [order_id], "title": PERSONAL_TITLE,
                                               "email": EMAIL}, driver).json_body["id"]

    foreign = client.http.get(f"/v1/invoices/{invoice_id}", headers=auth(new_user()))
    early = client.http.post(f"/v1/invoices/{invoice_id}/resend", headers=auth(driver))

    assert (foreign.status_code, foreign.json_body["code"]) == (404, "INVOICE_NOT_FOUND")
    assert (early.status_code, early.json_body["code"]) == (409, "INVOICE_NOT_ISSUED")


def test_resend_with_or_without_a_body_is_accepted(client, driver, invoicing):
    order_id = fuelled_order(driver)
    invoice_id = post(client, "/v1/invoices", {"order_ids": [order_id], "title": PERSONAL_TITLE,
                                               "email": EMAIL}, driver).json_body["id"]
    invoice_work.advance(invoice_id)

    bare = client.http.post(f"/v1/invoices/{invoice_id}/resend", headers=auth(driver))
    invoice_work.advance(invoice_id)
    moved = post(client, f"/v1/invoices/{invoice_id}/resend", {"email": "new@example.com"},
                 driver)
    invoice_work.advance(invoice_id)
    bad = post(client, f"/v1/invoices/{invoice_id}/resend", {"email": "nope"}, driver)

    assert bare.status_code == moved.status_code == 202
    assert len(invoicing.mails(EMAIL)) == 2 and len(invoicing.mails("new@example.com")) == 1
    assert (bad.status_code, bad.json_body["code"]) == (400, "INVALID_EMAIL")


def test_a_cursor_not_given_out_by_the_api_is_400(client, driver):
    response = client.http.get("/v1/invoices?cursor=bm9wZQ", headers=auth(driver))

    assert (response.status_code, response.json_body["field"]) == (400, "cursor")
