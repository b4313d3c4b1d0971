"""Invoice titles (personal or company with a USCC) and the email an invoice is sent to."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.invoices.title import InvoiceTitle, parse_title, validate_email

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]   # 1, 3, 9, 27, 19, 26, ... as in PROTOCOLS.md
# Codes of well-known companies, as printed on their business licences.
REAL_USCCS = ["91110000600037341L", "91440300708461136T", "91330100716105852F",
              "91110000710925462X", "91110000710926094P", "914403001922038216",
              "91310000775785552L", "91110108551385082Q"]


def check_char(first17: str) -> str:
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


# GB 32100: positions 1-2 from the alphabet (letters too), 3-8 digits, 9-17 from the alphabet.
uscc_bodies = st.tuples(st.text(ALPHABET, min_size=2, max_size=2),
                        st.text("0123456789", min_size=6, max_size=6),
                        st.text(ALPHABET, min_size=9, max_size=9)).map("".join)


def company(tax_id, **extra):
    return {"type": "company", "name": "山西示例能源有限公司", "tax_id": tax_id, **extra}


def refusal(data) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        parse_title(data)
    return err.value


def test_a_personal_title_needs_only_a_name():
    title = parse_title({"type": "personal", "name": "  张三 ", "tax_id": "ignored"})

    assert title == InvoiceTitle("personal", "张三")
    assert title.to_dict() == {"type": "personal", "name": "张三"} and not title.is_company


def test_codes_of_authorities_with_a_letter_are_accepted():
    # N 农业农村 (e.g. a farmers' cooperative), Y 其他, A ... : valid under GB 32100, refused
    # by python-stdnum 2.2, which wants digits in the first eight positions.
    for body in ("N2140100MA0GRX7Q1", "Y1140100MA0K5B6C2", "A1140100MA0L3F2D8"):
        code = body + check_char(body)
        assert parse_title(company(code)).tax_id == code


@pytest.mark.parametrize("tax_id", REAL_USCCS)
def test_real_company_codes_are_accepted(tax_id):
    assert parse_title(company(tax_id)).tax_id == tax_id


def test_a_code_typed_in_lower_case_with_spaces_is_normalised():
    assert parse_title(company("9111 0000 6000 3734 1l")).tax_id == "91110000600037341L"


def test_a_company_title_keeps_its_optional_details():
    title = parse_title(company("91440300708461136T", address="太原市小店区长风街1号",
                                phone="0351-1234567", bank="中国银行太原分行",
                                account="1234 5678 9012"))

    assert title.is_company and title.phone == "0351-1234567"
    assert title.to_dict()["account"] == "1234 5678 9012"


@given(uscc_bodies)
def test_any_code_with_the_right_check_character_is_accepted(body):
    code = body + check_char(body)

    assert parse_title(company(code)).tax_id == code


@given(uscc_bodies, st.sampled_from(ALPHABET))
def test_a_wrong_check_character_is_refused(body, wrong):
    if wrong == check_char(body):
        wrong = ALPHABET[(ALPHABET.index(wrong) + 1) % 31]

    err = refusal(company(body + wrong))

    assert (err.code, err.field) == ("INVALID_TAX_ID", "title.tax_id")
    assert "check" in err.message


@given(uscc_bodies, st.sampled_from("IOSVZ"), st.integers(8, 17))
def test_letters_a_code_never_uses_are_refused(body, letter, position):
    code = body + check_char(body)
    code = code[:position] + letter + code[position + 1:]

    assert refusal(company(code)).code == "INVALID_TAX_ID"


@pytest.mark.parametrize("tax_id", ["91110000600037341", "91110000600037341LL", "9111",
                                    "91A10000600037341L", "9111000060003734\u00e9L"])
def test_codes_of_the_wrong_length_or_shape_are_refused(tax_id):
    assert refusal(company(tax_id)).code == "INVALID_TAX_ID"


@pytest.mark.parametrize("data, code, field", [
    ({"type": "company", "name": "某公司"}, "TAX_ID_REQUIRED", "title.tax_id"),
    (company("  "), "TAX_ID_REQUIRED", "title.tax_id"),
    ({"type": "company", "tax_id": "91110000600037341L"}, "TITLE_NAME_REQUIRED", "title.name"),
    ({"type": "personal", "name": "   "}, "TITLE_NAME_REQUIRED", "title.name"),
    ({"type": "personal", "name": 42}, "INVALID_TITLE_FIELD", "title.name"),
    ({"type": "personal", "name": "张\n三"}, "INVALID_TITLE_FIELD", "title.name"),
    ({"type": "personal", "name": "张" * 101}, "TITLE_FIELD_TOO_LONG", "title.name"),
    ({"type": "enterprise", "name": "某公司"}, "INVALID_TITLE_TYPE", "title.type"),
    ({"name": "某公司"}, "INVALID_TITLE_TYPE", "title.type"),
    ("company", "INVALID_TITLE", "title"),
    (company("91110000600037341L", phone="call me"), "INVALID_TITLE_PHONE", "title.phone"),
    (company("91110000600037341L", account="IBAN?"), "INVALID_TITLE_ACCOUNT", "title.account"),
    (company("91110000600037341L", address="路" * 81), "TITLE_FIELD_TOO_LONG", "title.address"),
    (company("91110000600037341L", phone="1" * 21), "TITLE_FIELD_TOO_LONG", "title.phone"),
    (company("91110000600037341L", bank=["中国银行"]), "INVALID_TITLE_FIELD", "title.bank"),
])
def test_each_bad_title_names_its_field(data, code, field):
    err = refusal(data)

    assert (err.code, err.field) == (code, field)


@pytest.mark.parametrize("raw, normalised", [
    ("driver@example.cn", "driver@example.cn"),
    ("  Li.Lei+fuel@Mail.Example.COM ", "Li.Lei+fuel@mail.example.com"),
    ("a@b.co", "a@b.co"),
])
def test_valid_emails_are_accepted_with_the_domain_lower_cased(raw, normalised):
    assert validate_email(raw) == normalised


@pytest.mark.parametrize("raw", ["", "   ", None, 42, "driver", "driver@", "@example.cn",
                                 "dri ver@example.cn", "driver@example", "driver@@example.cn",
                                 ".driver@example.cn", "dri..ver@example.cn", "driver@-x.cn",
                                 "driver@example.c", "司机@example.cn", "driver@例子.cn",
                                 "driver@example.cn\nBcc: x@y.cn", "a" * 65 + "@example.cn",
                                 "a@" + "b" * 250 + ".cn"])
def test_malformed_emails_are_refused(raw):
    with pytest.raises(InvalidInput) as err:
        validate_email(raw)

    assert (err.value.code, err.value.field) == ("INVALID_EMAIL", "email")
