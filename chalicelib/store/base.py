"""PynamoDB plumbing: stage-prefixed table names and endpoints resolved from settings at first use.

PynamoDB reads `Meta.table_name` and `Meta.host` when it first builds a model's connection and
caches that connection per class. Models here subclass `StageModel`, which fills those in from
`get_settings()` on every connection request and rebuilds the cached connection when the settings
changed (tests switch between moto and DynamoDB Local), so nothing is read at import time.
"""
from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar, TypeVar

import msgspec
from pynamodb.connection import Connection
from pynamodb.models import Model

from chalicelib.settings import Settings, get_settings

T = TypeVar("T")


def _meta_for(settings: Settings, logical_name: str) -> dict:
    return {
        "table_name": settings.table_name(logical_name),
        "host": settings.endpoint_for("dynamodb"),
        "region": settings.aws_region,
        "connect_timeout_seconds": settings.ddb_connect_timeout_s,
        "read_timeout_seconds": settings.ddb_read_timeout_s,
        "max_retry_attempts": 3,
    }


class StageModel(Model):
    """A model whose table is `fuel-<stage>-<logical_name>`.

    Each subclass sets `logical_name` and declares its own empty `class Meta: pass`
    (PynamoDB fills the defaults in; we fill in the rest here).
    """

    logical_name: ClassVar[str]

    class Meta:
        table_name = None

    @classmethod
    def _get_connection(cls):
        wanted = _meta_for(get_settings(), cls.logical_name)
        stale = any(getattr(cls.Meta, key, None) != value for key, value in wanted.items())
        if not stale and cls._connection is not None \
                and cls._connection.table_name == cls.Meta.table_name:
            return cls._connection
        with _BUILDING:   # the threads of a batch share one connection and one botocore client
            if any(getattr(cls.Meta, key, None) != value for key, value in wanted.items()):
                for key, value in wanted.items():
                    setattr(cls.Meta, key, value)
                cls._connection = None
            table_connection = super()._get_connection()
            if not getattr(table_connection, "_settled", False):
                settle(table_connection.connection)
                table_connection._settled = True
            return table_connection

    @classmethod
    def get_or_none(cls, key: str, convert: Callable[[Model], T]) -> T | None:
        """The item under hash key `key` as read now (strongly consistent), converted; None
        when there is none."""
        try:
            return convert(cls.get(key, consistent_read=True))
        except cls.DoesNotExist:
            return None


# Building a botocore client takes tens of milliseconds of CPU, and PynamoDB builds one per
# connection lazily without a lock: a queue worker's threads starting together would each build
# their own. Connections and their clients are built under this lock instead.
_BUILDING = threading.RLock()


def settle(connection: Connection) -> Connection:
    """Build the connection's botocore client now and take everything alive into the garbage
    collector's permanent generation (gc.freeze).

    Each PynamoDB connection has a botocore session of its own, which loads the endpoint and
    service models: tens of thousands of OrderedDicts that live as long as the process. A full
    collection walks them all (about 60 ms with three tables' clients loaded, more with every
    table a function touches), and searches and orders make enough short-lived objects to set
    one off now and then, in the middle of a request. Frozen objects are never walked again;
    those freed by their reference count still are, so what a request makes is reclaimed as
    before. Only cyclic garbage alive at this moment would be kept."""
    connection.client  # noqa: B018 (built on first use; built here so that it is frozen)
    gc.freeze()
    return connection


@lru_cache(maxsize=4)
def _connection(host: str | None, region: str, connect_s: float, read_s: float) -> Connection:
    return settle(Connection(region=region, host=host, connect_timeout_seconds=connect_s,
                             read_timeout_seconds=read_s, max_retry_attempts=3))


def get_connection() -> Connection:
    """The connection for TransactWrite / TransactGet across tables."""
    s = get_settings()
    with _BUILDING:
        return _connection(s.endpoint_for("dynamodb"), s.aws_region, s.ddb_connect_timeout_s,
                           s.ddb_read_timeout_s)


def transaction_condition_failed(err: Exception) -> bool:
    """True when a transaction was cancelled because one of its conditions did not hold."""
    reasons = getattr(err, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def error_code(err: Exception) -> str | None:
    """DynamoDB's error code behind a PynamoDB error ("ConditionalCheckFailedException" ...).

    PynamoDB's own `cause_response_code` raises when the cause carries no response at all (a
    read timeout), which would hide the real error behind an AttributeError.
    """
    response = getattr(getattr(err, "cause", None), "response", None) or {}
    return (response.get("Error") or {}).get("Code")


def plain_json_reads(connection, *operations: str) -> None:
    """Answer `operations` ("Query", "BatchGetItem") on this model's client with DynamoDB's JSON
    as it came, instead of walking every attribute value through botocore's shape parser:
    for these reads the parsed answer is the same dicts, and the walk cost 0.1 ms per station
    item (most of a nearby search's CPU) and more for a density partition's hundreds of cells.
    A body holding a binary value ("B", "BS"), which botocore would decode, and any answer but
    200 keep botocore's parsing; no table here has binary attributes."""
    client = connection.connection.client
    done = getattr(client, "_plain_json_reads", set())
    for operation in set(operations) - done:
        client.meta.events.register(f"before-parse.dynamodb.{operation}", _plain_json)
    client._plain_json_reads = done | set(operations)


def _plain_json(response_dict, customized_response_dict, **_) -> None:
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, bytes) \
            or b'"B":' in body or b'"BS":' in body:
        return
    customized_response_dict.update(msgspec.json.decode(body))  # json.loads' dicts, ~1.7x sooner
    response_dict["body"] = b"{}"


def plain_value(value: dict):
    """A DynamoDB JSON value of a plain read (plain_json_reads) as PynamoDB reads an untyped one
    (numbers through json.loads)."""
    (kind, inner), = value.items()
    if kind == "S" or kind == "BOOL":
        return inner
    if kind == "N":
        return json.loads(inner)
    if kind == "M":
        return {key: plain_value(item) for key, item in inner.items()}
    if kind == "L":
        return [plain_value(item) for item in inner]
    if kind == "SS":
        return set(inner)
    if kind == "NS":
        return {json.loads(n) for n in inner}
    if kind == "NULL":
        return None
    raise ValueError(f"unexpected DynamoDB type {kind} in a plain read")
