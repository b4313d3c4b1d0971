"""CORS: the local API reference's origin may call the API from a browser; nothing else may."""
from __future__ import annotations

import pytest

from chalicelib.settings import get_settings

DOCS = "http://127.0.0.1:41234"
NEARBY = "/v1/stations/nearby?lat=37.85&lng=112.56"


@pytest.fixture
def docs_origin(monkeypatch):
    monkeypatch.setenv("DOCS_ORIGIN", DOCS)
    get_settings.cache_clear()
    return DOCS


def _preflight(client, origin):
    return client.http.request("OPTIONS", NEARBY, headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})


def test_the_docs_origin_gets_its_preflight_answered(client, docs_origin):
    response = _preflight(client, docs_origin)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == DOCS
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_the_docs_origin_may_read_an_answer(client, docs_origin):
    response = client.http.get(NEARBY, headers={"Origin": DOCS})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == DOCS
    assert response.headers["Vary"] == "Origin"


def test_another_origin_gets_no_cors_headers(client, docs_origin):
    preflight = _preflight(client, "http://127.0.0.1:9")
    answer = client.http.get(NEARBY, headers={"Origin": "http://127.0.0.1:9"})
    assert preflight.status_code == 405
    assert answer.status_code == 200
    for response in (preflight, answer):
        assert "Access-Control-Allow-Origin" not in response.headers


def test_in_aws_not_even_a_configured_docs_origin_is_allowed(aws, docs_origin):
    from chalice.test import Client

    from app import app

    # The dev stage's environment, as deployed; the document reads no table, so it answers.
    with Client(app, stage_name="dev") as dev:
        get_settings.cache_clear()
        response = dev.http.get("/v1/openapi.json", headers={"Origin": DOCS})
    get_settings.cache_clear()
    assert response.json_body["servers"] == [{"url": "https://api-dev.fuel.example.cn"}]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_console_origins_are_allowed_on_every_stage(aws, monkeypatch):
    from chalice.test import Client

    from app import app

    console = "https://console-dev.fuel.example.cn"
    monkeypatch.setenv("CONSOLE_ORIGINS", f"http://127.0.0.1:9, {console}/")
    with Client(app, stage_name="dev") as dev:
        get_settings.cache_clear()
        response = dev.http.get("/v1/openapi.json", headers={"Origin": console})
    get_settings.cache_clear()
    assert response.headers["Access-Control-Allow-Origin"] == console
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
