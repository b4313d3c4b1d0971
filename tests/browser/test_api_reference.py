"""A developer tries the API from the local API reference (Swagger UI at the stack's docs_url)."""
from __future__ import annotations

import json
import uuid

from playwright.sync_api import expect

from devstack import seed
from tests.local_stack import driver_token

TAIYUAN = {"lat": "37.85", "lng": "112.56"}


def test_try_it_out_on_nearby_search_answers_200_with_stations(stack, page):
    token = driver_token(stack, f"o-docs-{uuid.uuid4().hex[:12]}")
    page.goto(stack["docs_url"])

    page.locator(".auth-wrapper .authorize").click()
    driver_scheme = page.locator(".auth-container").filter(has_text="driverBearer")
    driver_scheme.locator("input").fill(token)
    driver_scheme.locator("button.authorize").click()
    expect(driver_scheme).to_contain_text("Authorized")
    page.locator(".modal-ux-header .close-modal").click()

    operation = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/v1/stations/nearby"]'))
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    for name, value in TAIYUAN.items():
        operation.locator(f'tr[data-param-name="{name}"] input').fill(value)
    operation.get_by_role("button", name="Execute").click()

    live = operation.locator(".live-responses-table .response")
    expect(live.locator(".response-col_status")).to_have_text("200")
    expect(operation.locator(".request-url pre")).to_contain_text(
        f"{stack['api_url']}/v1/stations/nearby")
    body = json.loads(live.locator(".response-col_description pre").first.inner_text())
    seeded = {s["id"] for s in seed.load_stations()}
    assert body["items"] and {item["id"] for item in body["items"]} <= seeded
    # The screenshot starts at the request URL: the curl line above it carries the token.
    operation.locator(".request-url").evaluate("el => el.scrollIntoView({block: 'start'})")
