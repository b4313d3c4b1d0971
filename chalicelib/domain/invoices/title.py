"""The buyer on an invoice (发票抬头) and the address it is mailed to, checked before storing.

Every refusal is an InvalidInput naming the field as it appears in the request body
(`title.tax_id`, `email`), so the app can point at it.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from chalicelib.domain.errors import InvalidInput

PERSONAL = "personal"
COMPANY = "company"
# The issuer allows a buyer name of 100 characters, and 100 each for address + phone and for
# bank + account; these bounds add up to those pairs.
MAX_NAME = 100
MAX_LENGTHS = {"address": 80, "phone": 20, "bank": 60, "account": 40}
MAX_EMAIL = 254

_PHONE = re.compile(r"[0-9+\-() ]+")
_ACCOUNT = re.compile(r"[0-9\- ]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class InvoiceTitle:
    type: str
    name: str
    tax_id: str | None = None
    address: str | None = None
    phone: str | None = None
    bank: str | None = None
    account: str | None = None

    @property
    def is_company(self) -> bool:
        return self.type == COMPANY

    def to_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}


def _text(data: dict, key: str, limit: int) -> str | None:
    """An optional text field, stripped; None when absent or blank."""
    value = data.get(key)
    field = f"title.{key}"
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", code="INVALID_TITLE_FIELD", field=field)
    value = value.strip()
    if _CONTROL.search(value):
        raise InvalidInput(f"{field} contains control characters", code="INVALID_TITLE_FIELD",
                           field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters",
                           code="TITLE_FIELD_TOO_LONG", field=field)
    return value or None


# GB 32100-2015: the code's alphabet (no I, O, S, V, Z) and the weights of its check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Positions 1-2 registration authority and organisation type (letters allowed: N 农业农村,
# Y 其他, A, G, J ...), 3-8 the administrative division (digits), 9-17 the organisation code,
# 18 the check character.
_USCC = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}")


def uscc_check_character(first17: str) -> str:
    """The 18th character of a USCC: (31 - sum(index * weight) mod 31) mod 31, as a character."""
    total = sum(USCC_ALPHABET.index(char) * weight
                for char, weight in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _tax_id(raw: str | None) -> str:
    """A 统一社会信用代码 checked as GB 32100 defines it (structure and check character),
    upper-cased, spaces and dashes dropped."""
    if not raw:
        raise InvalidInput("a company title needs its unified social credit code",
                           code="TAX_ID_REQUIRED", field="title.tax_id")
    code = re.sub(r"[\s-]", "", raw).upper()
    if len(code) != 18:
        reason = "must be 18 characters"
    elif not _USCC.fullmatch(code):
        reason = ("holds a character a USCC cannot (I, O, S, V, Z; positions 3-8 are digits)")
    elif uscc_check_character(code[:17]) != code[17]:
        reason = "has a wrong check character"
    else:
        return code
    raise InvalidInput(f"title.tax_id {reason}", code="INVALID_TAX_ID", field="title.tax_id")


def parse_title(data: dict) -> InvoiceTitle:
    """A personal title {type, name} or a company title {type, name, tax_id, address?, phone?,
    bank?, account?}; fields that do not belong to the type are ignored."""
    if not isinstance(data, dict):
        raise InvalidInput("title must be an object", code="INVALID_TITLE", field="title")
    kind = data.get("type")
    if kind not in (PERSONAL, COMPANY):
        raise InvalidInput("title.type must be 'personal' or 'company'", code="INVALID_TITLE_TYPE",
                           field="title.type")
    name = _text(data, "name", MAX_NAME)
    if not name:
        raise InvalidInput("title.name is required", code="TITLE_NAME_REQUIRED", field="title.name")
    if kind == PERSONAL:
        return InvoiceTitle(PERSONAL, name)
    tax_id = _tax_id(_text(data, "tax_id", 40))
    extra = {key: _text(data, key, limit) for key, limit in MAX_LENGTHS.items()}
    if extra["phone"] and not _PHONE.fullmatch(extra["phone"]):
        raise InvalidInput("title.phone may hold only digits, spaces, +, - and brackets",
                           code="INVALID_TITLE_PHONE", field="title.phone")
    if extra["account"] and not _ACCOUNT.fullmatch(extra["account"]):
        raise InvalidInput("title.account may hold only digits, spaces and -",
                           code="INVALID_TITLE_ACCOUNT", field="title.account")
    return InvoiceTitle(COMPANY, name, tax_id, **extra)


def validate_email(value) -> str:
    """The address stripped, with its domain lower-cased; plain ASCII addresses only."""
    def refuse(reason: str):
        return InvalidInput(f"email {reason}", code="INVALID_EMAIL", field="email")

    if not isinstance(value, str) or not value.strip():
        raise refuse("is required")
    value = value.strip()
    if len(value) > MAX_EMAIL:
        raise refuse(f"is longer than {MAX_EMAIL} characters")
    local, at, domain = value.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or local.startswith(".") \
            or local.endswith(".") or ".." in local:
        raise refuse("is not a valid address")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels) \
            or not labels[-1].isalpha() or len(labels[-1]) < 2:
        raise refuse("has an invalid domain")
    return f"{local}@{domain.lower()}"
