"""The density map: stations per geohash-5 cell (about 5 x 5 km), one item per index partition
(geohash-3), each cell an attribute. A nearby search reads the items of its partitions in one
BatchGetItem to size its first ring (domain/nearby.ring_for_count), so a dense city reads a
small circle and the countryside a wide one. The map only guides how much is read: a stale
count costs reads, never a wrong answer, so it is kept with plain ADDs, not transactions, and
a warm process keeps the partitions it read for MAX_AGE_S: a search near one read lately sends
its first ring at once instead of waiting a round trip for the map.
"""
from __future__ import annotations

import time
from collections import defaultdict

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.operand import Path

from chalicelib.domain.stations.geocells import PARTITION_PRECISION, geohash
from chalicelib.domain.stations.nearby import DENSITY_PRECISION
from chalicelib.store.base import StageModel, plain_json_reads

_ADDS_PER_UPDATE = 100  # keeps the update expression well under DynamoDB's 4 KB
MAX_AGE_S = 300.0  # stations open or move a few times a day; a stale map only costs reads
_KEPT_PARTITIONS = 4096  # China spans about 2,400 partitions: the whole map fits
# (table, partition) -> (monotonic time read, {geohash-5 cell: stations})
_kept: dict[tuple[str, str], tuple[float, dict[str, int]]] = {}


class DensityModel(StageModel):
    logical_name = "station-density"

    class Meta:
        pass

    partition = UnicodeAttribute(hash_key=True)  # geohash-3; other attributes: geohash-5 -> count


def density_cell(lat: float, lng: float) -> str:
    return geohash(lat, lng, DENSITY_PRECISION)


def add_counts(deltas: dict[str, int]) -> None:
    """Add to the counts of geohash-5 cells (negative to remove), grouped by partition."""
    by_partition: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for cell, delta in deltas.items():
        if delta:
            by_partition[cell[:PARTITION_PRECISION]].append((cell, delta))
    connection = DensityModel._get_connection()
    for partition in by_partition:
        _kept.pop((DensityModel.Meta.table_name, partition), None)
    for partition, cells in by_partition.items():
        for i in range(0, len(cells), _ADDS_PER_UPDATE):
            connection.update_item(partition, actions=[
                Path([cell]).add(delta) for cell, delta in cells[i:i + _ADDS_PER_UPDATE]])


def move_station(old: tuple[float, float] | None, new: tuple[float, float] | None) -> None:
    """Keep the map in step when a station is created, moved or removed."""
    deltas: dict[str, int] = defaultdict(int)
    if old is not None:
        deltas[density_cell(*old)] -= 1
    if new is not None:
        deltas[density_cell(*new)] += 1
    add_counts(deltas)


def counts_in(partitions: list[str]) -> tuple[dict[str, int], int]:
    """(geohash-5 cell -> stations) for the partitions, and the items read (one BatchGetItem
    for the partitions not read within MAX_AGE_S, none when all were)."""
    if not partitions:
        return {}, 0
    connection = DensityModel._get_connection()
    plain_json_reads(connection, "BatchGetItem")
    table, now = DensityModel.Meta.table_name, time.monotonic()
    counts: dict[str, int] = {}
    missing = []
    for partition in partitions:
        kept = _kept.get((table, partition))
        if kept is not None and now - kept[0] < MAX_AGE_S:
            counts.update(kept[1])
        else:
            missing.append(partition)
    if not missing:
        return counts, 0
    items, wanted, complete = [], [{"partition": p} for p in missing], False
    for _ in range(3):  # unprocessed keys are rare; a map missing one only costs reads
        raw = connection.batch_get_item(wanted)
        items += next(iter((raw.get("Responses") or {}).values()), [])
        left = next(iter((raw.get("UnprocessedKeys") or {}).values()), {}).get("Keys") or []
        wanted = [{"partition": k["partition"]["S"]} for k in left]
        if not wanted:
            complete = True
            break
    read = {p: {} for p in missing} if complete else {}  # an absent item: no station there
    for item in items:
        cells = read.setdefault(item["partition"]["S"], {})
        for name, value in item.items():
            if name != "partition" and "N" in value:
                cells[name] = int(value["N"])
    if len(_kept) + len(read) > _KEPT_PARTITIONS:
        _kept.clear()
    for partition, cells in read.items():
        _kept[(table, partition)] = (now, cells)
        counts.update(cells)
    return counts, len(items)


def clear_cache() -> None:
    """Forget the partitions kept (tests, and a changed environment)."""
    _kept.clear()
