"""What the API's Lambdas may touch (chalicelib/needs.py): the API function, which serves every
route, and the payment webhook's own function (infra/throttling.py: the same code, API Gateway
sends it the webhook path only). infra/package.py makes each its role."""
from __future__ import annotations

from chalicelib.needs import SETTLES_ORDERS, Needs


NEEDS = {
    "api_handler": Needs(
        tables={
            "accounts": "RP", "alerts": "RPUD", "coupon-campaigns": "RPU", "coupon-claims": "RU",
            "coupon-templates": "RPU", "coupons": "RPU", "invoices": "RPU", "ledger": "RP",
            "notification-records": "R", "order-events": "RP", "orders": "RPU", "outbox": "RPD",
            "popup-views": "RP", "popups": "RPU", "price-history": "RP", "promotions": "RPD",
            "reconciliation": "RPUD", "refunds": "RPU", "staff": "RU", "station-density": "RU",
            "stations": "RPU", "subscription-quotas": "R", "throttles": "RPU", "topups": "RPU",
            "user-openids": "RP", "users": "RP",
        },
        sends=("alert-fanout", "coupon-campaigns", "invoices", "notifications"),
        buckets=("invoices", "pump-codes"),
        secrets=True,
        ledger_key=("sign", "verify"),
    ),
    "webhook_handler": SETTLES_ORDERS.with_tables({"staff": "RU"}),
}
