"""The getUnlimited sandbox refuses what WeChat refuses and draws a code that reads back."""
from __future__ import annotations

import io

import pytest

from devstack.sandboxes.wechat import WeChatSandboxConfig, create_app


@pytest.fixture
def client():
    app = create_app(WeChatSandboxConfig(appid="wx1", app_secret="s1"))
    client = app.test_client()
    token = client.post("/cgi-bin/stable_token", json={"appid": "wx1", "secret": "s1",
                                                       "grant_type": "client_credential"})
    return client, token.get_json()["access_token"]


def _code(client, token, **body):
    return client.post(f"/wxa/getwxacodeunlimit?access_token={token}", json=body)


def test_a_code_is_a_png_that_decodes_to_its_scene(client):
    import zxingcpp
    from PIL import Image

    http, token = client
    answer = _code(http, token, scene="1.3.ty-001", page="pages/pump/index")

    assert answer.mimetype == "image/png"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(answer.data)))] == [
        "1.3.ty-001"]


@pytest.mark.parametrize("token_ok, body, errcode", [
    (False, {"scene": "a"}, 40001),
    (True, {"scene": "x" * 33}, 40169),
    (True, {"page": "pages/pump/index"}, 40169),
    (True, {"scene": "中文"}, 40129),
    (True, {"scene": "a", "page": "/pages/pump/index"}, 41030),
    (True, {"scene": "a", "page": "pages/nowhere"}, 41030),
    (True, {"scene": "a", "width": 279}, 40097),
    (True, {"scene": "a", "width": 1281}, 40097),
])
def test_what_wechat_refuses_is_refused_with_its_errcode(client, token_ok, body, errcode):
    http, token = client

    answer = _code(http, token if token_ok else "nope", **body)

    assert answer.get_json()["errcode"] == errcode
