"""Login of drivers (WeChat) and staff (password), and the driver's own profile."""
from chalice import Blueprint

from chalicelib.api.http import current_driver, json_object, route, text_field
from chalicelib.services import identity

bp = Blueprint(__name__)


@route(bp, "/v1/auth/login", methods=["POST"])
def driver_login():
    body = json_object(bp.current_request)
    return identity.login_driver(text_field(body, "code", max_len=256))


@route(bp, "/v1/me", methods=["GET"])
def me():
    driver = current_driver(bp.current_request)
    return identity.get_profile(driver.subject)


@route(bp, "/v1/staff/login", methods=["POST"])
def staff_login():
    body = json_object(bp.current_request)
    return identity.login_staff(text_field(body, "username", max_len=64),
                                text_field(body, "password", max_len=256))
