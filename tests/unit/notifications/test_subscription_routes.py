"""POST/GET /v1/subscriptions through the chalice test client (responses checked against the
contract)."""
from __future__ import annotations

import json

from chalicelib.domain.notifications import subscribe_messages as sm
from tests.paystack import driver_auth
from tests.unit.notifications.fixtures import TEMPLATE_IDS


def post(client, driver, body):
    return client.http.post("/v1/subscriptions", body=json.dumps(body).encode(),
                            headers={**driver_auth(driver), "Content-Type": "application/json"})


def held(answer) -> dict:
    return {q["kind"]: q["remaining"] for q in answer.json_body["quotas"]}


def test_each_accepted_template_is_one_message_of_its_kind(client, driver):
    accepted = [TEMPLATE_IDS[sm.PAYMENT_RECEIVED], TEMPLATE_IDS[sm.REFUND_ARRIVED]]

    post(client, driver, {"accepted": accepted})
    answer = post(client, driver, {"accepted": [TEMPLATE_IDS[sm.PAYMENT_RECEIVED]]})

    assert answer.status_code == 200
    assert held(answer) == {sm.PAYMENT_RECEIVED: 2, sm.REFUND_ARRIVED: 1, sm.INVOICE_ISSUED: 0,
                            sm.PRICE_DROP: 0, sm.REFUND_REQUEST: 0}
    listed = client.http.get("/v1/subscriptions", headers=driver_auth(driver))
    assert listed.status_code == 200 and listed.json_body == answer.json_body == {"quotas": [
        {"kind": kind, "template_id": TEMPLATE_IDS[kind], "remaining": held(answer)[kind]}
        for kind in sorted(TEMPLATE_IDS)]}


def test_an_id_accepted_twice_in_one_report_counts_once(client, driver):
    answer = post(client, driver, {"accepted": [TEMPLATE_IDS[sm.INVOICE_ISSUED]] * 2})

    assert held(answer)[sm.INVOICE_ISSUED] == 1


def test_an_unknown_template_id_is_refused_and_nothing_is_counted(client, driver):
    answer = post(client, driver, {"accepted": [TEMPLATE_IDS[sm.PRICE_DROP], "someone-elses"]})

    assert (answer.status_code, answer.json_body["code"]) == (400, "UNKNOWN_TEMPLATE_ID")
    listed = client.http.get("/v1/subscriptions", headers=driver_auth(driver))
    assert held(listed)[sm.PRICE_DROP] == 0


def test_more_than_three_ids_or_no_list_is_a_bad_request(client, driver):
    too_many = post(client, driver, {"accepted": list(TEMPLATE_IDS.values())})
    missing = post(client, driver, {})

    assert (too_many.status_code, too_many.json_body["code"]) == (400, "FIELD_INVALID")
    assert (missing.status_code, missing.json_body["code"]) == (400, "FIELD_REQUIRED")


def test_quotas_need_a_driver(client):
    answer = client.http.get("/v1/subscriptions")

    assert (answer.status_code, answer.json_body["code"]) == (401, "TOKEN_REQUIRED")
