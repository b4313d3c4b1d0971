"""HQ marketing's coupon template routes: creation with its checks, the list with figures, and
the status moves."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.services.identity.tokens import DRIVER, Principal, issue_token
from chalicelib.store.marketing import coupon_templates, coupons
from chalicelib.store.base import get_connection
from chalicelib.store.stations import stations as station_store
from tests.paystack import bearer_token
from tests.station_factory import make_station, staff
from tests.unit.coupons.factory import DAY, claimed, paid_order

JSON = {"Content-Type": "application/json"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def bearer(principal) -> dict:
    return {"Authorization": f"Bearer {bearer_token(principal)}", **JSON}


HQ = staff("hq", subject="s_marketing")


def body(**changes) -> dict:
    at = now()
    return {"title": "满200减10", "kind": "amount_off", "starts_at": iso(at - DAY),
            "ends_at": iso(at + 30 * DAY), "total_stock": 100, "per_user_limit": 2,
            "amount_off_fen": 1000, "min_spend_fen": 20000, **changes}


def create(client, who=HQ, **changes):
    return client.http.post("/v1/staff/marketing/coupon-templates", body=json.dumps(body(**changes)),
                            headers=bearer(who))


@pytest.fixture
def stations(client):
    made = [make_station(f"ty-{uuid.uuid4().hex[:6]}") for _ in range(2)]
    for station in made:
        station_store.put_station(station)
    return [s.id for s in made]


def test_hq_creates_an_active_template_with_zero_figures(client, stations):
    response = create(client, station_ids=stations, grades=["92"])

    assert response.status_code == 201
    view = response.json_body
    assert (view["status"], view["description"], view["created_by"]) == ("ACTIVE", "满200元减10元", "s_marketing")
    assert view["station_ids"] == sorted(stations) and view["grades"] == ["92"]
    assert view["stats"] == {"issued": 0, "stock_left": 100, "used": 0, "paid_orders": 0, "revenue_fen": 0}


@pytest.mark.parametrize("role", ["manager", "attendant"])
def test_only_hq_manages_coupon_templates(client, role):
    response = create(client, who=staff(role, "ty-001"))
    assert (response.status_code, response.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")


def test_a_driver_token_is_refused(client):
    response = create(client, who=Principal(kind=DRIVER, subject="u_1"))
    assert (response.status_code, response.json_body["code"]) == (403, "WRONG_TOKEN_KIND")


@pytest.mark.parametrize("changes, status, code", [
    (lambda at: {"starts_at": iso(at + 2 * DAY), "ends_at": iso(at + DAY)}, 400, "COUPON_WINDOW_INVALID"),
    (lambda at: {"starts_at": "tomorrow"}, 400, "COUPON_TIME_INVALID"),
    (lambda at: {"starts_at": "2026-01-01T00:00:00"}, 400, "COUPON_TIME_INVALID"),
    (lambda at: {"starts_at": iso(at - 9 * DAY), "ends_at": iso(at - DAY)}, 422, "COUPON_ALREADY_ENDED"),
    (lambda at: {"total_stock": 0}, 400, "COUPON_STOCK_INVALID"),
    (lambda at: {"total_stock": 10_000_001}, 400, "COUPON_STOCK_INVALID"),
    (lambda at: {"per_user_limit": 0}, 400, "COUPON_STOCK_INVALID"),
    (lambda at: {"amount_off_fen": 20000}, 400, "COUPON_FIGURE_INVALID"),
    (lambda at: {"kind": "per_litre_off", "per_litre_off_fen": 30}, 400, "COUPON_FIGURE_INVALID"),
    (lambda at: {"valid_days": 0}, 400, "COUPON_VALIDITY_INVALID"),
    (lambda at: {"station_ids": []}, 400, "COUPON_SCOPE_INVALID"),
    (lambda at: {"grades": ["91"]}, 400, "UNKNOWN_GRADE"),
    (lambda at: {"station_ids": ["ty-nowhere"]}, 422, "UNKNOWN_STATION"),
    (lambda at: {"title": "   "}, 400, "TITLE_REQUIRED"),
    (lambda at: {"title": "满减\u0007"}, 400, "TITLE_INVALID"),
    (lambda at: {"kind": "free_fuel"}, 400, "FIELD_INVALID"),
])
def test_a_bad_template_is_refused_with_its_own_code(client, changes, status, code):
    response = create(client, **changes(now()))
    assert (response.status_code, response.json_body["code"]) == (status, code)


def test_a_grade_none_of_the_stations_sells_is_refused(client, stations):
    response = create(client, station_ids=stations, grades=["0"])
    assert (response.status_code, response.json_body["code"]) == (422, "GRADE_NOT_SOLD")


def use_for(coupon, order) -> None:
    with TransactWrite(connection=get_connection()) as tx:
        coupons.stage_use(tx, coupon, order.id)


def test_the_list_shows_issued_stock_used_and_the_revenue_of_the_orders_using_them(client):
    created = create(client, total_stock=10).json_body
    template = coupon_templates.get_template(created["id"]).template
    paid, pending, unused = (claimed(template, now=now()) for _ in range(3))
    use_for(paid, paid_order(paid.user_id, pay_fen=19_000, refunded_fen=1_000))
    use_for(pending, paid_order(pending.user_id, paid=False))

    items = client.http.get("/v1/staff/marketing/coupon-templates", headers=bearer(HQ)).json_body["items"]

    mine = next(i for i in items if i["id"] == created["id"])
    assert mine["stats"] == {"issued": 3, "stock_left": 7, "used": 2, "paid_orders": 1,
                             "revenue_fen": 18_000}


def test_the_list_pages_newest_first_and_filters_by_status(client):
    ids = [create(client).json_body["id"] for _ in range(3)]
    client.http.post(f"/v1/staff/marketing/coupon-templates/{ids[0]}/pause", headers=bearer(HQ))

    first = client.http.get("/v1/staff/marketing/coupon-templates?limit=2", headers=bearer(HQ)).json_body
    second = client.http.get(f"/v1/staff/marketing/coupon-templates?limit=2&cursor={first['next_cursor']}",
                             headers=bearer(HQ)).json_body
    paused = client.http.get("/v1/staff/marketing/coupon-templates?status=PAUSED",
                             headers=bearer(HQ)).json_body

    assert [i["id"] for i in first["items"] + second["items"]][:3] == ids[::-1]
    assert [i["id"] for i in paused["items"]] == [ids[0]]


def move(client, template_id, action):
    return client.http.post(f"/v1/staff/marketing/coupon-templates/{template_id}/{action}",
                            headers=bearer(HQ))


def test_pause_resume_and_end_move_the_status_and_the_claims_follow(client):
    template_id = create(client).json_body["id"]
    driver = {"Authorization": f"Bearer {issue_token(Principal(kind=DRIVER, subject='u_m1'), 600)}", **JSON}

    def claim():
        return client.http.post("/v1/coupons/claim", body=json.dumps({"template_id": template_id}),
                                headers=driver)

    assert move(client, template_id, "pause").json_body["status"] == "PAUSED"
    assert claim().json_body["code"] == "TEMPLATE_NOT_ACTIVE"
    assert move(client, template_id, "resume").json_body["status"] == "ACTIVE"
    assert claim().status_code == 201
    ended = move(client, template_id, "end")
    assert (ended.json_body["status"], ended.json_body["stats"]["issued"]) == ("ENDED", 1)
    assert claim().json_body["code"] == "TEMPLATE_NOT_ACTIVE"


@pytest.mark.parametrize("first, then", [("pause", "pause"), ("end", "resume"), ("end", "pause"),
                                         ("end", "end"), (None, "resume")])
def test_an_impossible_status_move_is_409(client, first, then):
    template_id = create(client).json_body["id"]
    if first:
        move(client, template_id, first)

    response = move(client, template_id, then)

    assert (response.status_code, response.json_body["code"]) == (409, "TEMPLATE_STATUS_CONFLICT")


def test_moving_an_unknown_template_is_404(client):
    response = move(client, "ct_00000000000000000000", "pause")
    assert (response.status_code, response.json_body["code"]) == (404, "TEMPLATE_NOT_FOUND")
