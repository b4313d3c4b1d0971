"""Pump codes through the staff routes (Chalice test client, moto S3, the WeChat sandbox)."""
from __future__ import annotations

import io

import boto3
import pytest
import requests

from tests import paystack
from tests.paystack import staff_auth, staff_principal

BUCKET = "fuel-local-pump-codes"


@pytest.fixture
def bucket(aws, wechat, monkeypatch):
    boto3.client("s3", region_name="cn-north-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    monkeypatch.setenv("PUMP_CODE_BUCKET", BUCKET)
    from tests.conftest import reset_caches
    reset_caches()
    return boto3.client("s3", region_name="cn-north-1")


def _codes(client, station_id, role="manager", *stations, method="post"):
    principal = staff_principal(role, *(stations or (station_id,)))
    return getattr(client.http, method)(f"/v1/staff/stations/{station_id}/pump-codes",
                                        headers=staff_auth(principal))


def test_a_manager_makes_a_printable_code_per_nozzle_that_reads_back_as_its_scene(bucket, client):
    import zxingcpp
    from PIL import Image

    station = paystack.seed_station()
    before = _codes(client, station.id, method="get")

    made = _codes(client, station.id)

    assert [i["download_url"] for i in before.json_body["items"]] == [None, None, None]
    assert made.status_code == 200
    items = made.json_body["items"]
    assert [(i["nozzle_no"], i["scene"]) for i in items] == [
        (n, f"1.{n}.{station.id}") for n in (1, 2, 3)]
    png = bucket.get_object(Bucket=BUCKET, Key=f"{station.id}/1.2.{station.id}.png")["Body"].read()
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [items[1]["scene"]]
    assert all(i["download_url"] for i in _codes(client, station.id, method="get").json_body["items"])


def test_only_the_stations_manager_or_hq_makes_codes(bucket, client):
    station = paystack.seed_station()

    attendant = _codes(client, station.id, "attendant")
    stranger = _codes(client, station.id, "manager", "elsewhere")

    assert (attendant.status_code, attendant.json_body["code"]) == (403, "ROLE_NOT_ALLOWED")
    assert (stranger.status_code, stranger.json_body["code"]) == (403, "STATION_NOT_YOURS")


def test_wechat_refusing_a_code_is_a_clear_503(bucket, client, wechat):
    station = paystack.seed_station()
    requests.post(f"{wechat.url}/sandbox/codes/fail-next", json={"errcode": 45009}, timeout=5)

    refused = _codes(client, station.id)

    assert (refused.status_code, refused.json_body["code"]) == (503, "WECHAT_CODE_REJECTED")
    assert "access_token" not in str(refused.json_body)
