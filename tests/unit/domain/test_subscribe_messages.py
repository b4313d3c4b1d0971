"""Subscribe messages: WeChat's value rules, the exact send body, and what each errcode means."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.notifications.subscribe_messages import (
    INVALID, INVOICE_ISSUED, MAX_AMOUNT_FEN, MESSAGE_KINDS, NO_QUOTA, PAYMENT_RECEIVED, PRICE_DROP,
    RATE_LIMITED, REFUND_ARRIVED, TEMPLATE_KEYS, TOKEN, TRANSIENT, accepted_kinds, build_message,
    classify_send_error, fits_rule, format_amount, format_character_string, format_number,
    format_phrase, format_thing, format_time, parse_amount, value_type)

PAID_AT = datetime(2024, 5, 1, 16, 5, 59, tzinfo=timezone.utc)  # 00:05 on 2 May in Shanghai
TEMPLATE_IDS = {kind: f"tmpl-{kind}" for kind in MESSAGE_KINDS}


def utf16_units(text):
    return len(text.encode("utf-16-le")) // 2


# --- thing ------------------------------------------------------------------------------------

def test_a_short_thing_is_sent_as_written():
    assert format_thing("中石化浦东金桥加油站") == "中石化浦东金桥加油站"


def test_a_long_thing_keeps_its_start_and_marks_the_cut_within_twenty_characters():
    name = "中国石化上海浦东新区金桥路第一加油站东侧便利店"

    value = format_thing(name)

    assert value == name[:19] + "…"
    assert len(value) == 20


def test_a_thing_of_exactly_twenty_characters_is_not_cut():
    assert format_thing("加" * 20) == "加" * 20


def test_emoji_outside_the_bmp_count_twice_so_the_value_fits_either_way_wechat_counts():
    value = format_thing("🚗" * 30)

    assert value == "🚗" * 9 + "…"
    assert utf16_units(value) == 19


def test_the_cut_never_splits_an_emoji_sequence_or_a_flag():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # man ZWJ woman ZWJ girl (8 units)
    assert format_thing("加油站" + family * 3) == "加油站" + family * 2 + "…"
    thumbs = "\U0001F44D\U0001F3FD"  # thumbs up, medium skin tone (4 units)
    assert format_thing("a" * 16 + thumbs + "b") == "a" * 16 + "…"
    flag = "\U0001F1E8\U0001F1F3"  # CN (4 units)
    assert format_thing("a" * 17 + flag) == "a" * 17 + "…"
    assert format_thing("e\u0301" * 12) == "e\u0301" * 9 + "…"  # never an e without its accent


def test_control_characters_and_runs_of_space_become_single_spaces():
    assert format_thing("  油价\n下调\t\t了\x00 ") == "油价 下调 了"


def test_a_lone_surrogate_from_json_is_dropped_so_the_body_can_be_encoded():
    assert format_thing("站\ud800名") == "站名"


@pytest.mark.parametrize("value", ["", "  \n ", 12, None])
def test_an_empty_or_non_text_thing_is_refused(value):
    with pytest.raises(InvalidInput):
        format_thing(value)


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=200))  # surrogates too
def test_a_formatted_thing_never_exceeds_twenty_characters_for_any_text(text):
    try:
        value = format_thing(text)
    except InvalidInput as err:
        assert err.code == "MESSAGE_VALUE_EMPTY"
        return
    assert len(value) <= 20 and utf16_units(value) <= 20
    assert fits_rule("thing1", value)


@given(st.text(st.sampled_from("加油站中石化🚗⛽👍🏽\u200d\U0001F1E8\U0001F1F3abc 1"), min_size=1, max_size=60))
def test_a_cut_thing_is_a_prefix_of_the_cleaned_text(text):
    cleaned = " ".join(text.split())
    if not cleaned:
        return
    value = format_thing(text)
    if value != cleaned:
        assert value.endswith("…") and cleaned.startswith(value[:-1])


# --- amount, time and the strict types -------------------------------------------------------

@pytest.mark.parametrize("fen, text", [(12345, "¥123.45"), (50, "¥0.50"), (0, "¥0.00"),
                                       (20000, "¥200.00"), (MAX_AMOUNT_FEN, "¥99999999.99")])
def test_amounts_are_yuan_with_two_decimals_and_the_unit(fen, text):
    assert format_amount(fen) == text


@pytest.mark.parametrize("fen", [-1, MAX_AMOUNT_FEN + 1, 1.5, True, "100"])
def test_negative_huge_or_non_integer_amounts_are_refused(fen):
    with pytest.raises(InvalidInput):
        format_amount(fen)


@given(st.integers(0, MAX_AMOUNT_FEN))
def test_amount_formatting_round_trips_to_fen(fen):
    text = format_amount(fen)

    assert parse_amount(text) == fen
    assert fits_rule("amount2", text)


@pytest.mark.parametrize("text", ["¥12.345", "¥123456789012", "¥-1", "¥1,000", "元", "¥", "123.45元", "123.45"])
def test_values_that_break_the_amount_rule_do_not_parse(text):
    with pytest.raises(InvalidInput):
        parse_amount(text)
    assert not fits_rule("amount1", text)


def test_time_is_shanghai_wall_clock_to_the_minute():
    assert format_time(PAID_AT) == "2024-05-02 00:05"
    assert format_time(datetime(2024, 5, 1, 2, 0, tzinfo=timezone(timedelta(hours=-5)))) == "2024-05-01 15:00"


def test_a_naive_time_is_refused_because_its_zone_is_unknown():
    with pytest.raises(InvalidInput):
        format_time(datetime(2024, 5, 1, 8, 0))


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30),
                    timezones=st.just(timezone.utc)))
def test_every_formatted_time_fits_wechats_time_rule(at):
    assert fits_rule("time3", format_time(at))


def test_character_strings_numbers_and_phrases_are_checked_never_cut():
    assert format_character_string("24312000000012345678") == "24312000000012345678"
    assert format_number(42) == "42" and format_number("7.5") == "7.5"
    assert format_phrase("已退款") == "已退款"
    for bad in (lambda: format_character_string("x" * 33), lambda: format_character_string("发票1"),
                lambda: format_character_string("a b"), lambda: format_number(-1),
                lambda: format_number("1" * 33), lambda: format_phrase("退款成功了吗"),
                lambda: format_phrase("ok")):
        with pytest.raises(InvalidInput):
            bad()


def test_the_value_type_is_the_prefix_of_the_key():
    assert value_type("thing12") == "thing"
    assert value_type("character_string1") == "character_string"
    assert not fits_rule("unknown3", "x")


# --- building a message -----------------------------------------------------------------------

def test_a_payment_message_is_the_exact_send_body():
    data = {"station": "中石化金桥站", "amount": 20000, "time": PAID_AT}

    body = build_message(PAYMENT_RECEIVED, "o-driver-1", data, "pages/orders/detail?id=o1", template_id="tmpl-pay")

    assert body == {"touser": "o-driver-1", "template_id": "tmpl-pay", "page": "pages/orders/detail?id=o1",
                    "data": {"thing1": {"value": "中石化金桥站"}, "amount2": {"value": "¥200.00"},
                             "time3": {"value": "2024-05-02 00:05"}}}


def test_every_kind_builds_a_body_whose_values_fit_their_keys():
    samples = {
        REFUND_ARRIVED: {"amount": 1999, "reason": "油枪故障,加油未完成,已全额退回您的微信零钱账户"},
        INVOICE_ISSUED: {"number": "24312000000012345678", "amount": 35000},
        PRICE_DROP: {"station": "中石化金桥站", "grade": "92#汽油", "new_price": 738, "time": PAID_AT},
        PAYMENT_RECEIVED: {"station": "x" * 40, "amount": 1, "time": PAID_AT},
    }
    for kind, data in samples.items():
        body = build_message(kind, "o1", data, None, template_id=TEMPLATE_IDS[kind])

        assert "page" not in body
        assert set(body["data"]) == set(TEMPLATE_KEYS[kind].values())
        assert all(fits_rule(key, item["value"]) for key, item in body["data"].items())


@pytest.mark.parametrize("kind, data, openid, code, field", [
    ("birthday", {}, "o1", "UNKNOWN_MESSAGE_KIND", "kind"),
    (REFUND_ARRIVED, {"amount": 100}, "o1", "MESSAGE_FIELD_MISSING", "reason"),
    (REFUND_ARRIVED, {"amount": 100, "reason": None}, "o1", "MESSAGE_FIELD_MISSING", "reason"),
    (REFUND_ARRIVED, {"amount": 100, "reason": "r", "note": "x"}, "o1", "UNEXPECTED_MESSAGE_FIELD", "note"),
    (REFUND_ARRIVED, {"amount": -100, "reason": "r"}, "o1", "MESSAGE_VALUE_INVALID", "amount"),
    (REFUND_ARRIVED, {"amount": 100, "reason": "\n"}, "o1", "MESSAGE_VALUE_EMPTY", "reason"),
    (INVOICE_ISSUED, {"number": "发票号", "amount": 100}, "o1", "MESSAGE_VALUE_INVALID", "number"),
    (REFUND_ARRIVED, {"amount": 100, "reason": "r"}, "", "MESSAGE_FIELD_MISSING", "openid"),
])
def test_bad_messages_are_refused_with_a_code_and_the_field(kind, data, openid, code, field):
    with pytest.raises(InvalidInput) as err:
        build_message(kind, openid, data, None, template_id="t")

    assert (err.value.code, err.value.field) == (code, field)


def test_accepted_templates_map_to_kinds_each_counted_once():
    accepted = [TEMPLATE_IDS[PRICE_DROP], TEMPLATE_IDS[PAYMENT_RECEIVED], TEMPLATE_IDS[PRICE_DROP]]

    assert accepted_kinds(accepted, TEMPLATE_IDS) == [PRICE_DROP, PAYMENT_RECEIVED]
    assert accepted_kinds([], TEMPLATE_IDS) == []


def test_an_unknown_template_id_is_refused():
    with pytest.raises(InvalidInput) as err:
        accepted_kinds([TEMPLATE_IDS[PRICE_DROP], "someone-elses"], TEMPLATE_IDS)

    assert err.value.code == "UNKNOWN_TEMPLATE_ID"


# --- send errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("errcode, outcome", [
    (43101, NO_QUOTA), (45009, RATE_LIMITED), (45011, RATE_LIMITED), (40003, INVALID), (40037, INVALID),
    (47003, INVALID), (41030, INVALID), (40001, TOKEN), (40014, TOKEN), (42001, TOKEN),
    (-1, TRANSIENT), (99999, TRANSIENT),
])
def test_send_errors_are_classified_by_what_the_caller_must_do(errcode, outcome):
    assert classify_send_error(errcode) == outcome


def test_success_is_not_an_error_to_classify():
    with pytest.raises(ValueError):
        classify_send_error(0)
