"""The driver's coupon routes over the Chalice test client: the centre, claiming, the list."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib.domain.marketing.coupons import PER_LITRE_OFF
from chalicelib.services.identity.tokens import DRIVER, STAFF, Principal, issue_token
from chalicelib.store.marketing import coupon_templates
from tests.unit.coupons.factory import DAY, claimed, make_template, new_user_id

JSON = {"Content-Type": "application/json"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def auth(user_id: str) -> dict:
    return {"Authorization": f"Bearer {issue_token(Principal(kind=DRIVER, subject=user_id), 600)}"}


def claim(client, user_id, template_id):
    return client.http.post("/v1/coupons/claim", body=json.dumps({"template_id": template_id}),
                            headers={**JSON, **auth(user_id)})


def test_a_claim_answers_201_with_the_coupon_as_the_driver_will_see_it(client):
    template = make_template(now=now(), station_ids={"ty-002", "ty-001"}, grades={"95", "92"})
    user = new_user_id()

    response = claim(client, user, template.id)

    assert response.status_code == 201
    body = response.json_body
    assert body["id"].startswith("cp_") and body["template_id"] == template.id
    assert (body["kind"], body["description"], body["status"]) == ("amount_off", "满200元减10元", "usable")
    assert (body["station_ids"], body["grades"], body["used_order_id"]) == (["ty-001", "ty-002"], ["92", "95"], None)
    assert body["valid_until"] == template.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("setup, status, code", [
    ("unknown", 404, "TEMPLATE_NOT_FOUND"),
    ("paused", 422, "TEMPLATE_NOT_ACTIVE"),
    ("sold out", 422, "COUPON_OUT_OF_STOCK"),
    ("limit", 422, "COUPON_LIMIT_REACHED"),
    ("over", 422, "COUPON_EXPIRED"),
    ("not yet", 422, "COUPON_NOT_STARTED"),
])
def test_a_refused_claim_has_its_own_status_and_code_and_writes_nothing(client, setup, status, code):
    at, user = now(), new_user_id()
    windows = {"over": {"starts_at": at - 3 * DAY, "ends_at": at - DAY},
               "not yet": {"starts_at": at + DAY, "ends_at": at + 3 * DAY}}
    template = make_template(now=at, total_stock=1 if setup == "sold out" else 5,
                             **windows.get(setup, {}))
    if setup == "paused":
        coupon_templates.change_status(template.id, ("ACTIVE",), "PAUSED", at)
    if setup in ("sold out", "limit"):
        claimed(template, user if setup == "limit" else None, at)

    response = claim(client, user, "ct_nope" if setup == "unknown" else template.id)

    assert (response.status_code, response.json_body["code"]) == (status, code)
    listed = client.http.get("/v1/coupons", headers=auth(user)).json_body["items"]
    assert len(listed) == (1 if setup == "limit" else 0)


def test_the_centre_shows_what_this_driver_may_still_claim(client):
    at, user = now(), new_user_id()
    twice = make_template(now=at, per_user_limit=2, total_stock=10)
    once = make_template(PER_LITRE_OFF, now=at, title="92号每升减0.30", grades={"92"})
    claimed(twice, user, at)
    claimed(once, user, at)

    items = client.http.get("/v1/coupons/center", headers=auth(user)).json_body["items"]

    mine = {i["template_id"]: i for i in items}
    assert once.id not in mine
    assert (mine[twice.id]["you_may_claim"], mine[twice.id]["stock_left"]) == (1, 9)
    other = {i["template_id"]: i for i in client.http.get(
        "/v1/coupons/center", headers=auth(new_user_id())).json_body["items"]}
    assert other[once.id]["description"] == "每升减0.30元" and other[once.id]["grades"] == ["92"]


def test_the_list_pages_with_a_cursor_and_filters_by_status(client):
    at, user = now(), new_user_id()
    template = make_template(now=at, per_user_limit=3)
    ids = [claim(client, user, template.id).json_body["id"] for _ in range(3)]

    first = client.http.get("/v1/coupons?limit=2", headers=auth(user)).json_body
    second = client.http.get(f"/v1/coupons?limit=2&cursor={first['next_cursor']}",
                             headers=auth(user)).json_body
    used = client.http.get("/v1/coupons?status=used", headers=auth(user)).json_body

    assert sorted(i["id"] for i in first["items"] + second["items"]) == sorted(ids)
    assert second["next_cursor"] is None and used["items"] == []


@pytest.mark.parametrize("query, code", [
    ("status=gone", "PARAM_INVALID"), ("limit=0", "PARAM_INVALID"),
    ("cursor=eyJ4IjoxfQ", "INVALID_CURSOR"), ("cursor=%21%21", "PARAM_INVALID"),
])
def test_bad_list_queries_are_400(client, query, code):
    response = client.http.get(f"/v1/coupons?{query}", headers=auth(new_user_id()))
    assert (response.status_code, response.json_body["code"]) == (400, code)


def test_coupon_routes_want_a_driver_token(client):
    staff = Principal(kind=STAFF, subject="s_1", role="hq")
    token = {"Authorization": f"Bearer {issue_token(staff, 600)}"}

    assert client.http.get("/v1/coupons/center").status_code == 401
    assert client.http.get("/v1/coupons", headers=token).json_body["code"] == "WRONG_TOKEN_KIND"
