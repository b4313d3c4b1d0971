"""Typed settings, read once from the environment (never at import time).

In AWS the environment comes from .chalice/config.json; locally the devstack writes it.
Each field is read from the variable of its upper-cased name (a few differ, see `_ENV_NAMES`),
and the whole environment goes through one msgspec conversion, so a bad value stops the
start-up with an error naming its variable instead of failing the first request that reads it.
Secrets are not settings: they come from providers/secrets.py.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Annotated, Literal

import msgspec

from chalicelib.type_plans import planned

APP_NAME = "fuel"

Count = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
CacheSeconds = Annotated[float, msgspec.Meta(ge=0)]  # 0 keeps nothing
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Ratio = Annotated[str, msgspec.Meta(pattern=r"^\d+:\d+$")]  # "P:F", parsed by the wallet
Url = Annotated[str, msgspec.Meta(pattern=r"^https?://")]
OptionalUrl = Annotated[str, msgspec.Meta(pattern=r"^(https?://.*)?$")]  # empty: not configured


class SettingsError(ValueError):
    """A variable of the environment holds a value its setting cannot take."""


class Seller(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The seller on a station payee's invoices: its tax id and the drawer (开票员) bound to
    its invoicing account, at most 8 characters (Nuonuo's limit for 数电, PROTOCOLS.md)."""
    tax_id: str
    clerk: Annotated[str, msgspec.Meta(max_length=8)] | None = None


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    stage: str = "local"
    aws_region: str = "cn-north-1"
    # None in AWS; the moto server or DynamoDB Local locally.
    aws_endpoint_url: str | None = None
    dynamodb_endpoint_url: str | None = None
    # Where secrets live: a Secrets Manager secret id in AWS, a JSON file locally.
    secrets_id: str | None = None
    secrets_file: str | None = None
    # How long a Lambda keeps the secrets it read, so a rotated secret is picked up without a
    # redeploy (providers/secrets.py).
    secrets_cache_s: Count = 300
    public_base_url: Url = "http://127.0.0.1:8000"
    wechat_api_url: Url = "https://api.weixin.qq.com"
    wechat_appid: str = ""
    wechatpay_api_url: Url = "https://api.mch.weixin.qq.com"
    wechatpay_appid: str = ""
    wechatpay_mchid: str = ""
    invoice_api_url: OptionalUrl = ""
    invoice_queue_url: str | None = None
    invoice_bucket: str | None = None
    mail_sender: str = "invoices@fuel.example.cn"
    # Invoices: the queue's name (its URL is looked up when INVOICE_QUEUE_URL is not given),
    # the seller per station payee (JSON object of payee -> {"tax_id", "clerk"}; a bare tax id
    # is a seller without a drawer, which does not issue), and how long download links live
    # (SigV4 presigned URLs live at most 7 days).
    invoice_queue_name: str | None = None
    invoice_sellers: dict[str, Seller | str] = {}
    invoice_pdf_url_ttl_s: Positive = 15 * 60
    invoice_mail_link_ttl_s: Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 3600)] = 7 * 24 * 3600
    # Subscribe messages: the notifier queue's name (its URL is looked up), the WeChat template id
    # of each message kind (domain/notifications/subscribe_messages.py; from the WeChat console, per
    # environment; a JSON object) and which mini-program version a message opens.
    notify_queue_name: str | None = None
    subscribe_template_ids: dict[str, str] = {}
    miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    # Mail goes over SMTP (no SES in the China regions): a relay in AWS, the devstack's sink
    # locally. smtp_tls is "ssl" (implicit TLS), "starttls" or "none" (loopback sink only).
    smtp_host: str | None = None
    smtp_port: Port = 465
    smtp_user: str | None = None
    smtp_tls: Literal["ssl", "starttls", "none"] = "ssl"
    smtp_timeout_s: Seconds = 10.0
    driver_token_ttl_s: Positive = 7200
    order_max_amount_fen: Positive = 300_000  # 3,000 yuan per order
    order_payment_ttl_s: Positive = 900  # 15 minutes to pay
    staff_token_ttl_s: Positive = 8 * 3600
    # Staff login attempts are counted in windows of staff_lockout_s: at most
    # staff_max_failed_logins per account from one address, staff_max_logins_per_account from
    # all addresses together, and staff_max_logins_per_address across accounts.
    staff_max_failed_logins: Positive = 5
    staff_lockout_s: Positive = 15 * 60
    staff_max_logins_per_account: Positive = 30
    staff_max_logins_per_address: Positive = 30
    # A confirmation whose settlement refund is above this share of the payment or this amount
    # needs a manager (an attendant could otherwise refund nearly a whole order).
    confirm_refund_max_share_percent: Annotated[int, msgspec.Meta(ge=0, le=100)] = 10
    confirm_refund_max_fen: Count = 5000  # 50 yuan
    # Unpaid WeChat Pay orders / top-ups a driver may open per payment window, and the least
    # time between two WeChat Pay checks of one pending order on read (docs/decisions.md).
    driver_max_unpaid_orders: Positive = 5
    driver_max_unpaid_topups: Positive = 3
    payment_check_interval_s: Count = 5
    http_connect_timeout_s: Seconds = 3.05
    http_read_timeout_s: Seconds = 10.0
    ddb_connect_timeout_s: Seconds = 2.0
    ddb_read_timeout_s: Seconds = 5.0
    # Price-drop alerts: the fan-out queue (its URL is looked up when ALERT_FANOUT_QUEUE_URL is
    # not given) and how many followers one fan-out message handles before it hands on a cursor.
    alert_fanout_queue_name: str | None = None
    alert_fanout_queue_url: str | None = None
    alert_fanout_page_size: Positive = 1000
    # Home page: how long a Lambda keeps the list of live popups before reading it again.
    home_popup_cache_s: CacheSeconds = 30.0
    # Coupons: the campaign queue (its URL is looked up when COUPON_CAMPAIGN_QUEUE_URL is not
    # given), and how long a Lambda keeps a template's definition (immutable once created; status
    # and stock are enforced by the claim's own conditions, never from this copy).
    coupon_campaign_queue_name: str | None = None
    coupon_campaign_queue_url: str | None = None
    coupon_template_cache_s: CacheSeconds = 60.0
    # The outbox (services/outbox/delivery.py): a message still unsent this long after its commit
    # is the minute sweeper's to send (younger ones are left to the sender right after commit).
    outbox_grace_s: Count = 30
    # Wallet and points (services/wallet/accounts.py parses these): the top-up bonus 每满X赠Y as
    # "X:Y" in fen ("none": no bonus), the time to pay a top-up, points earned "P:F" (P points
    # per whole F fen paid), redeemed "P:F" (P points are worth F fen), the share of an order
    # points may pay, a lot's lifetime, and member levels "name:min_spend_fen,...".
    topup_bonus_rule: str | None = "50000:2000"
    topup_payment_ttl_s: Positive = 900
    points_earn_rule: Ratio = "1:100"
    points_redeem_rule: Ratio = "100:100"
    points_max_share_percent: Annotated[int, msgspec.Meta(ge=0, le=100)] = 50
    points_expiry_days: Positive = 365
    member_levels: str | None = None
    # The origin of the local API reference (devstack/sandboxes/docs.py), whose "Try it out"
    # calls this API from the browser; honoured on the local stage only (see cors_origins).
    docs_origin: str | None = None
    # Never pay the wrong station: where printable pump codes are kept, how far from the chosen
    # station an order may be placed without the driver confirming, and how long a driver's
    # refund request may wait for the manager before it is refunded by the schedule.
    pump_code_bucket: str | None = None
    order_far_distance_m: Positive = 500
    refund_request_timeout_s: Positive = 2 * 3600
    # The origins of the station console (console/) that call the staff API from the browser,
    # comma-separated: the local stack's console server, or the console's distribution in AWS.
    console_origins: tuple[str, ...] = ()
    # The keyed ledger (domain/wallet/ledger_keys.py): the KMS HMAC key the writers seal chain
    # heads with (an ARN or alias; infra/ sets it on the functions that use it; unset on the
    # local stage = heads are written unsealed), and the moment before which an unsealed head
    # still verifies (ISO 8601 UTC: when keyed writing was switched on; unset = never).
    ledger_key_id: str | None = None
    ledger_unkeyed_before: Annotated[str, msgspec.Meta(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")] | None = None
    # Per-service endpoints, boto3's AWS_ENDPOINT_URL_<SERVICE> (the devstack's and tests' own).
    service_endpoints: tuple[tuple[str, str], ...] = ()

    def table_name(self, logical_name: str) -> str:
        """Physical table name of a logical table ('users' -> 'fuel-dev-users'); see infra/."""
        return f"{APP_NAME}-{self.stage}-{logical_name}"

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """Browser origins allowed to call this API (api/cors.py): the station console's on every
        stage; the API reference's locally only (in AWS it is read from the stage's own URL)."""
        docs = (self.docs_origin,) if self.is_local and self.docs_origin else ()
        return docs + self.console_origins

    def endpoint_for(self, service: str) -> str | None:
        """Where a client of `service` ('sqs', 's3', 'dynamodb', 'secretsmanager', 'kms') connects: its
        own endpoint, else AWS_ENDPOINT_URL; None is AWS itself. The local stage refuses None
        (unless moto answers in-process): a bench or test that left a service unset fails at
        once instead of resolving a real AWS host and waiting on it."""
        url = (dict(self.service_endpoints).get(service)
               or (self.dynamodb_endpoint_url if service == "dynamodb" else None)
               or self.aws_endpoint_url)
        if url is None and self.is_local and not _moto_answers():
            raise EndpointMissing(
                f"the local stage has no endpoint for {service}: set "
                f"AWS_ENDPOINT_URL_{service.upper()} or AWS_ENDPOINT_URL to the local stack")
        return url

    def template_id(self, kind: str) -> str | None:
        """The configured WeChat template id of a message kind, None if not configured."""
        return self.subscribe_template_ids.get(kind)

    def seller_tax_id(self, payee: str) -> str | None:
        """The USCC of a station's payee (the seller on its invoices), None if not configured."""
        seller = self.invoice_sellers.get(payee)
        return seller if isinstance(seller, str) else seller.tax_id if seller else None

    def seller_clerk(self, payee: str) -> str | None:
        """The drawer (开票员) bound to the payee's invoicing account, None if not configured."""
        seller = self.invoice_sellers.get(payee)
        return None if seller is None or isinstance(seller, str) else seller.clerk


# Fields whose variable is not their upper-cased name, and those read from a second variable
# when their own is unset (the devstack and older stages set only the second).
_ENV_NAMES = {"miniprogram_state": "WECHAT_MINIPROGRAM_STATE",
              "invoice_sellers": "INVOICE_SELLER_TAX_IDS",
              "subscribe_template_ids": "WECHAT_TEMPLATE_IDS"}
_FALLBACKS = {"aws_region": "AWS_DEFAULT_REGION", "dynamodb_endpoint_url": "AWS_ENDPOINT_URL",
              "wechatpay_appid": "WECHAT_APPID"}
_JSON = ("invoice_sellers", "subscribe_template_ids")
_BASE_URLS = ("public_base_url", "wechat_api_url", "wechatpay_api_url", "invoice_api_url",
              "docs_origin")
_LISTS = ("console_origins",)  # comma-separated


def env_name(field: str) -> str:
    return _ENV_NAMES.get(field, field.upper())


def load_settings(environ=None) -> Settings:
    """The settings of `environ` (the process environment by default); SettingsError names the
    variable of a value that does not fit. An empty variable counts as unset."""
    environ = os.environ if environ is None else environ
    raw = {}
    for field in Settings.__struct_fields__:
        value = environ.get(env_name(field)) or environ.get(_FALLBACKS.get(field, ""))
        if not value:
            continue
        if field in _JSON:
            try:
                value = json.loads(value)
            except ValueError:
                raise SettingsError(f"{env_name(field)}: not JSON") from None
        elif field in _BASE_URLS:
            value = value.rstrip("/")
        elif field in _LISTS:
            value = [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        raw[field] = value
    raw["service_endpoints"] = sorted(
        (name[len(_SERVICE_ENDPOINT):].lower(), url) for name, url in environ.items()
        if name.startswith(_SERVICE_ENDPOINT) and url)
    try:
        # strict=False: the environment holds text, so "465" becomes the int a port is.
        return msgspec.convert(raw, planned(Settings), strict=False)
    except msgspec.ValidationError as err:
        raise SettingsError(_naming_the_variable(str(err))) from None


def _naming_the_variable(message: str) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.smtp_port`" as "SMTP_PORT: Expected ..."."""
    found = re.search(r" - at `\$\.(\w+)", message)
    if not found:
        return message
    return f"{env_name(found.group(1))}: {message[:found.start()]}"


_SERVICE_ENDPOINT = "AWS_ENDPOINT_URL_"


class EndpointMissing(RuntimeError):
    """An AWS client was wanted on the local stage with no local endpoint for its service."""


def _moto_answers() -> bool:
    """Whether moto intercepts boto calls in this process (unit tests): then nothing leaves it."""
    try:
        from moto.core.models import botocore_stubber  # a dev dependency, never in the package
    except ImportError:
        return False
    return bool(botocore_stubber.enabled)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
