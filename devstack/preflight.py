"""Hand CORS preflights to the app in chalice's local gateway.

Chalice's local gateway answers every OPTIONS of a route without an OPTIONS view itself, from the
route's static CORSConfig, without calling the app. Our allowed origins come from settings at
request time (chalicelib/api/cors.py), so locally a preflight (an OPTIONS carrying
Access-Control-Request-Method) goes to the app, whose middleware answers it. In AWS API Gateway
answers such an OPTIONS itself without CORS headers, which is what we want there: no browser
origin is allowed in AWS (chalicelib/settings.py, cors_origins).
"""
from __future__ import annotations

from chalice import local

_original_has_options = local.LocalGateway._has_user_defined_options_method


def _app_answers_preflights(self, lambda_event) -> bool:
    if "access-control-request-method" in (lambda_event.get("headers") or {}):
        return True
    return _original_has_options(self, lambda_event)


def install() -> None:
    local.LocalGateway._has_user_defined_options_method = _app_answers_preflights
