"""What each Lambda's code can reach, read from the source (no import, no AWS): the tables and
what it does to them, the queues it sends to, the buckets, the app secrets and the ledger key.

A function starts at its handler in app.py: the API at every blueprint (and the middleware),
the webhook function at the webhook's blueprint, a job at the jobs function its handler calls
(with the module's own helpers that function names). From there every module of ours it imports,
at the top or inside a function, is reached, and everything those import (the same closure as
tests/unit/test_import_cycles.py counts). The approximation is the module: a function is held
to everything the modules it can load can do, never less.

Inside a store module, what is done to a table is read per function: the operations a function
calls (get/query/scan: R, save/put: P, update: U, delete/batch write: D) count for every model
class that function names. "R" also covers the condition checks of transactions.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from tests.unit.test_import_cycles import imports_in

ROOT = Path(__file__).resolve().parents[3]
READS = {"get", "get_or_none", "query", "scan", "batch_get", "count", "exists", "refresh",
         "condition_check", "batch_get_item", "get_item"}
PUTS = {"save", "put_item"}
UPDATES = {"update", "update_item"}
DELETES = {"delete", "delete_item", "batch_write"}
# Queues by what sends to them: a module of ours, or a name a reachable module calls or reads.
# Each marker counts outside the module that defines it (settings names every queue).
QUEUE_MARKERS = {
    "invoices": ("send_invoice_message(", "chalicelib.providers.queues"),
    "notifications": ("notify_queue.", "chalicelib.providers.notify_queue"),
    "coupon-campaigns": ("campaign_queue.", "chalicelib.providers.campaign_queue"),
    "alert-fanout": ("alert_fanout_queue_name", "chalicelib.settings"),
}
BUCKET_MARKERS = {
    "invoices": ("put_file(", "presigned_get("),
    "pump-codes": ("put_pump_code(", "pump_code_exists(", "presigned_pump_code("),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    found = {_module_name(p): p for p in (ROOT / "chalicelib").rglob("*.py")}
    found["app"] = ROOT / "app.py"
    return found


@lru_cache(maxsize=None)
def tree(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports_in(name: str, nodes) -> set[str]:
    return imports_in(name, nodes, set(modules()),
                      is_package=modules()[name].name == "__init__.py")


def _parents(name: str) -> set[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ too."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))} & set(modules())


@lru_cache(maxsize=None)
def imports_of(name: str) -> frozenset[str]:
    return frozenset(_imports_in(name, [tree(name)]))


def closure(start: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend((imports_of(name) | _parents(name)) - seen)
    return seen


def _top_defs(module: ast.Module) -> dict[str, ast.AST]:
    return {node.name: node for node in module.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def function_start(module_name: str, function: str) -> set[str]:
    """The modules a jobs function loads: its module's top-level imports, and the imports
    inside it and inside the module's functions it names (helpers, handlers it passes on)."""
    module = tree(module_name)
    defs = _top_defs(module)
    top_level = [node for node in module.body if node not in defs.values()]
    used, todo = set(), [function]
    while todo:
        name = todo.pop()
        if name in used or name not in defs:
            continue
        used.add(name)
        todo.extend(_names_used(defs[name]) & set(defs))
    return _imports_in(module_name, top_level + [defs[n] for n in used]) | {module_name}


def handler_starts() -> dict[str, set[str]]:
    """Per Lambda (Chalice's function name, plus the webhook function): where its code starts."""
    app = tree("app")
    aliases = {}
    for node in app.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = full if full in modules() else node.module
    starts: dict[str, set[str]] = {}
    blueprints = {m for m in aliases.values() if m.startswith("chalicelib.api.")}
    starts["api_handler"] = blueprints
    starts["webhook_handler"] = {"chalicelib.api.webhooks", "chalicelib.api.middleware"}
    for node in app.body:
        if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
            continue
        for call in ast.walk(node):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name) and call.func.value.id in aliases):
                starts[node.name] = function_start(aliases[call.func.value.id], call.func.attr)
    return starts


@lru_cache(maxsize=1)
def model_tables() -> dict[str, str]:
    """Model class name -> logical table name, for every store model."""
    found = {}
    for name in modules():
        if not name.startswith("chalicelib.store."):
            continue
        for node in tree(name).body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name)
                            and item.targets[0].id == "logical_name"):
                        found[node.name] = item.value.value
    return found


def _called(node: ast.AST) -> set[str]:
    return {n.func.attr for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}


def _models_named(node: ast.AST) -> set[str]:
    known = model_tables()
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    return names & set(known)


@lru_cache(maxsize=None)
def store_ops(name: str) -> dict[str, frozenset[str]]:
    """Per table, the operations this store module's functions do to it. An operation counts
    for the models its call names (`tx.delete(PromotionModel(...))`), or, when it names none
    (`model.save()`), for every model its function names."""
    ops: dict[str, set[str]] = {}
    for function in ast.walk(tree(name)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        in_function = _models_named(function)
        for call in ast.walk(function):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            kind = next((letter for letter, names in (("R", READS), ("P", PUTS), ("U", UPDATES),
                                                      ("D", DELETES)) if call.func.attr in names),
                        None)
            if kind is None:
                continue
            for model in _models_named(call) or in_function:
                ops.setdefault(model_tables()[model], set()).add(kind)
    return {table: frozenset(kinds) for table, kinds in ops.items()}


def _source_has(names: set[str], marker: str, defined_in: str = "") -> bool:
    return any(marker in modules()[n].read_text(encoding="utf-8") for n in names
               if n.startswith("chalicelib.") and n != defined_in)


def derived_needs(start: set[str]) -> dict:
    reached = closure(start)
    tables: dict[str, set[str]] = {}
    for name in reached:
        if name.startswith("chalicelib.store."):
            for table, kinds in store_ops(name).items():
                tables.setdefault(table, set()).update(kinds)
    sources = [n for n in reached if n.startswith("chalicelib.")]
    key_calls = set()
    for name in sources:
        text = modules()[name].read_text(encoding="utf-8")
        if "ledger_key.sign(" in text:
            key_calls.add("sign")
        if "ledger_key.verify(" in text:
            key_calls.add("verify")
    return {
        "tables": {table: "".join(sorted(kinds, key="RPUD".index)) for table, kinds in
                   sorted(tables.items())},
        "sends": sorted(q for q, marker in QUEUE_MARKERS.items() if _source_has(reached, *marker)),
        "buckets": sorted(b for b, markers in BUCKET_MARKERS.items() if any(
            _source_has(reached, m, "chalicelib.providers.storage") for m in markers)),
        "secrets": "chalicelib.providers.secrets" in reached,
        "ledger_key": sorted(key_calls),
    }
