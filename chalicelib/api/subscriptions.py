"""A driver's subscribe-message acceptances (after wx.requestSubscribeMessage) and quotas held."""
from __future__ import annotations

from typing import Annotated

import msgspec
from chalice import Blueprint

from chalicelib.api.http import current_driver, route
from chalicelib.api.shapes import shaped

# Services are imported inside the views that use them: a cold start loads only its route's.

bp = Blueprint(__name__)

TemplateIds = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=128)]],
                        msgspec.Meta(max_length=3)]


class AcceptedTemplates(msgspec.Struct, forbid_unknown_fields=True):
    # The template ids wx.requestSubscribeMessage answered 'accept' for (it asks for at most 3).
    accepted: TemplateIds


class Quota(msgspec.Struct):
    kind: str   # payment_received, refund_arrived, invoice_issued, price_drop
    template_id: str
    remaining: int   # messages of this kind we may still send the driver


class Quotas(msgspec.Struct):
    quotas: list[Quota]


@route(bp, "/v1/subscriptions", methods=["POST"], auth="driver", body=AcceptedTemplates,
       ok=Quotas, errors={400: ("UNKNOWN_TEMPLATE_ID",)},
       summary="Report the message templates the driver accepted; each is one message we may send")
def accept_templates(body: AcceptedTemplates):
    from chalicelib.services.notifications import subscriptions

    driver = current_driver(bp.current_request)
    return shaped(subscriptions.accept(driver.subject, body.accepted), Quotas)


@route(bp, "/v1/subscriptions", methods=["GET"], auth="driver", ok=Quotas,
       summary="How many messages of each kind the driver's subscriptions still allow")
def list_quotas():
    from chalicelib.services.notifications import subscriptions

    driver = current_driver(bp.current_request)
    return shaped(subscriptions.held(driver.subject), Quotas)
