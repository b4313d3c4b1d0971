"""Nearby search on DynamoDB Local: 100,000 synthetic stations spread like China's, random
searches in cities and in the countryside at 3, 10 and 50 km, against Scan-and-filter.

Stations: CITY_SHARE of them around 60 city centres (a normal spread whose width grows with
the city), the rest spread over populated rural boxes, thinly in the west. Each search is
the default page (sort=distance, limit 20) through services.stations, so its time includes
the chain-promotions query (when the process's read of them is a second old: a few searches
in a hundred here) and building the view (prices, promotions, queue) of each station
returned; the density map is read from the process's copy (the first warm-up search reads
the whole map with one Scan and its time is printed apart); half the searches are in cities, half in the countryside.
Index figures come from the Query answers (ScannedCount, ConsumedCapacity). The baseline is
a paginated Scan with a bounding-box filter; it reads the whole table whatever the radius,
so one pass (one sample) gives its cost. Goals: items read <= 2x items returned, <= 9
queries per search, p99 < 50 ms. Takes about six minutes, most of it loading and the Scan.
The second baseline is the public dynamodbgeo package on the same engine, stations and
searches, run in its own interpreter (bench/nearby_peer.py says how to install it; never in
requirements.txt), its searches alternating with ours so both meet the same machine load; its
table is printed as ratios ours / theirs with our short first pages.

Run: .venv/bin/python bench/nearby.py [--stations 100000] [--searches 200] [--peer-python PY]
[--radii 3000]; --radii runs only those radii (each radius meets the same searches as in a full
run: the points of the radii left out are drawn and dropped).
"""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
from collections import Counter
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

PEER_PYTHON = PROJECT_DIR / ".local" / "geo-peer" / "bin" / "python"
CITY_SHARE = 0.7
RADII_M = (3_000, 10_000, 50_000)
# (lat, lng, weight) of cities, GCJ-02 to a few hundred metres; weight ~ size of the city
CITIES = [
    (39.904, 116.407, 10), (31.230, 121.473, 10), (23.129, 113.264, 8), (22.543, 114.058, 7),
    (30.573, 104.066, 8), (29.563, 106.551, 8), (30.593, 114.305, 7), (34.341, 108.940, 6),
    (32.060, 118.797, 6), (30.274, 120.155, 7), (39.084, 117.201, 6), (34.747, 113.625, 6),
    (28.228, 112.939, 5), (36.651, 117.120, 5), (36.067, 120.383, 5), (41.806, 123.432, 5),
    (45.803, 126.535, 5), (43.817, 125.324, 4), (38.042, 114.515, 5), (37.871, 112.549, 4),
    (31.821, 117.227, 5), (26.075, 119.296, 4), (24.480, 118.089, 3), (28.682, 115.858, 4),
    (25.040, 102.712, 4), (26.647, 106.630, 4), (22.817, 108.366, 4), (20.044, 110.199, 2),
    (36.061, 103.834, 3), (38.487, 106.231, 2), (36.617, 101.778, 2), (43.826, 87.617, 3),
    (40.842, 111.749, 3), (29.652, 91.172, 1), (31.299, 120.585, 5), (31.491, 120.312, 4),
    (29.868, 121.544, 4), (28.000, 120.672, 3), (32.394, 119.412, 2), (34.261, 117.184, 3),
    (23.021, 113.751, 5), (22.271, 113.577, 2), (23.047, 113.122, 4), (24.886, 113.597, 1),
    (27.994, 113.133, 2), (30.940, 113.918, 2), (32.990, 112.528, 3), (35.233, 113.242, 2),
    (37.513, 122.121, 2), (35.416, 116.587, 3), (36.795, 118.050, 3), (37.450, 118.493, 2),
    (39.630, 118.180, 3), (40.000, 124.354, 1), (38.914, 121.615, 4), (46.800, 130.321, 1),
    (40.658, 109.840, 2), (35.947, 104.173, 1), (30.679, 104.065, 2), (24.813, 113.597, 1),
]
# (south, north, west, east, weight): rural China, dense in the east, thin in the west
COUNTRY = [
    (22.0, 35.0, 108.0, 121.0, 8), (35.0, 42.0, 111.0, 122.0, 6), (41.0, 48.0, 122.0, 131.0, 3),
    (24.0, 34.0, 100.0, 108.0, 4), (34.0, 41.0, 100.0, 111.0, 2), (36.0, 46.0, 80.0, 95.0, 0.6),
    (28.0, 36.0, 80.0, 100.0, 0.3), (40.0, 45.0, 100.0, 120.0, 1),
]


def _point_near(rng: random.Random, lat: float, lng: float, scale_m: float) -> tuple[float, float]:
    """A point of a 2-D normal spread around a city centre (flat at the centre, like a city)."""
    north, east = rng.gauss(0.0, scale_m), rng.gauss(0.0, scale_m)
    return lat + north / 111_000, lng + east / (111_000 * math.cos(math.radians(lat)))


def _country_point(rng: random.Random) -> tuple[float, float]:
    s, n, w, e, _ = rng.choices(COUNTRY, weights=[b[4] for b in COUNTRY])[0]
    return rng.uniform(s, n), rng.uniform(w, e)


def synthetic_station(rng: random.Random, k: int):
    from chalicelib.domain.stations.prices import GradePrice
    from chalicelib.domain.stations.stations import Nozzle, Station

    if rng.random() < CITY_SHARE:
        lat, lng, weight = rng.choices(CITIES, weights=[c[2] for c in CITIES])[0]
        lat, lng = _point_near(rng, lat, lng, 4_000 + 1_500 * weight)
    else:
        lat, lng = _country_point(rng)
    pump = 700 + rng.randrange(40)
    grades = (GradePrice("92", 740, pump), GradePrice("95", 790, pump + 50),
              GradePrice("0", 720, pump - 20))
    nozzles = tuple(Nozzle(no=i + 1, grade=("92", "95", "0")[i % 3])
                    for i in range(rng.choice((4, 6, 8, 12))))
    return Station(id=f"bn-{k:06d}", name=f"基准加油站{k}", brand=rng.choice(("中国石化", "中国石油", "壳牌")),
                   district="-", address=f"测试路{k}号", lat=lat, lng=lng, open_time="06:00",
                   close_time="23:00", payee="基准石油分公司", grades=grades, nozzles=nozzles,
                   stock_ml={"92": 20_000_000, "95": 8_000_000, "0": 15_000_000})


def load(count: int, seed: int) -> tuple[float, list]:
    from chalicelib.store.stations.density import add_counts, density_cell
    from chalicelib.store.stations.stations import StationModel, to_model

    rng = random.Random(seed)
    stations = [synthetic_station(rng, k) for k in range(count)]
    started = time.perf_counter()

    def write(chunk):
        with StationModel.batch_write() as batch:
            for station in chunk:
                batch.save(to_model(station))

    chunks = [stations[i:i + 2_000] for i in range(0, count, 2_000)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, chunks))
    add_counts(Counter(density_cell(s.lat, s.lng) for s in stations))  # what put_station keeps
    return time.perf_counter() - started, stations


def search_points(rng: random.Random, count: int) -> list[tuple[str, float, float]]:
    points = []
    for k in range(count):
        if k % 2 == 0:
            lat, lng, _ = rng.choice(CITIES)
            points.append(("city", *_point_near(rng, lat, lng, 5_000)))
        else:
            points.append(("country", *_country_point(rng)))
    return points


def search_once(kind: str, lat: float, lng: float, radius_m: int) -> dict:
    from chalicelib.domain.stations.nearby import nearby_request
    from chalicelib.services.stations.search import search_nearby
    from chalicelib.store.stations.stations import GeoReadStats

    stats = GeoReadStats()
    started = time.perf_counter()
    page = search_nearby(nearby_request(lat, lng, radius_m=radius_m), stats=stats)
    elapsed = time.perf_counter() - started
    return {"kind": kind, "ms": elapsed * 1000, "returned": len(page["items"]),
            "short": len(page["items"]) < 20 and page["next_cursor"] is not None,
            "read": stats.scanned, "ranges": stats.ranges, "queries": stats.queries,
            "rcu": stats.capacity_units, "density": stats.density_items}


def run_index(points, radius_m: int) -> list[dict]:
    return [search_once(kind, lat, lng, radius_m) for kind, lat, lng in points]


def run_scan(client, table: str, lat: float, lng: float) -> dict:
    """The baseline: Scan the whole table with the bounding-box filter of the widest radius and
    keep each radius's circle. A Scan reads every item whatever the radius, so one pass gives
    the baseline's cost for all three radii (and its answers for each)."""
    from chalicelib.domain.stations.geo import haversine_m

    widest = max(RADII_M)
    dlat = widest / 111_000
    dlng = widest / (111_000 * math.cos(math.radians(lat)))
    started, read, rcu, start = time.perf_counter(), 0, 0.0, None
    kept = {r: 0 for r in RADII_M}
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        page = client.scan(
            TableName=table, ReturnConsumedCapacity="TOTAL",
            FilterExpression="lat BETWEEN :s AND :n AND lng BETWEEN :w AND :e",
            ExpressionAttributeValues={":s": {"N": str(lat - dlat)}, ":n": {"N": str(lat + dlat)},
                                       ":w": {"N": str(lng - dlng)}, ":e": {"N": str(lng + dlng)}},
            **kwargs)
        read += page["ScannedCount"]
        rcu += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
        for item in page["Items"]:
            d = haversine_m(lat, lng, float(item["lat"]["N"]), float(item["lng"]["N"]))
            for r in RADII_M:
                kept[r] += d <= r
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return {"ms": (time.perf_counter() - started) * 1000, "read": read, "kept": kept, "rcu": rcu}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(q * len(ordered))) - 1)]


def _ratio(read: int, returned: int) -> str:
    return f"{read / returned:.2f}" if returned else "n/a"


def report(radius_m: int, runs: list[dict], scan: dict) -> None:
    print(f"\nradius {radius_m // 1000} km, sort=distance, limit 20")
    print(f"  {'where':8} {'searches':>8} {'returned':>9} {'read':>8} {'read/ret':>8} "
          f"{'ranges':>10} {'queries':>10} {'RCU':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for kind in ("city", "country", "all"):
        rs = [r for r in runs if kind == "all" or r["kind"] == kind]
        returned, read = sum(r["returned"] for r in rs), sum(r["read"] for r in rs)
        ms = [r["ms"] for r in rs]
        print(f"  {kind:8} {len(rs):>8} {returned / len(rs):>9.1f} {read / len(rs):>8.1f} "
              f"{_ratio(read, returned):>8} "
              f"{statistics.mean(r['ranges'] for r in rs):>5.1f}/{max(r['ranges'] for r in rs):<4}"
              f"{statistics.mean(r['queries'] for r in rs):>5.1f}/{max(r['queries'] for r in rs):<4}"
              f" {statistics.mean(r['rcu'] for r in rs):>6.1f} {_pct(ms, 0.5):>7.1f} {_pct(ms, 0.99):>7.1f}")
    ours_read = sum(r["read"] for r in runs) / len(runs)
    ours_p50 = _pct([r["ms"] for r in runs], 0.5)
    print(f"  density map: {statistics.mean(r['density'] for r in runs):.1f} items read per search "
          f"(the process's copy); chain promotions: a process's read of the last second")
    print(f"  baseline Scan+filter: read {scan['read']} items ({scan['kept'][radius_m]} in this circle "
          f"around a city point), RCU {scan['rcu']:.0f}, {scan['ms']:.0f} ms")
    print(f"  ratios: items read index/scan {ours_read / scan['read']:.5f} (the scan reads "
          f"{scan['read'] / max(ours_read, 1e-9):.0f}x more); latency scan / index p50 "
          f"{scan['ms'] / ours_p50:.0f}x")


class Peer:
    """dynamodbgeo in its own interpreter (bench/nearby_peer.py), one search at a time."""

    def __init__(self, python: str, endpoint: str, stations) -> None:
        import json
        import subprocess

        self._json = json
        self._process = subprocess.Popen(
            [python, str(PROJECT_DIR / "bench" / "nearby_peer.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        self._ask({"endpoint": endpoint, "stations": [[s.id, s.lat, s.lng] for s in stations]})
        self.load_s = self._answer()["load_s"]

    def search(self, lat: float, lng: float, radius_m: int) -> dict:
        self._ask({"lat": lat, "lng": lng, "radius": radius_m})
        return self._answer()

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=60)

    def _ask(self, message: dict) -> None:
        self._process.stdin.write(self._json.dumps(message) + "\n")
        self._process.stdin.flush()

    def _answer(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the dynamodbgeo peer stopped (see its error above)")
        return self._json.loads(line)


def run_side_by_side(points, radius_m: int, peer: Peer | None) -> tuple[list[dict], list[dict]]:
    """Our searches and the peer's, interleaved point by point (each goes first half the time),
    so both meet the same machine load, JIT state and engine caches."""
    for kind, lat, lng in points[:5]:  # warm the connections and the JVM for both
        warm = search_once(kind, lat, lng, radius_m)
        if warm["density"]:
            print(f"a process's first search read the whole density map ({warm['density']} "
                  f"items) in {warm['ms']:.0f} ms")
        if peer:
            peer.search(lat, lng, radius_m)
    ours, theirs = [], []
    for k, (kind, lat, lng) in enumerate(points):
        if peer and k % 2:
            theirs.append(peer.search(lat, lng, radius_m))
        ours.append(search_once(kind, lat, lng, radius_m))
        if peer and not k % 2:
            theirs.append(peer.search(lat, lng, radius_m))
    return ours, theirs


def report_peer(results, peer: dict) -> None:
    print(f"\nagainst dynamodbgeo 0.0.3 (S2, hashKeyLength 4, 9 threads; loaded in "
          f"{peer['load_s']:.0f} s), same stations and searches run alternately with ours, "
          f"sort=distance, limit 20")
    print(f"  {'radius':>6} {'read ours':>10} {'theirs':>8} {'ratio':>6} {'p50 ours':>9} "
          f"{'theirs':>7} {'ratio':>6} {'p99 ours':>9} {'theirs':>7} {'ratio':>6} {'short':>6}")
    for radius_m, runs in results:
        theirs = peer["runs"][str(radius_m)]
        read_o, read_t = (statistics.mean(r["read"] for r in rs) for rs in (runs, theirs))
        p50_o, p50_t = (_pct([r["ms"] for r in rs], 0.5) for rs in (runs, theirs))
        p99_o, p99_t = (_pct([r["ms"] for r in rs], 0.99) for rs in (runs, theirs))
        short = sum(r["short"] for r in runs)
        print(f"  {radius_m // 1000:>4} km {read_o:>10.1f} {read_t:>8.1f} {read_o / read_t:>6.2f} "
              f"{p50_o:>9.1f} {p50_t:>7.1f} {p50_o / p50_t:>6.2f} {p99_o:>9.1f} {p99_t:>7.1f} "
              f"{p99_o / p99_t:>6.2f} {short:>3}/{len(runs)}")
    print("  ratio = ours / theirs (below 1: ours reads less or answers sooner); "
          "short = first pages under 20 with more in the radius")


def main() -> None:
    from devstack.offline import refuse_outside_hosts

    refuse_outside_hosts()  # a client left pointing at a real service fails at once
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200, help="per radius")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--peer-python", default=str(PEER_PYTHON) if PEER_PYTHON.exists() else None,
                        help="an interpreter with dynamodbgeo==0.0.3 (see bench/nearby_peer.py)")
    parser.add_argument("--radii", type=int, nargs="+", choices=RADII_M, default=list(RADII_M),
                        help="run only these radii (metres)")
    args = parser.parse_args()

    os.environ.update({"STAGE": "local", "AWS_REGION": "cn-north-1", "AWS_ACCESS_KEY_ID": "local",
                       "AWS_SECRET_ACCESS_KEY": "local", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    from chalicelib.settings import get_settings
    from devstack import infra
    from devstack.dynamodb_local import DynamoDBLocal

    engine, peer = DynamoDBLocal().start(), None
    try:
        os.environ["DYNAMODB_ENDPOINT_URL"] = engine.endpoint_url
        get_settings.cache_clear()
        client = engine.client()
        infra.create_tables(client, "local", "cn-north-1")
        seconds, stations = load(args.stations, args.seed)
        print(f"loaded {args.stations} stations in {seconds:.0f} s "
              f"({CITY_SHARE:.0%} around {len(CITIES)} cities, the rest rural)")
        if args.peer_python:
            peer = Peer(args.peer_python, engine.endpoint_url, stations)
        rng = random.Random(args.seed + 1)
        results, peer_runs = [], {}
        for radius_m in RADII_M:
            points = search_points(rng, args.searches)
            if radius_m not in args.radii:
                continue
            ours, theirs = run_side_by_side(points, radius_m, peer)
            results.append((radius_m, ours))
            peer_runs[str(radius_m)] = theirs
        _, lat, lng = search_points(rng, 1)[0]
        scan = run_scan(client, "fuel-local-stations", lat, lng)
        for radius_m, runs in results:
            report(radius_m, runs, scan)
        if peer:
            report_peer(results, {"load_s": peer.load_s, "runs": peer_runs})
    finally:
        if peer:
            peer.close()
        engine.stop()


if __name__ == "__main__":
    main()
