"""Order ids double as WeChat Pay out_trade_no and are derived from (driver, Idempotency-Key)."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.orders.ids import (
    check_idempotency_key, is_order_id, is_refund_no, late_payment_refund_no, manual_refund_no,
    order_id_for, request_hash, settlement_refund_no, shard_of)

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")  # PROTOCOLS.md
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
keys = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=128)


@given(st.text(min_size=1, max_size=60), keys)
def test_order_id_is_a_valid_out_trade_no_and_stable(user_id, key):
    order_id = order_id_for(user_id, key)

    assert OUT_TRADE_NO.fullmatch(order_id) and is_order_id(order_id)
    assert order_id == order_id_for(user_id, key)


@given(st.text(min_size=1, max_size=60), keys, keys)
def test_different_keys_or_drivers_give_different_orders(user_id, key, other_key):
    if key != other_key:
        assert order_id_for(user_id, key) != order_id_for(user_id, other_key)
    assert order_id_for(user_id, key) != order_id_for(user_id + "x", key)


@given(keys)
def test_refund_numbers_are_valid_out_refund_nos(key):
    order_id = order_id_for("u_1", "k")
    for number in (manual_refund_no(order_id, key), settlement_refund_no(order_id),
                   late_payment_refund_no(order_id)):
        assert OUT_REFUND_NO.fullmatch(number) and is_refund_no(number)


def test_manual_refund_number_depends_on_order_and_key():
    first, second = order_id_for("u_1", "a"), order_id_for("u_1", "b")
    assert manual_refund_no(first, "k") == manual_refund_no(first, "k")
    assert manual_refund_no(first, "k") != manual_refund_no(second, "k")
    assert manual_refund_no(first, "k") != manual_refund_no(first, "k2")


@pytest.mark.parametrize("value", ["FO123", "fo" + "A" * 26, "FO" + "A" * 25 + "1", "x" * 3000, ""])
def test_malformed_ids_are_not_order_ids(value):
    assert not is_order_id(value)


@pytest.mark.parametrize("key, code", [(None, "IDEMPOTENCY_KEY_REQUIRED"), ("", "IDEMPOTENCY_KEY_REQUIRED"),
                                       ("has space", "IDEMPOTENCY_KEY_INVALID"),
                                       ("k" * 129, "IDEMPOTENCY_KEY_INVALID"),
                                       ("中文", "IDEMPOTENCY_KEY_INVALID")])
def test_idempotency_key_must_be_short_visible_ascii(key, code):
    with pytest.raises(InvalidInput) as caught:
        check_idempotency_key(key)
    assert caught.value.code == code


def test_request_hash_ignores_key_order_but_not_values():
    assert request_hash({"a": 1, "b": 2}) == request_hash({"b": 2, "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 2})


def test_shards_are_stable_and_in_range():
    assert {shard_of(f"id{i}", 8) for i in range(200)} == {str(n) for n in range(8)}
    assert shard_of("same", 8) == shard_of("same", 8)
