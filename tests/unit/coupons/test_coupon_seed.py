"""The local stack's seeded coupon templates are on offer and name stations that exist."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.services.marketing import coupons
from chalicelib.store.marketing import coupon_templates
from devstack import seeding
from devstack.seed import load_stations


def test_seeded_templates_are_in_the_coupon_centre_for_a_year(aws):
    seeding.seed_stations()
    assert seeding.seed_coupon_templates() == 3
    in_a_year = datetime.now(timezone.utc) + timedelta(days=360)

    offers = coupons.coupon_center("u_seed_test", now=in_a_year)["items"]

    assert {o.description for o in offers} == {"满200元减10元", "每升减0.30元", "无门槛减5元"}
    stations = {s["id"] for s in load_stations()}
    scoped = coupon_templates.get_template("ct_seed_92perlitre30").template
    assert scoped.station_ids <= stations and scoped.grades == {"92"}
