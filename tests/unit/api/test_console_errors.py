"""The station console (console/) shows every error a staff route may answer in Chinese: each
error code the contract declares for a /v1/staff route has its words in console/src/errors.js."""
from __future__ import annotations

import re
from pathlib import Path

import app  # noqa: F401 - registers every route's contract
from chalicelib.api import contract

ERRORS_JS = Path(__file__).resolve().parents[3] / "console" / "src" / "errors.js"


def test_every_error_a_staff_route_declares_has_chinese_words_in_the_console():
    worded = set(re.findall(r"^\s+([A-Z][A-Z0-9_]+):\s*\"", ERRORS_JS.read_text(), re.M))
    declared = {code: f"{op.method.upper()} {op.path}" for op in contract.OPERATIONS
                if op.path.startswith("/v1/staff") for codes in op.errors.values()
                for code in codes}

    assert len(declared) > 50  # the contract was read
    assert {code: where for code, where in declared.items() if code not in worded} == {}
