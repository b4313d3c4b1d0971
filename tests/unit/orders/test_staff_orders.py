"""Station staff see the orders of their own stations' business days, and nothing else."""
from __future__ import annotations

from tests.order_flows import create_order, paid_order
from tests.paystack import staff_auth, staff_principal


def _list(client, staff, query=""):
    return client.http.get(f"/v1/staff/orders{query}", headers=staff_auth(staff))


def test_attendant_sees_the_paid_ticket_of_their_station_today(pay, station, driver, client):
    paid = paid_order(client, pay, driver, station)
    pending = create_order(client, driver, station).json_body["order"]
    attendant = staff_principal("attendant", station.id)

    everything = _list(client, attendant, f"?station_id={station.id}").json_body["items"]
    tickets = _list(client, attendant, "?status=PAID").json_body["items"]

    assert {o["id"] for o in everything} == {paid["id"], pending["id"]}
    assert [o["id"] for o in tickets] == [paid["id"]]


def test_other_days_and_other_stations(pay, station, driver, client):
    paid_order(client, pay, driver, station)
    manager = staff_principal("manager", station.id)

    yesterday = _list(client, manager, f"?station_id={station.id}&date=2020-01-01")
    foreign = _list(client, manager, "?station_id=ty-999")
    bad_date = _list(client, manager, f"?station_id={station.id}&date=2020-13-01")

    assert yesterday.status_code == 200 and yesterday.json_body["items"] == []
    assert (foreign.status_code, foreign.json_body["code"]) == (403, "NOT_YOUR_STATION")
    assert (bad_date.status_code, bad_date.json_body["code"]) == (400, "PARAM_INVALID")


def test_hq_sees_any_station_but_must_name_it(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)
    hq = staff_principal("hq")

    unnamed = _list(client, hq)
    named = _list(client, hq, f"?station_id={station.id}")

    assert (unnamed.status_code, unnamed.json_body["code"]) == (400, "STATION_REQUIRED")
    assert [o["id"] for o in named.json_body["items"]] == [order["id"]]


def test_history_of_another_stations_order_is_forbidden(pay, station, driver, client):
    order = paid_order(client, pay, driver, station)

    answer = client.http.get(f"/v1/staff/orders/{order['id']}/history",
                             headers=staff_auth(staff_principal("manager", "ty-999")))

    assert (answer.status_code, answer.json_body["code"]) == (403, "NOT_YOUR_STATION")


def test_an_unchanged_board_answers_304_and_a_new_payment_changes_it(pay, station, driver, client):
    attendant = staff_principal("attendant", station.id)
    paid_order(client, pay, driver, station)
    first = _list(client, attendant, "?status=PAID")
    tag = first.headers["ETag"]

    def poll():
        return client.http.get("/v1/staff/orders?status=PAID",
                               headers={**staff_auth(attendant), "If-None-Match": tag})

    unchanged = poll()
    paid_order(client, pay, driver, station)
    changed = poll()

    assert (unchanged.status_code, unchanged.body) == (304, b"")
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert len(changed.json_body["items"]) == 2
