"""Requesting, reading and resending invoices (services/invoices/requests.py) on moto."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, RateLimited, RuleViolation
from chalicelib.services.invoices import work as invoice_work, requests as invoices
from chalicelib.store.invoices import invoices as store
from tests.unit.invoice_fixtures import (COMPANY_TITLE, PERSONAL_TITLE, clock,  # noqa: F401
                                         fuelled_order, invoicing, issuer_server, new_user,
                                         smtp_sink)

EMAIL = "driver@example.com"


def test_request_answers_requested_with_lines_that_add_up_and_queues_the_invoice(invoicing):
    user = new_user()
    first = fuelled_order(user, grade="92", liters_ml=30120, paid_fen=21626)
    second = fuelled_order(user, grade="0", liters_ml=20000, paid_fen=13900)

    view = invoices.request_invoice(user, [first, second], COMPANY_TITLE, EMAIL)

    assert view.status == "REQUESTED" and view.number is None
    assert view.total_fen == 21626 + 13900 == view.net_fen + view.tax_fen
    assert [line["name"] for line in view.lines] == ["*汽油*92号车用汽油(VIB)",
                                                        "*柴油*0号车用柴油(VI)"]
    assert view.title["tax_id"] == COMPANY_TITLE["tax_id"]
    assert invoicing.queued() == [{"invoice_id": view.id, "fresh": True}]


def test_orders_are_reserved_for_the_invoice(invoicing):
    from chalicelib.store.orders.orders import OrderModel

    user = new_user()
    order_id = fuelled_order(user)

    view = invoices.request_invoice(user, [order_id], PERSONAL_TITLE, EMAIL)

    assert OrderModel.get(order_id).invoice_id == view.id


def test_the_invoiced_amount_is_what_was_paid_after_refunds(invoicing):
    user = new_user()
    order_id = fuelled_order(user, paid_fen=30000, refunded_fen=1234,
                             status="PARTIALLY_REFUNDED")

    view = invoices.request_invoice(user, [order_id], PERSONAL_TITLE, EMAIL)

    assert view.total_fen == 30000 - 1234


def test_an_order_already_invoiced_is_refused_and_nothing_is_written(invoicing):
    user = new_user()
    shared, other = fuelled_order(user), fuelled_order(user)
    invoices.request_invoice(user, [shared], PERSONAL_TITLE, EMAIL)

    with pytest.raises(RuleViolation) as refused:
        invoices.request_invoice(user, [other, shared], PERSONAL_TITLE, EMAIL)

    assert refused.value.code == "ALREADY_INVOICED"
    from chalicelib.store.orders.orders import OrderModel
    assert OrderModel.get(other).invoice_id is None


def test_another_users_order_is_not_found(invoicing):
    order_id = fuelled_order(new_user())

    with pytest.raises(NotFound) as refused:
        invoices.request_invoice(new_user(), [order_id], PERSONAL_TITLE, EMAIL)

    assert refused.value.code == "ORDER_NOT_FOUND"


@pytest.mark.parametrize("order, code", [
    ({"status": "PAID"}, "ORDER_NOT_FUELLED"),
    ({"status": "REFUNDED", "refunded_fen": 21626}, "ORDER_FULLY_REFUNDED"),
    ({"refund_reserved_fen": 500}, "REFUND_PENDING"),
    ({"pay_method": "balance"}, "PAID_FROM_INVOICED_BALANCE"),
    ({"station_id": "no-such-station"}, "SELLER_NOT_INVOICING"),
])
def test_orders_that_cannot_be_invoiced_are_refused_with_their_own_code(invoicing, order, code):
    user = new_user()
    order_id = fuelled_order(user, **order)

    with pytest.raises(RuleViolation) as refused:
        invoices.request_invoice(user, [order_id], PERSONAL_TITLE, EMAIL)

    assert refused.value.code == code


@pytest.mark.parametrize("order_ids, code", [
    ([], "ORDER_IDS_REQUIRED"), ("o_1", "ORDER_IDS_REQUIRED"),
    ([f"o_{i}" for i in range(51)], "TOO_MANY_ORDERS"), (["o_1", "o_1"], "DUPLICATE_ORDER_IDS"),
    ([7], "INVALID_ORDER_ID"),
])
def test_bad_order_lists_are_refused(invoicing, order_ids, code):
    with pytest.raises(InvalidInput) as refused:
        invoices.request_invoice(new_user(), order_ids, PERSONAL_TITLE, EMAIL)
    assert refused.value.code == code and refused.value.field == "order_ids"


@pytest.mark.parametrize("title, email, field", [
    ({"type": "company", "name": "某公司", "tax_id": "91110000600037341X"}, EMAIL, "title.tax_id"),
    ({"type": "company", "tax_id": COMPANY_TITLE["tax_id"]}, EMAIL, "title.name"),
    (PERSONAL_TITLE, "not-an-address", "email"),
])
def test_bad_titles_and_emails_name_the_field(invoicing, title, email, field):
    user = new_user()
    order_id = fuelled_order(user)

    with pytest.raises(InvalidInput) as refused:
        invoices.request_invoice(user, [order_id], title, email)

    assert refused.value.field == field


def test_list_pages_through_the_users_invoices_newest_first(invoicing, clock):
    user = new_user()
    ids = []
    for _ in range(3):
        ids.append(invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE,
                                            EMAIL).id)
        clock.advance(1)
    stranger = new_user()
    invoices.request_invoice(stranger, [fuelled_order(stranger)], PERSONAL_TITLE, EMAIL)

    first = invoices.list_invoices(user, 2, None)
    second = invoices.list_invoices(user, 2, first.next_cursor)

    assert [i.id for i in first.items + second.items] == ids[::-1]
    assert second.next_cursor is None


@pytest.mark.parametrize("cursor", ["bm9wZQ", "2026-11-26T06:00:00Z~inv_1",
                                    "2026-11-26T06:00:00.000000Z~inv_" + "g" * 32])
def test_a_cursor_not_given_out_by_the_api_is_refused(invoicing, cursor):
    with pytest.raises(InvalidInput) as refused:
        invoices.list_invoices(new_user(), 1, cursor)

    assert refused.value.code == "INVALID_CURSOR"


def test_a_cursor_only_positions_within_the_callers_own_invoices(invoicing):
    user, stranger = new_user(), new_user()
    for owner in (user, user, stranger):
        invoices.request_invoice(owner, [fuelled_order(owner)], PERSONAL_TITLE, EMAIL)
    strangers = invoices.list_invoices(stranger, 1, None).items[0].id

    page = invoices.list_invoices(user, 10, f"9999-12-31T00:00:00.000000Z~{strangers}")

    assert len(page.items) == 2 and strangers not in [i.id for i in page.items]


def test_another_users_invoice_is_not_found(invoicing):
    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, EMAIL)

    with pytest.raises(NotFound):
        invoices.get_invoice(new_user(), view.id)


def test_resend_before_issue_is_a_conflict_and_after_issue_mails_again(invoicing):
    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, EMAIL)
    with pytest.raises(Conflict):
        invoices.resend_invoice(user, view.id)
    invoice_work.advance(view.id)
    assert len(invoicing.mails(EMAIL)) == 1

    invoices.resend_invoice(user, view.id, "other@example.com")
    invoice_work.advance(view.id)
    invoice_work.advance(view.id)

    assert len(invoicing.mails("other@example.com")) == 1
    assert len(invoicing.mails(EMAIL)) == 1


def test_resends_are_limited(invoicing):
    from chalicelib.domain.invoices.flow import MAX_MAILS

    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, EMAIL)
    invoice_work.advance(view.id)
    for _ in range(MAX_MAILS - 1):
        invoices.resend_invoice(user, view.id)
        invoice_work.advance(view.id)

    with pytest.raises(RateLimited):
        invoices.resend_invoice(user, view.id)
    assert len(invoicing.mails(EMAIL)) == MAX_MAILS


def test_issued_invoice_view_has_number_and_a_time_limited_pdf_url(invoicing):
    user = new_user()
    view = invoices.request_invoice(user, [fuelled_order(user)], PERSONAL_TITLE, EMAIL)

    invoice_work.advance(view.id)
    issued = invoices.get_invoice(user, view.id)

    assert issued.status == "ISSUED" and len(issued.number) == 20
    assert "X-Amz-Expires=900" in issued.pdf_url and issued.pdf_url_expires_at
    stored = store.get_invoice(view.id)
    assert invoicing.pdf(stored.pdf_key).startswith(b"%PDF")
