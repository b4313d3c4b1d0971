"""Campaigns: the route queues the users, the app's SQS worker grants each one coupon, once,
within stock and the per-user limit, and the campaign counts granted and skipped users."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import boto3
import pytest

from app import coupon_campaign_worker
from chalicelib.domain.marketing.coupons import MAX_CAMPAIGN_USERS
from chalicelib.services.marketing import campaigns
from chalicelib.services.outbox import delivery as outbox
from chalicelib.store.marketing import coupon_templates, coupons
from chalicelib.store.identity import users as user_store
from devstack.worker import LambdaContext, sqs_event
from tests.conftest import reset_caches
from tests.moto_aws import queues_and_buckets
from tests.station_factory import staff
from tests.unit.coupons.factory import claimed, make_template
from tests.unit.sqs_outage import SqsOutage

REGION = "cn-north-1"
JSON = {"Content-Type": "application/json"}
HQ = staff("hq", subject="s_campaigner")


def now() -> datetime:
    return datetime.now(timezone.utc)


def bearer(principal) -> dict:
    from tests.paystack import bearer_token
    return {"Authorization": f"Bearer {bearer_token(principal)}", **JSON}


class Queue:
    def __init__(self, url: str):
        self.url, self.sqs = url, boto3.client("sqs", region_name=REGION)

    def take(self) -> list[dict]:
        """Every message waiting, removed from the queue (the test delivers them itself)."""
        taken = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=0).get("Messages", []):
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            taken += batch
        return taken


@pytest.fixture
def queue(client, monkeypatch):
    resources = queues_and_buckets()
    monkeypatch.setenv("COUPON_CAMPAIGN_QUEUE_URL", resources["CouponCampaignQueue"]["Ref"])
    reset_caches()
    return Queue(resources["CouponCampaignQueue"]["Ref"])


def drivers(n: int) -> list[str]:
    ids = []
    for _ in range(n):
        user = user_store.User(id=f"u_{uuid.uuid4().hex}", openid=f"o-{uuid.uuid4().hex}",
                               created_at=now())
        assert user_store.create_user(user)
        ids.append(user.id)
    return ids


def start(client, template_id, user_ids, who=HQ):
    return client.http.post("/v1/staff/marketing/campaigns", headers=bearer(who),
                            body=json.dumps({"template_id": template_id, "user_ids": user_ids}))


def deliver(messages: list[dict]) -> list[str]:
    answer = coupon_campaign_worker(sqs_event(messages, "arn:aws:sqs:cn-north-1:1:q", REGION),
                                    LambdaContext("coupon_campaign_worker"))
    return [f["itemIdentifier"] for f in answer["batchItemFailures"]]


def progress(client, campaign_id) -> dict:
    return client.http.get(f"/v1/staff/marketing/campaigns/{campaign_id}", headers=bearer(HQ)).json_body


def held(user_id: str) -> int:
    return len(coupons.list_user_coupons(user_id, None, now(), 100)[0])


def test_a_campaign_is_queued_in_chunks_and_answers_202_at_once(client, queue):
    template = make_template(now=now(), total_stock=5000)
    users = [f"u_{i:04d}" for i in range(995)]

    response = start(client, template.id, users + users[:5])  # 1000 listed, 995 distinct

    assert response.status_code == 202
    view = response.json_body
    assert (view["status"], view["total"], view["granted"], view["skipped"]) == ("RUNNING", 995, 0, 0)
    bodies = [json.loads(m["Body"]) for m in queue.take()]
    assert len(bodies) == 20 and sorted(u for b in bodies for u in b["user_ids"]) == users


def test_the_worker_grants_each_user_one_coupon_and_counts_the_unknown_ones(client, queue):
    template = make_template(now=now(), total_stock=50)
    known = drivers(3)
    campaign_id = start(client, template.id, known + ["u_nobody"]).json_body["id"]

    assert deliver(queue.take()) == []

    view = progress(client, campaign_id)
    assert (view["status"], view["granted"], view["skipped"]) == ("DONE", 3, 1)
    assert view["skipped_by_reason"]["user_not_found"] == 1
    assert [held(u) for u in known] == [1, 1, 1]
    assert coupon_templates.get_template(template.id).template.issued == 3


def test_grants_stop_at_the_stock_and_respect_the_per_user_limit(client, queue):
    template = make_template(now=now(), total_stock=4, per_user_limit=1)
    users = drivers(5)
    claimed(template, users[0], now())  # already holds the one allowed
    campaign_id = start(client, template.id, users).json_body["id"]

    deliver(queue.take())

    view = progress(client, campaign_id)
    assert (view["granted"], view["skipped_by_reason"]["limit_reached"],
            view["skipped_by_reason"]["sold_out"]) == (3, 1, 1)
    assert coupon_templates.get_template(template.id).template.issued == 4
    assert sum(held(u) for u in users) == 4


def test_a_redelivered_chunk_grants_and_counts_nothing_twice(client, queue):
    template = make_template(now=now(), total_stock=50, per_user_limit=3)
    users = drivers(3)
    campaign_id = start(client, template.id, users + ["u_ghost"]).json_body["id"]
    messages = queue.take()

    deliver(messages)
    first = progress(client, campaign_id)
    deliver(messages)

    assert progress(client, campaign_id) == first
    assert [held(u) for u in users] == [1, 1, 1]
    assert coupon_templates.get_template(template.id).template.issued == 3


def test_a_campaign_whose_queueing_half_failed_resumes_and_grants_each_user_once(
        client, queue, monkeypatch):
    monkeypatch.setattr(campaigns, "USERS_PER_MESSAGE", 5)  # 12 chunks: two SendMessageBatch
    monkeypatch.setenv("OUTBOX_GRACE_S", "0")
    reset_caches()
    template = make_template(now=now(), total_stock=500, per_user_limit=3)
    users = drivers(60)
    outage = SqsOutage(monkeypatch, calls_allowed=1)  # the first ten chunks get through

    response = start(client, template.id, users)

    assert response.status_code == 202  # recorded with every chunk owed: nothing to retry
    first = queue.take()
    assert len(first) == 10
    assert outbox.sweep() == {"pending": 2, "sent": 0}  # still down: the rest waits
    outage.recover()
    assert outbox.sweep() == {"pending": 2, "sent": 2}
    rest = queue.take()
    assert outbox.sweep() == {"pending": 0, "sent": 0} and queue.take() == []
    chunks = [json.loads(m["Body"])["user_ids"] for m in first + rest]
    assert sorted(u for chunk in chunks for u in chunk) == sorted(users)

    assert deliver(first + rest + first) == []  # SQS may deliver a chunk again

    view = progress(client, response.json_body["id"])
    assert (view["status"], view["granted"], view["skipped"]) == ("DONE", 60, 0)
    assert all(held(u) == 1 for u in users)
    assert coupon_templates.get_template(template.id).template.issued == 60


def test_a_campaign_and_all_its_chunks_fit_one_transaction():
    chunks = -(-MAX_CAMPAIGN_USERS // campaigns.USERS_PER_MESSAGE)
    assert 1 + chunks <= 100  # DynamoDB's TransactWriteItems takes at most 100 items


@pytest.mark.parametrize("setup, status, code", [
    ("sold out", 422, "COUPON_OUT_OF_STOCK"),
    ("paused", 422, "TEMPLATE_NOT_ACTIVE"),
    ("unknown", 404, "TEMPLATE_NOT_FOUND"),
])
def test_a_campaign_on_a_template_that_cannot_give_is_refused(client, queue, setup, status, code):
    template = make_template(now=now(), total_stock=1)
    if setup == "sold out":
        claimed(template, now=now())
    if setup == "paused":
        coupon_templates.change_status(template.id, ("ACTIVE",), "PAUSED", now())

    response = start(client, "ct_nope" if setup == "unknown" else template.id, ["u_1"])

    assert (response.status_code, response.json_body["code"]) == (status, code)
    assert queue.take() == []


def test_more_than_1000_users_is_400(client, queue):
    response = start(client, make_template(now=now()).id, [f"u_{i}" for i in range(1001)])
    assert (response.status_code, response.json_body["code"]) == (400, "FIELD_INVALID")


def test_user_ids_with_control_characters_are_400(client, queue):
    response = start(client, make_template(now=now()).id, ["u_1", "u_\n2"])
    assert (response.status_code, response.json_body["code"]) == (400, "USER_IDS_INVALID")
    assert queue.take() == []


def test_campaigns_are_hq_only_and_an_unknown_one_is_404(client, queue):
    template = make_template(now=now())

    refused = start(client, template.id, ["u_1"], who=staff("manager", "ty-001"))
    missing = client.http.get("/v1/staff/marketing/campaigns/cc_nope", headers=bearer(HQ))

    assert (refused.status_code, refused.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (missing.status_code, missing.json_body["code"]) == (404, "CAMPAIGN_NOT_FOUND")


def test_a_garbled_message_fails_alone(client, queue):
    template = make_template(now=now())
    user = drivers(1)
    start(client, template.id, user)
    good = queue.take()
    bad = [{**good[0], "MessageId": "garbled", "Body": "{oops"}]

    assert deliver(good + bad) == ["garbled"]
    assert held(user[0]) == 1
