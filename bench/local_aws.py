"""Local AWS for the benches: a moto server for SQS and S3 on loopback, every AWS endpoint
pointed at it (DynamoDB at DynamoDB Local), so nothing a bench runs leaves the machine; the
settings refuse a service left unset on the local stage."""
from __future__ import annotations

import logging
import os


def start_local_aws(dynamodb_url: str | None = None, queues: tuple[str, ...] = (
        "fuel-local-notifications",)):
    """Start moto on a free loopback port, point SQS, S3 and Secrets Manager (and DynamoDB, if
    not given) at it, create `queues`; returns the server (call .stop())."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    os.environ["AWS_ENDPOINT_URL"] = url
    for service in ("SQS", "S3", "SECRETSMANAGER"):
        os.environ[f"AWS_ENDPOINT_URL_{service}"] = url
    os.environ["DYNAMODB_ENDPOINT_URL"] = dynamodb_url or url
    from chalicelib.providers import queues as app_queues
    from chalicelib.settings import get_settings
    get_settings.cache_clear()  # settings read before this point knew no endpoint
    app_queues.clear_cache()
    sqs = boto3.client("sqs", region_name="cn-north-1", endpoint_url=url)
    for name in queues:
        sqs.create_queue(QueueName=name)
    return server
