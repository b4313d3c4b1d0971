"""Any path no other route claims: a JSON 404 instead of API Gateway's own answer."""
from chalice import Blueprint

from chalicelib.api.http import route
from chalicelib.domain.errors import NotFound

bp = Blueprint(__name__)

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


# Chalice passes no view argument for a greedy variable; the path is in the request.
@route(bp, "/{proxy+}", methods=ALL_METHODS)
def unknown_route():
    path = (bp.current_request.path or "").split("?")[0]
    raise NotFound(f"no such route: {path}", code="ROUTE_NOT_FOUND")
