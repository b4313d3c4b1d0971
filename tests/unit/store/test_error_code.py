"""The DynamoDB error code behind a PynamoDB error, also when DynamoDB never answered."""
from __future__ import annotations

from botocore.exceptions import ClientError, ReadTimeoutError
from pynamodb.exceptions import UpdateError

from chalicelib.store.base import error_code


def test_a_refused_condition_is_named():
    cause = ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "UpdateItem")

    assert error_code(UpdateError("refused", cause=cause)) == "ConditionalCheckFailedException"


def test_a_timeout_without_any_answer_has_no_code_and_raises_nothing():
    cause = ReadTimeoutError(endpoint_url="http://127.0.0.1:9")

    assert error_code(UpdateError("timed out", cause=cause)) is None
    assert error_code(UpdateError("no cause")) is None
