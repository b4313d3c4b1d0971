"""Wiring only: blueprints, middleware, event sources and schedules. No business logic here."""
from chalice import Chalice

from chalicelib.api import fallback, identity, openapi
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="fuel")
app.register_middleware(http_middleware, "http")

app.register_blueprint(identity.bp)
app.register_blueprint(openapi.bp)
# Registered last: it answers only paths that no other route claims.
app.register_blueprint(fallback.bp)
