"""The deployable template holds the app and every resource of infra/, and passes cfn-lint;
each function has its own role granting exactly what it declares it needs (chalicelib/needs.py),
nobody may delete or overwrite the append-only records, and money tables resist deletion."""
from __future__ import annotations

import pytest

from devstack.infra import load_template
from infra import roles

# The group keeps these tests in one pytest-xdist process, so that one packaging serves them
# (tests/conftest.py fails them if xdist ever stops keeping it). A packaging started elsewhere
# at the same time would wait for this one and reuse its zip (infra/package.py's lock).
pytestmark = pytest.mark.xdist_group("chalice-package")


def test_package_merges_functions_routes_and_infra_resources(packaged):
    template, _ = packaged
    resources = template["Resources"]
    for logical in load_template()["Resources"]:
        assert logical in resources, f"{logical} missing from the package"
    assert resources["APIHandler"]["Type"] == "AWS::Serverless::Function"
    assert "RestAPI" in resources
    assert template["Parameters"]["Stage"]["Default"] == "prod"


def test_packaged_template_passes_cfn_lint(packaging):
    # Linted for the region it deploys to (cn-north-1: the aws-cn partition), in the background
    # from the tier's first test on (tests/integration/packaging_runs.py).
    result = packaging.packaged_lint()
    assert result.returncode == 0, result.stdout + result.stderr


def test_infra_template_passes_cfn_lint(packaging):
    result = packaging.infra_lint()
    assert result.returncode == 0, result.stdout + result.stderr


def test_packaged_api_throttles_every_method_and_the_costly_routes_harder(packaged):
    template, _ = packaged
    settings = {(m["ResourcePath"], m["HttpMethod"]): (m["ThrottlingRateLimit"],
                                                       m["ThrottlingBurstLimit"])
                for m in template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]}
    default_rate, _ = settings[("/*", "*")]
    assert 0 < default_rate <= 100
    assert settings[("/~1v1~1staff~1login", "POST")][0] < default_rate
    assert settings[("/~1v1~1orders", "POST")][0] < default_rate
    assert settings[("/~1v1~1wallet~1topups", "POST")][0] < default_rate


def test_the_payment_webhook_has_its_own_function_and_reserved_capacity(packaged):
    template, _ = packaged
    resources = template["Resources"]
    webhook, api = resources["WebhookHandler"], resources["APIHandler"]
    assert webhook["Properties"]["ReservedConcurrentExecutions"] > 0
    assert api["Properties"]["ReservedConcurrentExecutions"] > 0
    uri = (resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
           ["/v1/webhooks/wechatpay"]["post"]["x-amazon-apigateway-integration"]["uri"])
    assert "${WebhookHandler.Arn}" in uri["Fn::Sub"]
    assert resources["WebhookHandlerInvokePermission"]["Properties"]["FunctionName"] == {
        "Ref": "WebhookHandler"}


# Tables holding money or what money was paid for: deletion protection and point-in-time recovery.
MONEY_TABLES = ("AccountsTable", "LedgerTable", "OrdersTable", "OrderEventsTable", "RefundsTable",
                "TopupsTable", "ReconciliationTable", "InvoicesTable", "CouponsTable",
                "CouponClaimsTable", "CouponTemplatesTable", "CouponCampaignsTable")
_OPS = {action: op for op, actions in roles.ACTIONS.items() for action in actions}


def _functions(template):
    return {logical: r for logical, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def _statements(template, function):
    role = template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _logical(resource) -> str:
    if "Fn::GetAtt" in resource:
        return resource["Fn::GetAtt"][0]
    return resource["Fn::Sub"].partition(".Arn}")[0].lstrip("${")


def _granted(template, function) -> dict:
    """What a packaged role grants, in the terms of a declaration."""
    names = {logical: r["Properties"].get("TableName") or r["Properties"].get("QueueName")
             or r["Properties"].get("BucketName") for logical, r in template["Resources"].items()
             if r["Type"] in ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket")}
    short = {logical: name["Fn::Sub"].removeprefix("fuel-${Stage}-")
             for logical, name in names.items()}
    granted = {"tables": {}, "sends": [], "buckets": [], "secrets": False, "ledger_key": []}
    for statement in _statements(template, function):
        actions = statement["Action"]
        listed = statement["Resource"]
        resources = listed if isinstance(listed, list) else [listed]
        if all(a.startswith("dynamodb:") for a in actions):
            tables = {short[_logical(r)] for r in resources}
            assert len(tables) == 1, statement
            ops = "".join(sorted({_OPS[a] for a in actions}, key="RPUD".index))
            granted["tables"][tables.pop()] = ops
        elif "sqs:SendMessage" in actions:
            granted["sends"] = sorted(short[_logical(r)] for r in resources)
        elif "s3:PutObject" in actions:
            granted["buckets"] = sorted(short[_logical(r)] for r in resources)
        elif actions == ["secretsmanager:GetSecretValue"]:
            granted["secrets"] = True
        elif all(a.startswith("kms:") for a in actions):
            assert resources == [{"Fn::GetAtt": ["LedgerKey", "Arn"]}]
            granted["ledger_key"] = sorted({"kms:GenerateMac": "sign", "kms:VerifyMac": "verify"}[a]
                                           for a in actions)
    granted["tables"] = dict(sorted(granted["tables"].items()))
    return granted


def test_every_function_has_its_own_role_granting_exactly_its_declared_needs(packaged):
    template, _ = packaged
    declared = roles.all_needs()
    functions = _functions(template)
    assert len({f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}) == \
        len(functions)
    for logical, function in functions.items():
        needs = declared[roles.function_name(logical, function)]
        assert _granted(template, function) == {
            "tables": dict(sorted(needs.tables.items())), "sends": sorted(needs.sends),
            "buckets": sorted(needs.buckets), "secrets": needs.secrets,
            "ledger_key": sorted(needs.ledger_key)}, logical


def test_a_worker_receives_only_from_its_own_queue_and_nothing_else_is_a_wildcard(packaged):
    template, _ = packaged
    for logical, function in _functions(template).items():
        events = [e["Properties"]["Queue"] for e in function["Properties"].get("Events", {})
                  .values() if e["Type"] == "SQS"]
        receive = [s for s in _statements(template, function)
                   if "sqs:ReceiveMessage" in s["Action"]]
        assert [s["Resource"] for s in receive] == ([events] if events else []), logical
        for statement in _statements(template, function):
            if statement["Resource"] == "*":
                assert all(a.startswith("xray:") for a in statement["Action"]), logical
            assert not any(a.endswith(":*") for a in statement["Action"]), logical


def test_no_role_may_delete_ledger_order_history_or_refund_records(packaged):
    template, _ = packaged
    never_deleted = {"LedgerTable", "OrderEventsTable", "RefundsTable"}
    never_updated = {"LedgerTable", "OrderEventsTable"}
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                listed = statement["Resource"]
                touched = {_logical(r) for r in (listed if isinstance(listed, list) else [listed])
                           if isinstance(r, dict)}
                actions = set(statement["Action"])
                if touched & never_deleted:
                    assert not actions & {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, logical
                if touched & never_updated:
                    assert "dynamodb:UpdateItem" not in actions, logical


def test_money_tables_are_protected_from_deletion_and_recoverable(packaged):
    template, _ = packaged
    for logical in MONEY_TABLES:
        table = template["Resources"][logical]
        assert table["Properties"]["DeletionProtectionEnabled"] is True, logical
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True}, logical
        assert table["DeletionPolicy"] == "Retain", logical


def test_only_the_api_verifies_ledger_seals_and_the_key_reaches_only_its_users(packaged):
    template, _ = packaged
    key = template["Resources"]["LedgerKey"]["Properties"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    for logical, function in _functions(template).items():
        uses = _granted(template, function)["ledger_key"]
        assert uses == (["sign", "verify"] if logical == "APIHandler" else uses)
        assert "verify" not in uses or logical == "APIHandler"
        env = function["Properties"]["Environment"]["Variables"]
        assert (env.get("LEDGER_KEY_ID") == {"Fn::GetAtt": ["LedgerKey", "Arn"]}) == bool(uses)
    assert _granted(template, template["Resources"]["WebhookHandler"])["ledger_key"] == ["sign"]
