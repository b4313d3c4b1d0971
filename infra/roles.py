"""One IAM role per Lambda of the packaged template, made from what the function declares it
needs (chalicelib/needs.py; the declarations sit beside each job in chalicelib/jobs/ and in
chalicelib/api/needs.py), every resource named exactly (docs/decisions.md, 2026-12-06).

Chalice gives each function a role carrying the stage's one policy file; here each role's
policy is replaced by the function's own, and the webhook function (infra/throttling.py, a copy
of the API function) gets a role of its own instead of sharing the API's. Nothing may delete
from, or update, the append-only tables: a declaration asking for it is refused here too.
"""
from __future__ import annotations

import copy
import importlib
import pkgutil

import chalicelib.jobs
from chalicelib.needs import Needs

APPEND_ONLY = ("ledger", "order-events")  # never updated, never deleted: put once, conditionally
NEVER_DELETED = APPEND_ONLY + ("refunds",)  # a refund's status moves; the record stays
ACTIONS = {
    "R": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
          "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"],
    "P": ["dynamodb:PutItem"],
    "U": ["dynamodb:UpdateItem"],
    "D": ["dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
}
SEND = ["sqs:SendMessage", "sqs:GetQueueUrl"]
RECEIVE = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
           "sqs:GetQueueAttributes"]
KEY_ACTIONS = {"sign": "kms:GenerateMac", "verify": "kms:VerifyMac"}
LEDGER_KEY = "LedgerKey"
WEBHOOK = "WebhookHandler"


def all_needs() -> dict[str, Needs]:
    """Every declaration, by Chalice's function name (webhook_handler for the webhook's)."""
    from chalicelib.api import needs as api_needs

    found = dict(api_needs.NEEDS)
    for module in pkgutil.iter_modules(chalicelib.jobs.__path__):
        declared = getattr(importlib.import_module(f"chalicelib.jobs.{module.name}"), "NEEDS", {})
        for name, needs in declared.items():
            if name in found:
                raise ValueError(f"{name} is declared twice")
            found[name] = needs
    for name, needs in found.items():
        for table in NEVER_DELETED:
            ops = set(needs.tables.get(table, ""))
            if "D" in ops or ("U" in ops and table in APPEND_ONLY):
                raise ValueError(f"{name} may not {'delete' if 'D' in ops else 'update'} "
                                 f"{table}: it is append-only")
    return found


def function_name(logical: str, function: dict) -> str:
    if logical == WEBHOOK:
        return "webhook_handler"
    handler = function["Properties"]["Handler"]
    return "api_handler" if handler == "app.app" else handler.rpartition(".")[2]


def _named(template: dict, kind: str, name_property: str) -> dict[str, str]:
    """`fuel-${Stage}-<name>` resources of a kind: <name> -> logical id."""
    found = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] == kind:
            name = resource["Properties"][name_property]["Fn::Sub"]
            found[name.removeprefix("fuel-${Stage}-")] = logical
    return found


def policy(needs: Needs, template: dict, event_queues: list) -> list[dict]:
    tables = _named(template, "AWS::DynamoDB::Table", "TableName")
    queues = _named(template, "AWS::SQS::Queue", "QueueName")
    buckets = _named(template, "AWS::S3::Bucket", "BucketName")
    statements = [
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                                 ":log-group:/aws/lambda/${AWS::StackName}-*"}},
        # X-Ray takes no resource (its actions have no resource-level permissions).
        {"Sid": "Traces", "Effect": "Allow",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
    ]
    for table, ops in sorted(needs.tables.items()):
        logical = tables[table]
        resources = [{"Fn::GetAtt": [logical, "Arn"]}]
        if "R" in ops and template["Resources"][logical]["Properties"].get(
                "GlobalSecondaryIndexes"):
            resources.append({"Fn::Sub": "${%s.Arn}/index/*" % logical})
        statements.append({"Sid": "Table" + logical.removesuffix("Table"), "Effect": "Allow",
                           "Action": [a for op in ops for a in ACTIONS[op]],
                           "Resource": resources})
    sends = [{"Fn::GetAtt": [queues[q], "Arn"]} for q in sorted(needs.sends)]
    if sends:
        statements.append({"Sid": "Send", "Effect": "Allow", "Action": SEND, "Resource": sends})
    if event_queues:
        statements.append({"Sid": "Receive", "Effect": "Allow", "Action": RECEIVE,
                           "Resource": event_queues})
    if needs.buckets:
        statements.append({"Sid": "Objects", "Effect": "Allow",
                           "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": [{"Fn::Sub": "${%s.Arn}/*" % buckets[b]}
                                        for b in sorted(needs.buckets)]})
    if needs.secrets:
        statements.append({"Sid": "AppSecret", "Effect": "Allow",
                           "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:"
                                                   "${AWS::Region}:${AWS::AccountId}:secret:"
                                                   "fuel/${Stage}/app-*"}})
    if needs.ledger_key:
        statements.append({"Sid": "LedgerKey", "Effect": "Allow",
                           "Action": [KEY_ACTIONS[use] for use in sorted(needs.ledger_key)],
                           "Resource": {"Fn::GetAtt": [LEDGER_KEY, "Arn"]}})
    return statements


def apply(template: dict) -> None:
    """Give every function its own role with its own policy (run after infra/throttling.py)."""
    resources = template["Resources"]
    declared = all_needs()
    functions = {logical: r for logical, r in resources.items()
                 if r["Type"] == "AWS::Serverless::Function"}
    unknown = {function_name(logical, f) for logical, f in functions.items()} - set(declared)
    if unknown:
        raise ValueError(f"functions without a declaration of their needs: {sorted(unknown)}")
    for logical, function in functions.items():
        name = function_name(logical, function)
        old_role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role_logical = f"{logical}Role" if logical == WEBHOOK else old_role
        role = copy.deepcopy(resources[old_role])
        event_queues = [event["Properties"]["Queue"]
                        for event in (function["Properties"].get("Events") or {}).values()
                        if event.get("Type") == "SQS"]
        role["Properties"]["Policies"] = [{
            "PolicyName": f"{role_logical}Policy",
            "PolicyDocument": {"Version": "2012-10-17",
                               "Statement": policy(declared[name], template, event_queues)}}]
        resources[role_logical] = role
        function["Properties"]["Role"] = {"Fn::GetAtt": [role_logical, "Arn"]}
        if declared[name].ledger_key:
            function["Properties"].setdefault("Environment", {}).setdefault("Variables", {})[
                "LEDGER_KEY_ID"] = {"Fn::GetAtt": [LEDGER_KEY, "Arn"]}
    used = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    for logical in [k for k, r in resources.items() if r["Type"] == "AWS::IAM::Role"]:
        if logical not in used:
            del resources[logical]
