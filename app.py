"""Wiring only: blueprints, middleware, event sources and schedules. No business logic here."""
from chalice import Chalice

from chalicelib.api import fallback, identity
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="fuel")
app.register_middleware(http_middleware, "http")

app.register_blueprint(identity.bp)
# Registered last: it answers only paths that no other route claims.
app.register_blueprint(fallback.bp)
