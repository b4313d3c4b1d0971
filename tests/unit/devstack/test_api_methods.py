"""The local API answers a method it does not serve (TRACE, made-up ones) like a wrong method:
the app's JSON 405, never http.server's HTML 501."""
from __future__ import annotations

import http.client

import pytest

from tests.paystack import serve_api


@pytest.fixture
def api(base_environment):
    server = serve_api()
    yield server
    server.stop()


def _ask(api, method: str, path: str = "/v1/me"):
    host, port = api.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        return answer.status, answer.getheader("Content-Type"), answer.read()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_an_unknown_method_gets_the_json_405_of_a_wrong_method(api, method):
    wrong = _ask(api, "PUT")

    unknown = _ask(api, method)

    assert wrong[0] == 405 and wrong[1] == "application/json"
    assert unknown[:2] == wrong[:2]
    assert unknown[2] == wrong[2].replace(b"PUT", method.encode())


def test_an_unknown_method_on_an_unknown_path_is_a_json_405_too(api):
    status, content_type, _ = _ask(api, "TRACE", "/v1/no/such/route")

    assert (status, content_type) == (405, "application/json")
