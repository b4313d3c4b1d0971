"""Several items of several tables in one round trip: one BatchGetItem, strongly consistent.

A use case that needs a handful of items it can name up front (the order path reads the order,
the station, the driver, the account...) reads them together instead of one GetItem each. Each
store offers a `Read` of its own item (model class, key, and how the raw item becomes the
domain value, None when absent), so the conversions keep living with their tables.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.store.base import get_connection

# BatchGetItem answers at most 100 keys; DynamoDB may leave some unprocessed under load, which
# are asked for again (each retry is one more round trip, only when DynamoDB asks for it).
_MAX_KEYS = 100
_MAX_ROUNDS = 5


@dataclass(frozen=True)
class Read:
    model: type  # a StageModel subclass
    key: str  # the hash key (every table read this way has no range key)
    convert: Callable[[Any], Any]  # model instance or None -> what the caller gets


def read_all(reads: dict[str, Read]) -> dict[str, Any]:
    """Every read's converted answer, by the caller's name for it, from one BatchGetItem."""
    if not reads:
        return {}
    if len(reads) > _MAX_KEYS:
        raise ValueError(f"at most {_MAX_KEYS} items per batch read")
    tables: dict[str, tuple[type, str]] = {}
    wanted: dict[str, list[dict]] = {}
    for read in reads.values():
        read.model._get_connection()  # fills Meta.table_name for the current stage
        name = read.model.Meta.table_name
        hash_name = read.model._hash_key_attribute().attr_name
        tables[name] = (read.model, hash_name)
        key = {hash_name: {"S": read.key}}
        if key not in wanted.setdefault(name, []):
            wanted[name].append(key)
    found: dict[tuple[str, str], Any] = {}
    request = {name: {"Keys": keys, "ConsistentRead": True} for name, keys in wanted.items()}
    client = get_connection().client
    for _ in range(_MAX_ROUNDS):
        answer = client.batch_get_item(RequestItems=request)
        for name, items in answer.get("Responses", {}).items():
            model, hash_name = tables[name]
            for raw in items:
                found[(name, raw[hash_name]["S"])] = model.from_raw_data(raw)
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
    else:
        raise RuntimeError("DynamoDB left keys of a batch read unprocessed; try again")
    return {label: read.convert(found.get((read.model.Meta.table_name, read.key)))
            for label, read in reads.items()}
