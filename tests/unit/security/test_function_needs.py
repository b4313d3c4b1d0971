"""Least privilege per function: what each Lambda declares it needs (chalicelib/needs.py, beside
its handler) is exactly what its code can reach (tests/unit/security/code_needs.py), no more and
no less; infra/package.py makes each role from the declaration (tests/integration/
test_packaging.py checks the packaged roles against it)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from infra import roles
from tests.unit.security import code_needs

ROOT = Path(__file__).resolve().parents[3]
STARTS = code_needs.handler_starts()


def _lambdas() -> set[str]:
    from app import app

    return {source.name for source in app.event_sources} | {"api_handler", "webhook_handler"}


def test_every_lambda_and_only_those_declare_their_needs():
    assert set(roles.all_needs()) == _lambdas() == set(STARTS)


@pytest.mark.parametrize("function", sorted(STARTS))
def test_a_functions_declared_needs_are_what_its_code_reaches(function):
    declared = roles.all_needs()[function]
    derived = code_needs.derived_needs(STARTS[function])

    assert {"tables": dict(sorted(declared.tables.items())), "sends": sorted(declared.sends),
            "buckets": sorted(declared.buckets), "secrets": declared.secrets,
            "ledger_key": sorted(declared.ledger_key)} == derived


def test_no_code_path_updates_or_deletes_the_append_only_records():
    for function, start in STARTS.items():
        tables = code_needs.derived_needs(start)["tables"]
        for table in roles.NEVER_DELETED:
            assert "D" not in tables.get(table, ""), (function, table)
        for table in roles.APPEND_ONLY:
            assert set(tables.get(table, "")) <= {"R", "P"}, (function, table)


def test_only_the_api_verifies_ledger_seals_and_only_ledger_writers_make_them():
    needs = roles.all_needs()
    writers = {f for f, n in needs.items() if "P" in n.tables.get("ledger", "")}

    assert {f for f, n in needs.items() if "verify" in n.ledger_key} == {"api_handler"}
    assert {f for f, n in needs.items() if "sign" in n.ledger_key} == writers
    assert "expire_points" in writers and "notification_worker" not in writers


def test_a_declaration_that_would_delete_or_update_append_only_records_is_refused(monkeypatch):
    from chalicelib.api import needs as api_needs
    from chalicelib.needs import Needs

    for ops, table in (("RPD", "refunds"), ("RPU", "ledger"), ("RPU", "order-events")):
        monkeypatch.setitem(api_needs.NEEDS, "api_handler", Needs(tables={table: ops}))
        with pytest.raises(ValueError, match="append-only"):
            roles.all_needs()


def test_the_analysis_attributes_an_operation_to_the_model_its_call_names():
    # store/stations/changes.py deletes a promotion in a transaction that writes a station.
    ops = code_needs.store_ops("chalicelib.store.stations.changes")

    assert "D" in ops["promotions"] and "D" not in ops["stations"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_chalice_policy_files_grant_no_table_at_all(stage):
    # Chalice needs a policy file to package; infra/roles.py replaces it on every role.
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    actions = {a for s in policy["Statement"] for a in s["Action"]}

    assert actions <= {"logs:CreateLogStream", "logs:PutLogEvents"}


APPEND_ONLY_WRITES = ("LedgerModel", "OrderEventModel", "RefundModel", "ledger.to_model",
                      "order_events.to_model", "refunds.to_model")


def test_every_put_of_a_ledger_history_or_refund_record_is_conditional_on_it_being_new():
    # IAM cannot say "PutItem only if new"; the code's condition does, at every put.
    puts = []
    for name in code_needs.modules():
        if not name.startswith("chalicelib.store."):
            continue
        for call in ast.walk(code_needs.tree(name)):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "save" and call.args):
                continue
            if any(marker in ast.unparse(call.args[0]) for marker in APPEND_ONLY_WRITES):
                condition = next((k.value for k in call.keywords if k.arg == "condition"), None)
                puts.append((name, ast.unparse(call.args[0]),
                             condition is not None and "does_not_exist()" in ast.unparse(condition)))
    assert len(puts) >= 3 and all(new for _, _, new in puts), puts
