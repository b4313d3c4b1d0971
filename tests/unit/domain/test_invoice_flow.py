"""The invoice state machine and its retry schedule (domain/invoices/flow.py)."""
from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.invoices import flow


def test_an_invoice_moves_forward_only():
    assert flow.can_move(flow.REQUESTED, flow.ISSUING)
    assert flow.can_move(flow.ISSUING, flow.ISSUED)
    assert flow.can_move(flow.ISSUED, flow.REVERSED)
    assert flow.can_move(flow.REQUESTED, flow.FAILED) and flow.can_move(flow.ISSUING, flow.FAILED)
    assert not flow.can_move(flow.ISSUED, flow.FAILED)
    assert not flow.can_move(flow.ISSUED, flow.ISSUING)
    assert not flow.can_move(flow.REQUESTED, flow.ISSUED)


@given(st.sampled_from(flow.STATUSES), st.sampled_from(flow.STATUSES))
def test_final_states_have_no_way_out_and_nothing_returns_to_requested(current, target):
    if current in (flow.FAILED, flow.REVERSED) or target == flow.REQUESTED:
        assert not flow.can_move(current, target)


@given(st.integers(min_value=0, max_value=1000))
def test_backoff_grows_and_is_capped(attempts):
    assert flow.FIRST_POLL_S <= flow.backoff_s(attempts) <= flow.BACKOFF_CAP_S
    assert flow.backoff_s(attempts + 1) >= flow.backoff_s(attempts)
    assert flow.redrive_delay_s(attempts) >= flow.REDRIVE_AFTER_S


def test_giving_up_takes_about_an_hour_of_tries_not_minutes():
    waited = sum(flow.backoff_s(n) for n in range(1, flow.MAX_ATTEMPTS + 1))
    assert 30 * 60 <= waited <= 3 * 3600


@given(st.uuids())
def test_serials_fit_the_issuer_and_differ_between_blue_and_red(value):
    invoice_id = f"inv_{value.hex}"
    serials = [flow.issuer_serial(invoice_id)] + [flow.reversal_serial(invoice_id, n)
                                                  for n in range(1, flow.MAX_REVERSAL_ATTEMPTS + 3)]
    assert len(serials[0]) <= flow.MAX_ORDER_NO == 20
    assert all(len(serial) <= flow.MAX_BILL_ID == 32 for serial in serials[1:])
    assert all(serial.isalnum() and serial.isascii() for serial in serials)
    assert len(set(serials)) == len(serials)
    assert flow.issuer_serial(invoice_id) == flow.issuer_serial(invoice_id)


def test_serials_of_different_invoices_differ():
    ids = [f"inv_{uuid.uuid4().hex}" for _ in range(2000)]
    assert len({flow.issuer_serial(i) for i in ids}) == len(ids)


def test_work_shards_are_stable_and_spread():
    ids = [f"inv_{uuid.uuid4().hex}" for _ in range(400)]
    shards = [flow.work_shard(i) for i in ids]
    assert shards == [flow.work_shard(i) for i in ids]
    assert set(shards) == {str(n) for n in range(flow.WORK_SHARDS)}
