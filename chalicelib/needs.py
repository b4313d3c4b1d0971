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

from dataclasses import dataclass, field

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
