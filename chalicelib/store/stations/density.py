"""The density map: stations per geohash-5 cell (about 5 x 5 km), one item per index partition
(geohash-3), each cell an attribute. A nearby search reads the items of its partitions in one
BatchGetItem to size its first ring (domain/nearby.ring_for_count), so a dense city reads a
small circle and the countryside a wide one. The map only guides how much is read: a stale
count costs reads, never a wrong answer, so it is kept with plain ADDs, not transactions.
"""
from __future__ import annotations

from collections import defaultdict

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.operand import Path

from chalicelib.domain.stations.geocells import PARTITION_PRECISION, geohash
from chalicelib.domain.stations.nearby import DENSITY_PRECISION
from chalicelib.store.base import StageModel

_ADDS_PER_UPDATE = 100  # keeps the update expression well under DynamoDB's 4 KB


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
    """(geohash-5 cell -> stations) for the partitions, and the items read (one BatchGetItem)."""
    if not partitions:
        return {}, 0
    connection = DensityModel._get_connection()
    items, wanted = [], [{"partition": p} for p in partitions]
    for _ in range(3):  # unprocessed keys are rare; a map missing one only costs reads
        raw = connection.batch_get_item(wanted)
        items += next(iter((raw.get("Responses") or {}).values()), [])
        left = next(iter((raw.get("UnprocessedKeys") or {}).values()), {}).get("Keys") or []
        wanted = [{"partition": k["partition"]["S"]} for k in left]
        if not wanted:
            break
    counts = {}
    for item in items:
        for name, value in item.items():
            if name != "partition" and "N" in value:
                counts[name] = int(value["N"])
    return counts, len(items)
