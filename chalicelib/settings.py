"""Typed settings, read once from the environment (never at import time).

In AWS the environment comes from .chalice/config.json; locally the devstack writes it.
Secrets are not settings: they come from providers/secrets.py.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

APP_NAME = "fuel"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def _str(name: str, default: str | None = None) -> str | None:
    raw = os.environ.get(name)
    return default if raw in (None, "") else raw


def _text_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """A JSON object of text to text (e.g. payee -> tax id), as sorted pairs (hashable)."""
    raw = _str(name)
    if raw is None:
        return ()
    value = json.loads(raw)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{name} must be a JSON object of strings")
    return tuple(sorted(value.items()))


def _sellers(name: str) -> tuple[tuple[str, str, str | None], ...]:
    """Invoice sellers per station payee: a JSON object payee -> {"tax_id", "clerk"} (the clerk
    is the drawer bound to the seller's invoicing account); a bare tax id string is a seller
    without a drawer, which does not issue."""
    raw = _str(name)
    value = json.loads(raw) if raw is not None else {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    sellers = []
    for payee, entry in sorted(value.items()):
        entry = {"tax_id": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or not isinstance(entry.get("tax_id"), str) \
                or not isinstance(entry.get("clerk") or "", str):
            raise ValueError(f"{name}: {payee} needs a text tax_id and clerk")
        if len(entry.get("clerk") or "") > 8:   # Nuonuo's limit for 数电 (PROTOCOLS.md)
            raise ValueError(f"{name}: the clerk of {payee} is longer than 8 characters")
        sellers.append((payee, entry["tax_id"], entry.get("clerk") or None))
    return tuple(sellers)


@dataclass(frozen=True)
class Settings:
    stage: str
    aws_region: str
    # None in AWS; the moto server or DynamoDB Local locally.
    aws_endpoint_url: str | None
    dynamodb_endpoint_url: str | None
    # Where secrets live: a Secrets Manager secret id in AWS, a JSON file locally.
    secrets_id: str | None
    secrets_file: str | None
    public_base_url: str
    wechat_api_url: str
    wechat_appid: str
    wechatpay_api_url: str
    wechatpay_appid: str
    wechatpay_mchid: str
    invoice_api_url: str
    invoice_queue_url: str | None
    invoice_bucket: str | None
    mail_sender: str
    # Invoices: the queue's name (its URL is looked up when INVOICE_QUEUE_URL is not given),
    # the seller per station payee (tax id and drawer), and how long download links live.
    invoice_queue_name: str | None
    invoice_sellers: tuple[tuple[str, str, str | None], ...]
    invoice_pdf_url_ttl_s: int
    invoice_mail_link_ttl_s: int
    # Subscribe messages: the notifier queue's name (its URL is looked up), the WeChat template id
    # of each message kind (domain/notifications/subscribe_messages.py; from the WeChat console, per
    # environment) and which mini-program version a message opens.
    notify_queue_name: str | None
    subscribe_template_ids: tuple[tuple[str, str], ...]
    miniprogram_state: str
    # Mail goes over SMTP (no SES in the China regions): a relay in AWS, the devstack's sink
    # locally. smtp_tls is "ssl" (implicit TLS), "starttls" or "none" (loopback sink only).
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_tls: str
    smtp_timeout_s: float
    driver_token_ttl_s: int
    order_max_amount_fen: int
    order_payment_ttl_s: int
    staff_token_ttl_s: int
    staff_max_failed_logins: int
    staff_lockout_s: int
    http_connect_timeout_s: float
    http_read_timeout_s: float
    ddb_connect_timeout_s: float
    ddb_read_timeout_s: float
    # Price-drop alerts: the fan-out queue (its URL is looked up when ALERT_FANOUT_QUEUE_URL is
    # not given) and how many followers one fan-out message handles before it hands on a cursor.
    alert_fanout_queue_name: str | None
    alert_fanout_queue_url: str | None
    alert_fanout_page_size: int
    # Home page: how long a Lambda keeps the list of live popups before reading it again.
    home_popup_cache_s: float
    # Coupons: the campaign queue (its URL is looked up when COUPON_CAMPAIGN_QUEUE_URL is not
    # given), and how long a Lambda keeps a template's definition (immutable once created; status
    # and stock are enforced by the claim's own conditions, never from this copy).
    coupon_campaign_queue_name: str | None
    coupon_campaign_queue_url: str | None
    coupon_template_cache_s: float
    # Wallet and points (services/wallet/accounts.py parses these): the top-up bonus 每满X赠Y as
    # "X:Y" in fen (empty or "none": no bonus), the time to pay a top-up, points earned "P:F"
    # (P points per whole F fen paid), redeemed "P:F" (P points are worth F fen), the share of an
    # order points may pay, a lot's lifetime, and member levels "name:min_spend_fen,...".
    topup_bonus_rule: str | None
    topup_payment_ttl_s: int
    points_earn_rule: str
    points_redeem_rule: str
    points_max_share_percent: int
    points_expiry_days: int
    member_levels: str | None
    # Per-service endpoints, boto3's AWS_ENDPOINT_URL_<SERVICE> (the devstack's and tests' own).
    service_endpoints: tuple[tuple[str, str], ...] = ()

    def table_name(self, logical_name: str) -> str:
        """Physical table name of a logical table ('users' -> 'fuel-dev-users'); see infra/."""
        return f"{APP_NAME}-{self.stage}-{logical_name}"

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def endpoint_for(self, service: str) -> str | None:
        """Where a client of `service` ('sqs', 's3', 'dynamodb', 'secretsmanager') connects: its
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
        return dict(self.subscribe_template_ids).get(kind)

    def seller_tax_id(self, payee: str) -> str | None:
        """The USCC of a station's payee (the seller on its invoices), None if not configured."""
        return next((tax_id for name, tax_id, _ in self.invoice_sellers if name == payee), None)

    def seller_clerk(self, payee: str) -> str | None:
        """The drawer (开票员) bound to the payee's invoicing account, None if not configured."""
        return next((clerk for name, _, clerk in self.invoice_sellers if name == payee), None)


def load_settings() -> Settings:
    endpoint = _str("AWS_ENDPOINT_URL")
    return Settings(
        stage=_str("STAGE", "local"),
        aws_region=_str("AWS_REGION", _str("AWS_DEFAULT_REGION", "cn-north-1")),
        aws_endpoint_url=endpoint,
        dynamodb_endpoint_url=_str("DYNAMODB_ENDPOINT_URL", endpoint),
        secrets_id=_str("SECRETS_ID"),
        secrets_file=_str("SECRETS_FILE"),
        public_base_url=_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        wechat_api_url=_str("WECHAT_API_URL", "https://api.weixin.qq.com").rstrip("/"),
        wechat_appid=_str("WECHAT_APPID", ""),
        wechatpay_api_url=_str("WECHATPAY_API_URL", "https://api.mch.weixin.qq.com").rstrip("/"),
        wechatpay_appid=_str("WECHATPAY_APPID", _str("WECHAT_APPID", "")),
        wechatpay_mchid=_str("WECHATPAY_MCHID", ""),
        invoice_api_url=_str("INVOICE_API_URL", "").rstrip("/"),
        invoice_queue_url=_str("INVOICE_QUEUE_URL"),
        invoice_bucket=_str("INVOICE_BUCKET"),
        mail_sender=_str("MAIL_SENDER", "invoices@fuel.example.cn"),
        invoice_queue_name=_str("INVOICE_QUEUE_NAME"),
        invoice_sellers=_sellers("INVOICE_SELLER_TAX_IDS"),
        invoice_pdf_url_ttl_s=_int("INVOICE_PDF_URL_TTL_S", 15 * 60),
        # SigV4 presigned URLs live at most 7 days.
        invoice_mail_link_ttl_s=_int("INVOICE_MAIL_LINK_TTL_S", 7 * 24 * 3600),
        notify_queue_name=_str("NOTIFY_QUEUE_NAME"),
        subscribe_template_ids=_text_pairs("WECHAT_TEMPLATE_IDS"),
        miniprogram_state=_str("WECHAT_MINIPROGRAM_STATE", "formal"),
        smtp_host=_str("SMTP_HOST"),
        smtp_port=_int("SMTP_PORT", 465),
        smtp_user=_str("SMTP_USER"),
        smtp_tls=_str("SMTP_TLS", "ssl"),
        smtp_timeout_s=float(_str("SMTP_TIMEOUT_S", "10")),
        driver_token_ttl_s=_int("DRIVER_TOKEN_TTL_S", 7200),
        order_max_amount_fen=_int("ORDER_MAX_AMOUNT_FEN", 300_000),  # 3,000 yuan per order
        order_payment_ttl_s=_int("ORDER_PAYMENT_TTL_S", 900),  # 15 minutes to pay
        staff_token_ttl_s=_int("STAFF_TOKEN_TTL_S", 8 * 3600),
        staff_max_failed_logins=_int("STAFF_MAX_FAILED_LOGINS", 5),
        staff_lockout_s=_int("STAFF_LOCKOUT_S", 15 * 60),
        http_connect_timeout_s=float(_str("HTTP_CONNECT_TIMEOUT_S", "3.05")),
        http_read_timeout_s=float(_str("HTTP_READ_TIMEOUT_S", "10")),
        ddb_connect_timeout_s=float(_str("DDB_CONNECT_TIMEOUT_S", "2")),
        ddb_read_timeout_s=float(_str("DDB_READ_TIMEOUT_S", "5")),
        alert_fanout_queue_name=_str("ALERT_FANOUT_QUEUE_NAME"),
        alert_fanout_queue_url=_str("ALERT_FANOUT_QUEUE_URL"),
        alert_fanout_page_size=_int("ALERT_FANOUT_PAGE_SIZE", 1000),
        home_popup_cache_s=float(_str("HOME_POPUP_CACHE_S", "30")),
        coupon_campaign_queue_name=_str("COUPON_CAMPAIGN_QUEUE_NAME"),
        coupon_campaign_queue_url=_str("COUPON_CAMPAIGN_QUEUE_URL"),
        coupon_template_cache_s=float(_str("COUPON_TEMPLATE_CACHE_S", "60")),
        topup_bonus_rule=_str("TOPUP_BONUS_RULE", "50000:2000"),
        topup_payment_ttl_s=_int("TOPUP_PAYMENT_TTL_S", 900),
        points_earn_rule=_str("POINTS_EARN_RULE", "1:100"),
        points_redeem_rule=_str("POINTS_REDEEM_RULE", "100:100"),
        points_max_share_percent=_int("POINTS_MAX_SHARE_PERCENT", 50),
        points_expiry_days=_int("POINTS_EXPIRY_DAYS", 365),
        member_levels=_str("MEMBER_LEVELS"),
        service_endpoints=tuple(sorted(
            (name[len(_SERVICE_ENDPOINT):].lower(), url) for name, url in os.environ.items()
            if name.startswith(_SERVICE_ENDPOINT) and url)),
    )


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
