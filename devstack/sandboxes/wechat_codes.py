"""wxacode.getUnlimited as WeChat answers it: a real PNG that encodes the scene, or an errcode.

Checks, each as WeChat documents it (服务端 API, 获取不限制的小程序码):
- access_token in the query, valid and not expired, else 40001.
- the body is JSON with a `scene`, else 40169 ("invalid length for scene, or the data is not
  json string"); a scene over 32 characters is 40169 too.
- scene: only 0-9 A-Z a-z and !#$&'()*+,/:;=?@-._~ ("只支持数字，大小写英文以及部分特殊字符"),
  else 40129 (invalid scene).
- page: no leading '/', no query ("根路径前不要填加 /，不能携带参数"), and with check_path (default
  true) one of the released pages, else 41030.
- env_version release | trial | develop; width 280..1280 px ("最小 280px，最大 1280px"): else
  40097 (invalid args).
- at most 5000 calls a minute ("调用分钟频率受限(目前5000次/分钟)"), else 45009.
The real image draws a round code WeChat's scanner reads; the sandbox draws a QR code with the
scene as its text, so a test can decode what was printed. POST /sandbox/codes/fail-next
{errcode} fails the next call; GET /sandbox/codes lists the codes made.
"""
from __future__ import annotations

import io
import json

from flask import Flask, Response, jsonify, request

from chalicelib.domain.stations.pump_codes import SCENE_MAX_CHARS, is_valid_scene
from devstack.sandboxes.wechat_state import add_fail_next_route

RELEASED_PAGES = ("pages/index/index", "pages/pump/index", "pages/order/detail",
                  "pages/station/detail")
WIDTH_RANGE = (280, 1280)
ENV_VERSIONS = ("release", "trial", "develop")
CALLS_PER_MINUTE = 5000


def _error(errcode: int, errmsg: str):
    return jsonify({"errcode": errcode, "errmsg": errmsg})  # HTTP 200, as WeChat answers errors


def _png(scene: str, width: int) -> bytes:
    import segno  # the sandbox only; production code stores the bytes WeChat returns

    code = segno.make_qr(scene, error="m")
    out = io.BytesIO()
    # Scale so the image is about `width` pixels across, as WeChat sizes its codes.
    code.save(out, kind="png", scale=max(1, width // (code.symbol_size()[0])), border=4)
    return out.getvalue()


def _problem(body) -> tuple[int, str] | None:
    if not isinstance(body, dict) or not isinstance(body.get("scene"), str) \
            or not 0 < len(body["scene"]) <= SCENE_MAX_CHARS:
        return 40169, "invalid length for scene, or the data is not json string"
    if not is_valid_scene(body["scene"]):
        return 40129, "invalid scene"
    page = body.get("page", "pages/index/index")
    if not isinstance(page, str) or page.startswith("/") or "?" in page:
        return 41030, "invalid page"
    if body.get("check_path", True) is not False and page not in RELEASED_PAGES:
        return 41030, "invalid page"
    if body.get("env_version", "release") not in ENV_VERSIONS:
        return 40097, "invalid args: env_version"
    width = body.get("width", 430)
    if isinstance(width, bool) or not isinstance(width, int) \
            or not WIDTH_RANGE[0] <= width <= WIDTH_RANGE[1]:
        return 40097, "invalid args: width"
    return None


def add_code_routes(app: Flask, lock, clock, valid_token) -> None:
    made: list[dict] = []
    fail_next: list[int] = []
    calls: list[float] = []

    @app.post("/wxa/getwxacodeunlimit")
    def get_unlimited():
        if not valid_token(request.args.get("access_token", "")):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        now = clock()
        with lock:
            calls[:] = [t for t in calls if now - t < 60] + [now]
            if len(calls) > CALLS_PER_MINUTE:
                return _error(45009, "reach max api minute-freq limit")
            if fail_next:
                return _error(fail_next.pop(0), "sandbox failure")
        problem = _problem(body)
        if problem:
            return _error(*problem)
        png = _png(body["scene"], body.get("width", 430))
        with lock:
            made.append({"scene": body["scene"], "page": body.get("page", "pages/index/index")})
        return Response(png, 200, mimetype="image/png")

    @app.get("/sandbox/codes")
    def list_codes():
        with lock:
            return jsonify({"items": list(made)})

    add_fail_next_route(app, "/sandbox/codes/fail-next", lock, fail_next)
