"""Price-drop alerts on the running local stack, over HTTP only: a driver follows a station's
grade and accepts the price-drop template, a manager lowers that price, and the driver gets
exactly one message (through the fan-out queue, the notifier queue and the WeChat sandbox)."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.conftest import driver_token, eventually, queues_drained

MANAGER = "mgr-ty047"  # a station no other e2e test changes prices at
pytestmark = pytest.mark.slow



def _manager(stack) -> tuple[dict, str]:
    account = next(s for s in stack["staff"] if s["username"] == MANAGER)
    response = requests.post(f"{stack['api_url']}/v1/staff/login", timeout=10, json={
        "username": account["username"], "password": account["password"]})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}, account["station_ids"][0]


def _accept_price_drops(stack, openid: str, driver: dict, times: int) -> None:
    template_id = stack["wechat"]["template_ids"]["price_drop"]
    for _ in range(times):  # the driver taps "allow" (WeChat's side) and the app reports it
        requests.post(f"{stack['wechat_url']}/sandbox/subscribe", timeout=5,
                      json={"openid": openid, "template_ids": [template_id]}).raise_for_status()
        accepted = requests.post(f"{stack['api_url']}/v1/subscriptions", headers=driver,
                                 timeout=10, json={"accepted": [template_id]})
        assert accepted.status_code == 200, accepted.text


def test_a_follower_gets_exactly_one_message_per_price_drop(stack, api):
    openid = f"o-e2e-alert-{uuid.uuid4().hex}"
    driver = {"Authorization": f"Bearer {driver_token(stack, openid)}"}
    staff, station_id = _manager(stack)
    followed = requests.post(f"{api}/v1/alerts", headers=driver, timeout=10,
                             json={"station_id": station_id, "grade": "92"})
    assert followed.status_code == 200 and followed.json()["created"] is True, followed.text
    # Two quotas, so a second message would be sendable and show up if one were produced.
    _accept_price_drops(stack, openid, driver, times=2)
    grade = next(g for g in requests.get(f"{api}/v1/stations/{station_id}", timeout=10)
                 .json()["grades"] if g["grade"] == "92")
    lower = {"grades": [{"grade": "92", "guide_price_fen": grade["guide_price_fen"],
                         "pump_price_fen": grade["pump_price_fen"] - 12}]}

    changed = requests.put(f"{api}/v1/staff/stations/{station_id}/prices", headers=staff,
                           timeout=10, json=lower)
    assert changed.status_code == 200 and changed.json()["changed"] == ["92"], changed.text

    outbox = f"{stack['wechat_url']}/sandbox/messages"
    (message,) = eventually(lambda: requests.get(outbox, params={"openid": openid},
                                                  timeout=5).json()["items"], bool)
    assert message["template_id"] == stack["wechat"]["template_ids"]["price_drop"]
    assert message["page"] == f"pages/station/detail?id={station_id}"
    new_price = grade["pump_price_fen"] - 12
    assert message["data"]["amount3"]["value"] == f"¥{new_price // 100}.{new_price % 100:02d}"

    same_again = requests.put(f"{api}/v1/staff/stations/{station_id}/prices", headers=staff,
                              timeout=10, json=lower)
    assert same_again.status_code == 200 and same_again.json()["changed"] == []
    queues_drained(stack)  # whatever the second change set off has been handled
    assert len(requests.get(outbox, params={"openid": openid}, timeout=5).json()["items"]) == 1
    quotas = requests.get(f"{api}/v1/subscriptions", headers=driver, timeout=10).json()["quotas"]
    assert {q["kind"]: q["remaining"] for q in quotas}["price_drop"] == 1
