"""Create the resources of infra/template.yaml: tables on DynamoDB Local (or moto), the rest on moto.

infra/ is the one definition of tables, queues and buckets: the local stack and the tests build
theirs from it here, so adding a table or an index means editing infra/template.yaml only.
"""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"
ACCOUNT_ID = "123456789012"


def load_template(path: Path = TEMPLATE) -> dict:
    """The template as data (a copy the caller may change); parsed once while the file stays."""
    return copy.deepcopy(_parsed(Path(path), Path(path).stat().st_mtime_ns))


@lru_cache(maxsize=4)
def _parsed(path: Path, mtime_ns: int) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class _Resolver:
    """Resolves the intrinsic functions the template uses, for one stage and region."""

    def __init__(self, stage: str, region: str, physical: dict[str, dict]):
        self.params = {"Stage": stage, "AWS::Region": region, "AWS::AccountId": ACCOUNT_ID,
                       "AWS::Partition": "aws"}
        self.physical = physical  # logical id -> {"Ref": ..., "Arn": ..., ...}

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            name = value["Ref"]
            return self.params[name] if name in self.params else self.physical[name]["Ref"]
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), value["Fn::Sub"])
        if set(value) == {"Fn::GetAtt"}:
            logical, attr = value["Fn::GetAtt"]
            return self.physical[logical][attr]
        return {k: self(v) for k, v in value.items()}

    def _sub(self, name: str) -> str:
        if name in self.params:
            return self.params[name]
        logical, _, attr = name.partition(".")
        return self.physical[logical][attr or "Ref"]


def _resources(template: dict, kind: str):
    for logical, resource in template["Resources"].items():
        if resource["Type"] == kind:
            yield logical, resource.get("Properties", {})


def table_definitions(stage: str, region: str = "cn-north-1", template: dict | None = None):
    """CreateTable arguments of every table, and each table's TTL attribute (or None)."""
    template = template or load_template()
    resolve = _Resolver(stage, region, {})
    for _, props in _resources(template, "AWS::DynamoDB::Table"):
        props = resolve(props)
        args = {key: props[key] for key in ("TableName", "AttributeDefinitions", "KeySchema",
                                            "BillingMode") if key in props}
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        ttl = props.get("TimeToLiveSpecification", {})
        yield args, (ttl.get("AttributeName") if ttl.get("Enabled") else None)


def create_tables(dynamodb_client, stage: str, region: str = "cn-north-1") -> list[str]:
    """Create every table of the template that does not exist yet (kept data survives a
    restart); returns the names of those created."""
    existing = set(dynamodb_client.get_paginator("list_tables").paginate().build_full_result()
                   .get("TableNames", []))
    names = []
    for args, ttl_attribute in table_definitions(stage, region):
        if args["TableName"] in existing:
            continue
        dynamodb_client.create_table(**args)
        dynamodb_client.get_waiter("table_exists").wait(TableName=args["TableName"])
        if ttl_attribute:
            dynamodb_client.update_time_to_live(
                TableName=args["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute})
        names.append(args["TableName"])
    return names


def create_queues_and_buckets(session, stage: str, region: str, endpoint_url: str) -> dict:
    """Queues and buckets: {logical id: {"Ref": url or name, "Arn": ..., "QueueName": ...}}."""
    return {**create_queues(session, stage, region, endpoint_url),
            **create_buckets(session, stage, region, endpoint_url)}


def create_queues(session, stage: str, region: str, endpoint_url: str) -> dict:
    """Every queue, dead-letter queues first (so redrive policies can name them)."""
    template = load_template()
    physical: dict[str, dict] = {}
    resolve = _Resolver(stage, region, physical)
    sqs = session.client("sqs", region_name=region, endpoint_url=endpoint_url)
    queues = dict(_resources(template, "AWS::SQS::Queue"))
    ordered = sorted(queues, key=lambda logical: "RedrivePolicy" in queues[logical])
    for logical in ordered:
        props = resolve(queues[logical])
        attributes = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "MessageRetentionPeriod" in props:
            attributes["MessageRetentionPeriod"] = str(props["MessageRetentionPeriod"])
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        physical[logical] = {"Ref": url, "Arn": arn, "QueueName": props["QueueName"]}
    return physical


def create_buckets(session, stage: str, region: str, endpoint_url: str) -> dict:
    resolve = _Resolver(stage, region, {})
    s3 = session.client("s3", region_name=region, endpoint_url=endpoint_url)
    physical = {}
    for logical, props in _resources(load_template(), "AWS::S3::Bucket"):
        name = resolve(props)["BucketName"]
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        physical[logical] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
    return physical


def create_keys(session, stage: str, region: str, endpoint_url: str | None) -> dict:
    """The KMS keys of the template (the ledger's HMAC key) with their aliases, on moto.

    Returns {logical id: {"Ref": key id, "Arn": ...}}."""
    template = load_template()
    physical: dict[str, dict] = {}
    resolve = _Resolver(stage, region, physical)
    kms = session.client("kms", region_name=region, endpoint_url=endpoint_url)
    for logical, props in _resources(template, "AWS::KMS::Key"):
        props = resolve({k: v for k, v in props.items() if k != "KeyPolicy"})
        meta = kms.create_key(KeySpec=props["KeySpec"], KeyUsage=props["KeyUsage"],
                              Description=props.get("Description", ""))["KeyMetadata"]
        physical[logical] = {"Ref": meta["KeyId"], "Arn": meta["Arn"]}
    for _, props in _resources(template, "AWS::KMS::Alias"):
        props = resolve(props)
        kms.create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    return physical
