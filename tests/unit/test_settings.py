"""Settings load through one typed conversion: a bad value stops the start-up with an error that
names its variable, and the environment's text becomes the types the code reads."""
from __future__ import annotations

import pytest

from chalicelib.settings import SettingsError, get_settings, load_settings


@pytest.mark.parametrize(("variable", "value"), [
    ("SMTP_PORT", "four-six-five"),
    ("SMTP_PORT", "70000"),
    ("SMTP_TLS", "tls"),
    ("HTTP_READ_TIMEOUT_S", "0"),
    ("ORDER_MAX_AMOUNT_FEN", "-1"),
    ("POINTS_EARN_RULE", "1/100"),
    ("POINTS_MAX_SHARE_PERCENT", "150"),
    ("WECHAT_TEMPLATE_IDS", "[\"tmpl\"]"),
    ("INVOICE_SELLER_TAX_IDS", "{not json"),
    ("WECHATPAY_API_URL", "api.mch.weixin.qq.com"),
    ("WECHAT_MINIPROGRAM_STATE", "beta"),
])
def test_a_bad_value_is_refused_naming_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as refused:
        get_settings()

    assert str(refused.value).startswith(f"{variable}: ")


def test_the_environment_text_becomes_typed_values():
    settings = load_settings({"SMTP_PORT": "2525", "HTTP_READ_TIMEOUT_S": "3.5",
                              "WECHAT_TEMPLATE_IDS": '{"payment_received": "t-1"}',
                              "PUBLIC_BASE_URL": "https://api.example.cn/",
                              "STAFF_LOCKOUT_S": ""})

    assert settings.smtp_port == 2525
    assert settings.http_read_timeout_s == 3.5
    assert settings.template_id("payment_received") == "t-1"
    assert settings.public_base_url == "https://api.example.cn"
    assert settings.staff_lockout_s == 15 * 60  # empty counts as unset


def test_a_second_variable_fills_in_when_the_first_is_unset():
    settings = load_settings({"AWS_DEFAULT_REGION": "cn-northwest-1",
                              "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
                              "WECHAT_APPID": "wx-1"})

    assert settings.aws_region == "cn-northwest-1"
    assert settings.dynamodb_endpoint_url == "http://127.0.0.1:5000"
    assert settings.wechatpay_appid == "wx-1"
