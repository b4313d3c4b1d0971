"""The shortcuts tests/moto_aws.py takes to make moto faster change nothing a test can see: every
DynamoDB answer carrying items is the same as moto's own serializer gives, for every attribute
type, nested, in results and in errors."""
from __future__ import annotations

import json

from botocore.exceptions import ClientError
from moto.core.serialize import JSONSerializer

from tests import moto_aws

TABLE = "fuel-local-ledger"
KEY = {"chain": {"S": "u_1#balance"}, "seq": {"N": "1"}}
ITEM = {
    **KEY,
    "text": {"S": "加油 ☂ \"quoted\"\n"}, "empty": {"S": ""}, "number": {"N": "-12.50"},
    "big": {"N": "123456789012345678901234567890"}, "blob": {"B": b"\x00\xffraw"},
    "strings": {"SS": ["a", "b"]}, "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02"]}, "nothing": {"NULL": True}, "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "map": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}, {"L": []},
                                  {"B": b"\x03"}, {"NULL": True}]},
                  "deeper": {"M": {"b": {"BOOL": False}, "ss": {"SS": ["z"]}}}}},
    "list": {"L": [{"M": {"k": {"S": "v"}}}, {"NS": ["3"]}]},
}


def _calls(client) -> dict:
    """Every call here answers with items (or an error carrying one)."""
    answers = {
        "get": client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True),
        "query": client.query(TableName=TABLE, KeyConditionExpression="#c = :c",
                              ExpressionAttributeNames={"#c": "chain"},
                              ExpressionAttributeValues={":c": KEY["chain"]}),
        "scan": client.scan(TableName=TABLE),
        "batch": client.batch_get_item(RequestItems={TABLE: {"Keys": [KEY]}}),
        "transact": client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE,
                                                                      "Key": KEY}}]),
        "update": client.update_item(TableName=TABLE, Key=KEY, UpdateExpression="SET #n = :n",
                                     ExpressionAttributeNames={"#n": "added"},
                                     ExpressionAttributeValues={":n": {"M": {"a": {"N": "1"}}}},
                                     ReturnValues="ALL_NEW"),
    }
    try:
        client.put_item(TableName=TABLE, Item=ITEM, ConditionExpression="attribute_not_exists(seq)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError as refused:
        answers["refused put"] = refused.response
    try:
        client.transact_write_items(TransactItems=[{"ConditionCheck": {
            "TableName": TABLE, "Key": KEY, "ConditionExpression": "attribute_not_exists(seq)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    except ClientError as refused:
        answers["refused transaction"] = refused.response
    client.delete_item(TableName=TABLE, Key=KEY)
    for answer in answers.values():
        answer.pop("ResponseMetadata", None)
    return answers


def test_items_read_back_as_moto_itself_serializes_them(aws, monkeypatch):
    aws.put_item(TableName=TABLE, Item=ITEM)
    fast = _calls(aws)

    monkeypatch.setattr(JSONSerializer, "_serialize_type_structure", moto_aws._generic_structure)
    aws.put_item(TableName=TABLE, Item=ITEM)
    generic = _calls(aws)

    assert fast["get"]["Item"] == ITEM  # the round trip itself is faithful
    assert fast["refused put"]["Item"] == fast["update"]["Attributes"] == {
        **ITEM, "added": {"M": {"a": {"N": "1"}}}}
    assert "Item" in fast["refused transaction"]["CancellationReasons"][0]
    assert json.dumps(fast, sort_keys=True, default=repr) == json.dumps(generic, sort_keys=True,
                                                                        default=repr)

