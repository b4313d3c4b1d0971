"""Finding 6: a campaign-only coupon template is neither listed in the coupon centre nor
claimable there; only public templates are."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.services.marketing import coupons
from chalicelib.store.marketing import coupon_templates
from tests.unit.coupons.factory import make_template, new_user_id


@pytest.fixture(autouse=True)
def tables(aws):
    return aws


def now() -> datetime:
    return datetime.now(timezone.utc)


def test_the_centre_lists_only_public_templates():
    public = make_template(now=now())
    targeted = make_template(now=now(), audience="campaign")

    offered = {item.template_id for item in coupons.coupon_center(new_user_id())["items"]}

    assert public.id in offered and targeted.id not in offered


def test_a_campaign_only_template_cannot_be_claimed_by_anyone():
    targeted = make_template(now=now(), audience="campaign")

    with pytest.raises(NotFound) as refused:
        coupons.claim_coupon(new_user_id(), targeted.id)

    assert refused.value.code == "TEMPLATE_NOT_FOUND"
    assert coupon_templates.get_template(targeted.id).template.issued == 0


def test_a_public_template_is_still_claimed_as_before():
    public = make_template(now=now())
    assert coupons.claim_coupon(new_user_id(), public.id).template_id == public.id


def test_templates_stored_before_audiences_existed_read_as_public():
    template = make_template(now=now())
    assert coupon_templates.get_template(template.id).template.audience == "public"
