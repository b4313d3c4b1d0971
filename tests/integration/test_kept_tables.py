"""`bin/dev --keep`: DynamoDB Local given a directory keeps the tables and their items across a
restart, and making the template's tables again creates only the missing ones."""
from __future__ import annotations

import pytest

from devstack import infra
from devstack.dynamodb_local import DynamoDBLocal

pytestmark = pytest.mark.slow


def test_tables_and_items_survive_a_restart_and_are_not_made_twice(tmp_path):
    first = DynamoDBLocal(data_dir=tmp_path).start()
    try:
        made = infra.create_tables(first.client(), "local")
        table = next(name for name in made if name.endswith("-stations"))
        first.client().put_item(TableName=table, Item={"station_id": {"S": "kept-1"}})
    finally:
        first.stop()

    again = DynamoDBLocal(data_dir=tmp_path).start()
    try:
        assert infra.create_tables(again.client(), "local") == []
        item = again.client().get_item(TableName=table, Key={"station_id": {"S": "kept-1"}})
        assert item["Item"]["station_id"] == {"S": "kept-1"}
    finally:
        again.stop()
