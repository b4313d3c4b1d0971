"""`bin/dev --keep`: DynamoDB Local given a directory keeps the tables and their items across a
restart, and making the template's tables again creates only the missing ones."""
from __future__ import annotations

import boto3
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


def test_an_engine_whose_port_is_taken_moves_to_another_and_never_adopts_the_taker(monkeypatch):
    """The port picked for the engine is taken, before the JVM binds it, by another server that
    also speaks DynamoDB's API (moto): the launcher must not mistake that server for its engine,
    and must end with its own engine on another port."""
    from moto.server import ThreadedMotoServer

    from devstack import dynamodb_local

    impostor = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    impostor.start()
    taken = impostor.get_host_and_port()[1]
    picks = iter([taken])
    real_free_port = dynamodb_local.free_port
    monkeypatch.setattr(dynamodb_local, "free_port",
                        lambda host="127.0.0.1": next(picks, None) or real_free_port(host))
    engine = DynamoDBLocal()
    try:
        engine.start()
        assert engine.port != taken
        made = infra.create_tables(engine.client(), "local")
        assert made  # the engine's tables, on the engine: the impostor got none of them
        impostor_client = boto3.client(
            "dynamodb", endpoint_url=f"http://127.0.0.1:{taken}", region_name="cn-north-1",
            aws_access_key_id="local", aws_secret_access_key="local")
        assert not set(made) & set(impostor_client.list_tables()["TableNames"])
    finally:
        engine.stop()
        impostor.stop()
