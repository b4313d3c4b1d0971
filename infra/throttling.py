"""Throttles of the packaged template (docs/decisions.md, 2026-12-06).

API Gateway refuses with 429 before any Lambda runs: every method of the stage has a default
rate, the routes that cost the most (logins, order and top-up creation) a lower one. The
WeChat Pay webhook gets its own function (the same code; the app routes by path) with its own
reserved concurrency, so a flood of other requests can fill the API function but never take
the capacity payment notifications need.
"""
from __future__ import annotations

import copy

# Requests per second (steady) and burst for every method, then for the costly routes.
STAGE_DEFAULT = (50, 100)
ROUTES = {
    ("/v1/auth/login", "POST"): (10, 20),
    ("/v1/staff/login", "POST"): (2, 5),
    ("/v1/orders", "POST"): (10, 20),
    ("/v1/wallet/topups", "POST"): (5, 10),
    ("/v1/orders/{order_id}", "GET"): (20, 40),
    ("/v1/webhooks/wechatpay", "POST"): (100, 200),
}
WEBHOOK_PATH = "/v1/webhooks/wechatpay"
API_RESERVED_CONCURRENCY = 40
WEBHOOK_RESERVED_CONCURRENCY = 10


def apply(template: dict) -> None:
    resources = template["Resources"]
    resources["RestAPI"]["Properties"]["MethodSettings"] = method_settings()
    resources["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] = \
        API_RESERVED_CONCURRENCY
    _webhook_function(resources)


def method_settings() -> list[dict]:
    rate, burst = STAGE_DEFAULT
    settings = [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": rate,
                 "ThrottlingBurstLimit": burst}]
    for (path, method), (rate, burst) in ROUTES.items():
        # MethodSettings spells a path's slashes as ~1 (CloudFormation, AWS::ApiGateway::Stage).
        settings.append({"ResourcePath": "/" + path.replace("/", "~1"), "HttpMethod": method,
                         "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst})
    return settings


def _webhook_function(resources: dict) -> None:
    webhook = copy.deepcopy(resources["APIHandler"])
    webhook["Properties"]["ReservedConcurrentExecutions"] = WEBHOOK_RESERVED_CONCURRENCY
    resources["WebhookHandler"] = webhook
    permission = copy.deepcopy(resources["APIHandlerInvokePermission"])
    permission["Properties"]["FunctionName"] = {"Ref": "WebhookHandler"}
    resources["WebhookHandlerInvokePermission"] = permission
    paths = resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for operation in paths[WEBHOOK_PATH].values():
        integration = operation["x-amazon-apigateway-integration"]
        integration["uri"] = {"Fn::Sub": integration["uri"]["Fn::Sub"].replace(
            "${APIHandler.Arn}", "${WebhookHandler.Arn}")}
