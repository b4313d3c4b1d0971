"""A fresh in-process AWS (moto) for each test, with every table of infra/template.yaml in it.

Creating the two dozen tables through the API costs about a second a test (and more on a busy
machine), and so does a new boto3 session with its service models. Both are paid once here:
the tables are created once per session and kept as a copy of moto's own table objects, which
each test's fresh moto gets back empty; moto is told to keep boto3's default session (clients
still get moto's hooks, and every test sets its own credentials in the environment).
Everything else moto holds (queues, buckets, secrets) starts empty in every test, as before,
except the ledger's KMS key (alias LEDGER_KEY_ALIAS), made anew for each test.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from functools import lru_cache

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from devstack import infra

REGION = "cn-north-1"
STAGE = "local"
LEDGER_KEY_ALIAS = "alias/fuel-local-ledger"
_KEEP_BOTO3_SESSION = {"core": {"reset_boto3_session": False}}


def _tables_backend():
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


@lru_cache(maxsize=1)
def _empty_tables() -> dict:
    with mock_aws(config=_KEEP_BOTO3_SESSION):
        client = boto3.client("dynamodb", region_name=REGION)
        infra.create_tables(client, STAGE, REGION)
        return copy.deepcopy(_tables_backend().tables)


@contextmanager
def fresh_aws():
    """moto with empty tables of infra/ and the ledger key; yields a DynamoDB client."""
    tables = _empty_tables()
    with mock_aws(config=_KEEP_BOTO3_SESSION):
        _tables_backend().tables = copy.deepcopy(tables)
        infra.create_keys(boto3.session.Session(region_name=REGION), STAGE, REGION, None)
        yield boto3.client("dynamodb", region_name=REGION)
