"""The peer of bench/nearby.py: the public `dynamodbgeo` package (0.0.3, a Python port of
awslabs/dynamodb-geo: S2 cells, hashKeyLength 4) on the same DynamoDB Local, stations and
searches. It runs in its own interpreter so the package never enters the project's
environment or the Lambda package:

    python3 -m venv .local/geo-peer && .local/geo-peer/bin/pip install dynamodbgeo==0.0.3
    .venv/bin/python bench/nearby.py --peer-python .local/geo-peer/bin/python

Two changes, to be fair to it: its per-cell queries run on 9 threads (ours run side by side
too), and each query gets its own copy of the query input. As shipped, every request shares
one default dict that a multi-page query leaves its ExclusiveStartKey in, so the next range
starts from a stale key (50 km city searches fail). Speaks JSON lines on stdin/stdout, so
bench/nearby.py can interleave its searches with ours (the same machine load for both): first
{"endpoint", "stations": [[id, lat, lng]]}, answered {"load_s"}; then one {"lat", "lng",
"radius"} per search, answered {"ms", "read", "returned"}; end of input ends it.
"""
from __future__ import annotations

import copy
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TABLE, HASH_KEY_LENGTH, LIMIT = "peer-geo", 4, 20


def manager(client):
    import dynamodbgeo
    from dynamodbgeo import DynamoDBManager, GeoDataManager, S2Manager

    config = dynamodbgeo.GeoDataManagerConfiguration(client, TABLE)
    config.hashKeyLength = HASH_KEY_LENGTH
    geo = dynamodbgeo.GeoDataManager(config)
    pool, read = ThreadPoolExecutor(max_workers=9), [0]
    original = DynamoDBManager.queryGeohash

    def query(self, query_input, hash_key, cell_range):
        items = original(self, copy.deepcopy(query_input), hash_key, cell_range)  # no stale key
        read[0] += len(items)
        return items

    def dispatch(self, covering, geo_query_input):
        ranges = covering.getGeoHashRanges(self.config.hashKeyLength)
        jobs = [pool.submit(self.dynamoDBManager.queryGeohash, geo_query_input.QueryInput,
                            S2Manager().generateHashKey(r.rangeMin, self.config.hashKeyLength), r)
                for r in ranges]
        return [item for job in jobs for item in job.result()]
    DynamoDBManager.queryGeohash = query
    GeoDataManager.dispatchQueries = dispatch
    return geo, config, read


def load(client, config, stations) -> float:
    from dynamodbgeo import GeoPoint, GeoTableUtil, S2Manager

    request = GeoTableUtil(config).getCreateTableRequest()
    client.create_table(**request)
    started = time.perf_counter()

    def write(chunk):
        for i in range(0, len(chunk), 25):
            items = []
            for station_id, lat, lng in chunk[i:i + 25]:
                cell = S2Manager().generateGeohash(GeoPoint(lat, lng))
                items.append({"PutRequest": {"Item": {
                    "hashKey": {"N": str(S2Manager().generateHashKey(cell, HASH_KEY_LENGTH))},
                    "rangeKey": {"S": station_id}, "geohash": {"N": str(cell)},
                    "geoJson": {"S": f"{lat},{lng}"}}}})
            pending = {TABLE: items}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
    chunks = [stations[i:i + 2_000] for i in range(0, len(stations), 2_000)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, chunks))
    return time.perf_counter() - started


def main() -> None:
    import boto3
    from dynamodbgeo import GeoPoint, QueryRadiusRequest

    job = json.loads(sys.stdin.readline())
    client = boto3.client("dynamodb", region_name="cn-north-1", endpoint_url=job["endpoint"],
                          aws_access_key_id="local", aws_secret_access_key="local")
    geo, config, read = manager(client)
    print(json.dumps({"load_s": load(client, config, job["stations"])}), flush=True)
    for line in sys.stdin:
        search = json.loads(line)
        read[0] = 0
        started = time.perf_counter()
        found = geo.queryRadius(QueryRadiusRequest(GeoPoint(search["lat"], search["lng"]),
                                                   int(search["radius"]), {}, sort=True))[:LIMIT]
        print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "read": read[0],
                          "returned": len(found)}), flush=True)


if __name__ == "__main__":
    main()
