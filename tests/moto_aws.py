"""A fresh in-process AWS (moto) for each test, with every table of infra/template.yaml in it.

Creating the two dozen tables through the API costs about a second a test (and more on a busy
machine), and so does a new boto3 session with its service models. Both are paid once here:
the tables are created once per session and kept as a copy of moto's own table objects, which
each test's fresh moto gets back empty; moto is told to keep boto3's default session (clients
still get moto's hooks, and every test sets its own credentials in the environment).
Everything else moto holds (queues, buckets, secrets) starts empty in every test, as before,
except the ledger's KMS key (alias LEDGER_KEY_ALIAS): made through the API once, and each later
test gets its own copy of moto's key objects (moto makes an RSA key pair for every key, even an
HMAC one: about a tenth of a second a test, more on a busy machine); a test that needs
the queues and buckets of infra/ gets them from `queues_and_buckets()`: the
queues are created through the API once and each later test gets its own empty copy of them
(sixteen calls saved), the buckets are created afresh, and the tests' own clients come from one
boto3 session kept for the run (a new session reads its service models again, about a quarter
of a second for each client it makes).
"""
from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from functools import lru_cache

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.serialize import JSONSerializer
from moto.dynamodb.models import dynamodb_backends
from moto.kms.models import kms_backends
from moto.sqs.models import sqs_backends

from devstack import infra

REGION = "cn-north-1"
STAGE = "local"
LEDGER_KEY_ALIAS = "alias/fuel-local-ledger"
_KEEP_BOTO3_SESSION = {"core": {"reset_boto3_session": False}}


# moto answers every DynamoDB call through a serializer that walks the botocore shape, and for
# each member of each AttributeValue (S, N, B, SS, NS, BS, M, L, NULL, BOOL: ten per attribute)
# asks half a dozen alias rules where the value may be: 87% of a query's time, a few
# milliseconds per item read. moto hands the serializer each attribute as a plain
# {"S": "..."} dict, so the member is that dict's key; the member's value is then serialized by
# moto's own code as before. tests/unit/test_moto_speed.py proves the answers unchanged.
_generic_structure = JSONSerializer._serialize_type_structure


def _attribute_value_structure(self, serialized, value, shape, key):
    if shape.name != "AttributeValue" or type(value) is not dict:
        return _generic_structure(self, serialized, value, shape, key)
    wrapper = self.MAP_TYPE() if key else serialized
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape
        member_value = value.get(member_key)
        if member_value is not None:
            self._serialize(wrapper, member_value, member_shape, member_key)
    if key:
        self._default_serialize(serialized, wrapper, shape, key)


JSONSerializer._serialize_type_structure = _attribute_value_structure


def _tables_backend():
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


@lru_cache(maxsize=1)
def _empty_tables() -> dict:
    with mock_aws(config=_KEEP_BOTO3_SESSION):
        client = boto3.client("dynamodb", region_name=REGION)
        infra.create_tables(client, STAGE, REGION)
        return copy.deepcopy(_tables_backend().tables)


@lru_cache(maxsize=1)
def aws_session() -> boto3.session.Session:
    """One boto3 session for the tests' own clients; moto answers them in whichever test runs."""
    return boto3.session.Session(region_name=REGION)


_queues: dict = {}  # what infra answered and a copy of moto's queues, from the first creation
_LOCKS = (type(threading.Lock()), type(threading.RLock()), threading.Condition)


def queues_and_buckets() -> dict:
    """Every queue and bucket of infra/ in the current moto: {logical id: {"Ref", "Arn", ...}}."""
    backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    if _queues:
        backend.queues = _copy_queues(_queues["moto"])
    else:
        made = infra.create_queues(aws_session(), STAGE, REGION, None)
        _queues.update(answered=made, moto=_copy_queues(backend.queues))
    buckets = infra.create_buckets(aws_session(), STAGE, REGION, None)
    return {**copy.deepcopy(_queues["answered"]), **buckets}


def _copy_queues(queues: dict) -> dict:
    """A deep copy of moto's queues (each with its messages, dead-letter queue, attributes and
    tags), each lock a new one: a lock cannot be copied, and a shared one would tie tests."""
    fresh = {id(value): type(value)() for queue in queues.values()
             for value in vars(queue).values() if isinstance(value, _LOCKS)}
    return copy.deepcopy(queues, fresh)


_keys: dict = {}  # moto's KMS keys (with their aliases) as infra/ first made them


def _give_keys() -> None:
    """The KMS keys of infra/ in the current moto, each test with its own copy."""
    backend = kms_backends[DEFAULT_ACCOUNT_ID][REGION]
    if _keys:
        backend.keys = _copy_keys(_keys)
    else:
        infra.create_keys(aws_session(), STAGE, REGION, None)
        _keys.update(_copy_keys(backend.keys))


def _copy_keys(keys: dict) -> dict:
    """A deep copy of moto's keys (state, aliases, grants, rotations), each sharing its RSA key
    pair, which nothing changes once made (and which is what costs the time)."""
    shared = {id(key.private_key): key.private_key for key in keys.values()}
    return copy.deepcopy(keys, shared)


@contextmanager
def fresh_aws():
    """moto with empty tables of infra/ and the ledger key; yields a DynamoDB client."""
    tables = _empty_tables()
    with mock_aws(config=_KEEP_BOTO3_SESSION):
        _tables_backend().tables = copy.deepcopy(tables)
        _give_keys()
        yield boto3.client("dynamodb", region_name=REGION)
