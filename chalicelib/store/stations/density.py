"""The density map: stations per geohash-5 cell (about 5 x 5 km), one item per index partition
(geohash-3), each cell an attribute. A nearby search sizes its first ring from it
(domain/nearby.ring_for_count), so a dense city reads a small circle and the countryside a
wide one. The map only guides how much is read: a stale count costs reads, never a wrong
answer, so it is kept with plain ADDs, not transactions.

A process keeps the whole map (one Scan, about 760 KB at 100,000 stations: 485 partition
items) and a search reads it from memory, never from the table: read the partitions of each
search instead, and half the searches of a process serving all of China waited 3-5 ms for a
BatchGetItem before their first query. The first search of a process reads it; after
MAX_AGE_S a search starts a fresh Scan in the background and searches go on with the map they
have until it lands. Stale by that much, the map still cannot cost a station: it only sizes
rings and picks which gaps between cells a query reads through, every ring but the last keeps
back the queries a ring to the whole radius needs, so a first ring a stale count made too
small is followed by wider ones up to the whole radius, one made too wide reads more, and a
closed gap is read, not skipped (services/stations/search._page_by_distance). This process's
own writes (add_counts) are applied to its copy at once.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from functools import lru_cache

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.operand import Path

from chalicelib.domain.stations.geocells import PARTITION_PRECISION, geohash
from chalicelib.domain.stations.nearby import DENSITY_PRECISION
from chalicelib.observability import get_logger
from chalicelib.settings import get_settings
from chalicelib.store.base import StageModel, plain_json_reads

_ADDS_PER_UPDATE = 100  # keeps the update expression well under DynamoDB's 4 KB
MAX_AGE_S = 300.0  # stations open or move a few times a day; a stale map only costs reads


class _Map:
    """One table's map as this process holds it: partition -> {geohash-5 cell: stations}.
    A partition's dict is never changed once in `partitions` (add_counts puts a new one), so a
    search may read it while another thread writes."""

    __slots__ = ("read_at", "partitions", "refreshing")

    def __init__(self, read_at: float, partitions: dict[str, dict[str, int]]):
        self.read_at, self.partitions, self.refreshing = read_at, partitions, False


_maps: dict[str, _Map] = {}  # table name -> its map
_loading = threading.Lock()  # one Scan at a time, not one per thread that found no map


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
    kept = _maps.get(_table_name())
    if kept is not None:  # this process's own writes show at once
        for partition, cells in by_partition.items():
            counted = dict(kept.partitions.get(partition, {}))
            for cell, delta in cells:
                counted[cell] = counted.get(cell, 0) + delta
            kept.partitions[partition] = counted


def move_station(old: tuple[float, float] | None, new: tuple[float, float] | None) -> None:
    """Keep the map in step when a station is created, moved or removed."""
    deltas: dict[str, int] = defaultdict(int)
    if old is not None:
        deltas[density_cell(*old)] -= 1
    if new is not None:
        deltas[density_cell(*new)] += 1
    add_counts(deltas)


def counts_in(partitions: list[str]) -> tuple[dict[str, int], int]:
    """(geohash-5 cell -> stations) for the partitions, from the map this process holds, and
    the items read for it: the whole map's on the process's first search, else none."""
    table = _table_name()
    kept, items = _maps.get(table), 0
    if kept is None:
        with _loading:
            kept = _maps.get(table)
            if kept is None:
                kept, items = _read_map(DensityModel._get_connection())
                _maps[table] = kept
    elif time.monotonic() - kept.read_at >= MAX_AGE_S and not kept.refreshing:
        kept.refreshing = True
        _refresher().submit(_refresh, DensityModel._get_connection(), table, kept)
    counts: dict[str, int] = {}
    for partition in partitions:
        counts.update(kept.partitions.get(partition, ()))
    return counts, items


def _table_name() -> str:
    """The map's table under the settings now (which map of _maps a search reads), without
    building the connection a search from memory does not use."""
    return get_settings().table_name(DensityModel.logical_name)


def _read_map(connection) -> tuple[_Map, int]:
    """The whole map as a Scan reads it now (a page per MB), and the items read."""
    plain_json_reads(connection, "Scan")
    read_at, partitions, items, start = time.monotonic(), {}, 0, None
    while True:
        page = connection.scan(exclusive_start_key=start)
        for item in page.get("Items", []):
            partitions[item["partition"]["S"]] = {
                name: int(value["N"]) for name, value in item.items()
                if name != "partition" and "N" in value}
            items += 1
        start = page.get("LastEvaluatedKey")
        if not start:
            return _Map(read_at, partitions), items


def _refresh(connection, table: str, kept: _Map) -> None:
    try:
        fresh, _ = _read_map(connection)
    except Exception:  # the old map serves on (it only costs reads); the next search retries
        get_logger().warning("the density map could not be read again", exc_info=True)
        kept.refreshing = False
        return
    if _maps.get(table) is kept:
        _maps[table] = fresh


@lru_cache(maxsize=1)
def _refresher():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="density-map")


def clear_cache() -> None:
    """Forget the maps kept (tests, and a changed environment)."""
    _maps.clear()
