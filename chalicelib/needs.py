"""What one Lambda may touch in AWS, declared beside its handler (chalicelib/jobs/*, the API's in
chalicelib/api/needs.py); infra/package.py turns each into that function's own IAM role, and
tests/unit/security/test_function_needs.py holds every declaration to what the function's code
can reach (docs/decisions.md, 2026-12-06, least privilege per function).

tables: logical table name (`fuel-<stage>-<name>`) -> the operations, in the order "RPUD":
  R read (GetItem, BatchGetItem, Query, Scan, ConditionCheckItem, DescribeTable; on the table
    and its indexes), P PutItem, U UpdateItem, D DeleteItem and BatchWriteItem.
sends: queues (`fuel-<stage>-<name>`) it sends to; the queue a worker consumes is its event
  source's and is granted from there.
buckets: buckets (`fuel-<stage>-<name>`) it reads and writes objects in.
secrets: it reads the stage's app secret.
ledger_key: "sign" (kms:GenerateMac) and/or "verify" (kms:VerifyMac) with the ledger's HMAC key.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

OPERATIONS = "RPUD"


@dataclass(frozen=True)
class Needs:
    tables: dict[str, str] = field(default_factory=dict)
    sends: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    secrets: bool = False
    ledger_key: tuple[str, ...] = ()

    def __post_init__(self):
        for table, ops in self.tables.items():
            if not ops or any(op not in OPERATIONS for op in ops) or len(set(ops)) != len(ops):
                raise ValueError(f"{table}: operations are letters of {OPERATIONS}, each once")
        if not set(self.ledger_key) <= {"sign", "verify"}:
            raise ValueError("ledger_key holds 'sign' and/or 'verify'")

    def with_tables(self, tables: dict[str, str]) -> Needs:
        """These needs and more tables (a table named again takes the operations given here)."""
        return replace(self, tables={**self.tables, **tables})


# What a function reaches when it settles orders (services/orders/changes.py with its effects):
# the order, its history and refunds, the account and its ledger (sealed), coupons, the outbox,
# the station's counters, the invoice a payment asks for, driver caps and top-ups.
SETTLES_ORDERS = Needs(
    tables={
        "accounts": "RP", "coupon-claims": "R", "coupons": "RU", "invoices": "RPU",
        "ledger": "RP", "order-events": "RP", "orders": "RPU", "outbox": "RPD",
        "promotions": "R", "refunds": "RPU", "station-density": "RU", "stations": "RPU",
        "throttles": "RPU", "topups": "RPU", "user-openids": "RP", "users": "RP",
    },
    sends=("alert-fanout", "coupon-campaigns", "invoices", "notifications"),
    buckets=("invoices",),
    secrets=True,
    ledger_key=("sign",),
)
