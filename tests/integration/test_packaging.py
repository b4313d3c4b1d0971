"""The deployable template holds the app and every resource of infra/, and passes cfn-lint;
the hand-written IAM policies cover exactly what infra/ defines, with no wildcard resources."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.infra import load_template

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_package_merges_functions_routes_and_infra_resources(packaged):
    template, _ = packaged
    resources = template["Resources"]
    for logical in load_template()["Resources"]:
        assert logical in resources, f"{logical} missing from the package"
    assert resources["APIHandler"]["Type"] == "AWS::Serverless::Function"
    assert "RestAPI" in resources
    assert template["Parameters"]["Stage"]["Default"] == "prod"


def test_packaged_template_passes_cfn_lint(packaged):
    _, out = packaged
    # Linted for the region it deploys to (cn-north-1: the aws-cn partition).
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--regions",
                             "cn-north-1", "--", str(out / "sam.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_infra_template_passes_cfn_lint():
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"),
                             str(PROJECT_DIR / "infra" / "template.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _table_names(stage):
    template = load_template()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            props = resource["Properties"]
            name = props["TableName"]["Fn::Sub"].replace("${Stage}", stage)
            yield name, [gsi["IndexName"] for gsi in props.get("GlobalSecondaryIndexes", [])]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_grants_every_table_and_index_and_nothing_wider(stage):
    policy = json.loads((PROJECT_DIR / ".chalice" / f"policy-{stage}.json").read_text())
    resources = []
    for statement in policy["Statement"]:
        listed = statement["Resource"]
        resources += listed if isinstance(listed, list) else [listed]
    assert "*" not in resources
    assert all(f"-{stage}-" in r or f"/{stage}/" in r for r in resources)
    for table, indexes in _table_names(stage):
        assert any(r.endswith(f":table/{table}") for r in resources), table
        for index in indexes:
            assert any(r.endswith(f":table/{table}/index/{index}") for r in resources), index


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
