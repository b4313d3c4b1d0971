"""Geohash cells for nearby search on a DynamoDB GSI (GCJ-02 coordinates).

Index: partition key = the station's geohash cut to PARTITION_PRECISION (3 chars, a cell of
1.40625 x 1.40625 degrees, about 156 x 123 km at Taiyuan), sort key = its full
SORT_PRECISION (9 chars, about 5 m) geohash + '#' + station id. Geohash characters sort in
ASCII order, so sort-key order is Z-order and any run of cells is one `BETWEEN` range.
Three characters keep a 50 km circle within at most 4 partitions up to 50 degrees of
latitude (6 up to 60), so the 9-query budget always holds in China.

`plan_queries` covers an annulus: it starts from the partition cells, keeps cells wholly
inside, drops cells wholly outside (or wholly within the inner circle) and halves the cells
on the edge, one geohash bit at a time, until a budget of edge cells is reached. It then
turns cells into 45-bit index intervals, joins touching ones, and while there are more
ranges than queries allowed, closes the smallest gaps inside one partition; cutting at the
largest gaps is the least extra area for a given number of ranges.
Distances are cell_bounds'; cells are kept when within 1 m (float slack), so callers
must still filter by exact distance. Longitude wraps at +-180; latitude is clipped at the
poles, where longitudes converge, a 50 km plan may need more partitions than allowed, and
then plan_queries raises SEARCH_AREA_TOO_WIDE rather than return a partial plan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.cell_bounds import bounds_around
from chalicelib.domain.stations.geo import EARTH_RADIUS_M, check_lat_lng

PARTITION_PRECISION = 3
SORT_PRECISION = 9
MAX_RADIUS_M = 50_000
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_BITS = 5 * SORT_PRECISION
_PART_BITS = 5 * PARTITION_PRECISION
_EDGE_CELL_BUDGET = 128  # beyond this, finer edges barely shrink the area read (9 ranges bind)
_SLACK_M = 1.0


@dataclass(frozen=True)
class CellRange:
    """One Query: `partition = :partition AND sort_key BETWEEN :lo AND :hi`."""

    partition: str
    lo: str
    hi: str

    def covers(self, partition: str, sort_key: str) -> bool:
        return partition == self.partition and self.lo <= sort_key <= self.hi

    def span(self) -> tuple[int, int]:
        """The inclusive 45-bit index interval of the range."""
        lo, hi = self.lo.ljust(SORT_PRECISION, "0"), self.hi.rstrip("~").ljust(SORT_PRECISION, "z")
        return _from_text(lo), _from_text(hi)


def _to_text(code: int, bits: int) -> str:
    return "".join(_BASE32[(code >> (bits - 5 * (i + 1))) & 31] for i in range(bits // 5))


_BASE32_VALUE = {ch: i for i, ch in enumerate(_BASE32)}


def _from_text(text: str) -> int:
    code = 0
    for ch in text:
        code = (code << 5) | _BASE32_VALUE[ch]
    return code


def geohash_number(code: str) -> int:
    """A geohash as the number its characters spell (5 bits each): index order."""
    return _from_text(code)


def _interleave(x: int, y: int, bits: int) -> int:
    """Geohash bit order: longitude bit first, then latitude, most significant first."""
    x_bits, y_bits = (bits + 1) // 2, bits // 2
    code = 0
    for bit in range(bits):
        source, shift = (x, x_bits - 1 - bit // 2) if bit % 2 == 0 else (y, y_bits - 1 - bit // 2)
        code = (code << 1) | ((source >> shift) & 1)
    return code


def geohash(lat: float, lng: float, precision: int = SORT_PRECISION) -> str:
    x_cells, y_cells = 1 << ((_BITS + 1) // 2), 1 << (_BITS // 2)
    x = min(int((lng + 180.0) / 360.0 * x_cells), x_cells - 1)
    y = min(int((lat + 90.0) / 180.0 * y_cells), y_cells - 1)
    return _to_text(_interleave(x, y, _BITS), _BITS)[:precision]


def cell_box(code: str) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a geohash cell."""
    s, n, w, e = -90.0, 90.0, -180.0, 180.0
    bit = 0
    for ch in code:
        value = _BASE32.index(ch)
        for shift in range(4, -1, -1):
            high = (value >> shift) & 1
            if bit % 2 == 0:
                mid = (w + e) / 2
                w, e = (mid, e) if high else (w, mid)
            else:
                mid = (s + n) / 2
                s, n = (mid, n) if high else (s, mid)
            bit += 1
    return s, n, w, e


def station_cell_keys(lat: float, lng: float, station_id: str) -> tuple[str, str]:
    """(partition key, sort key) of a station at GCJ-02 (lat, lng)."""
    check_lat_lng(lat, lng)
    cell = geohash(lat, lng)
    return cell[:PARTITION_PRECISION], f"{cell}#{station_id}"


def _partition_cells(lat: float, lng: float, radius_m: float) -> list[tuple[int, int, tuple]]:
    """(code, depth, box) of every partition cell touching the circle's bounding box."""
    size = 180.0 / (1 << (_PART_BITS // 2))  # 1.40625 degrees both ways at 3 characters
    angle = radius_m / EARTH_RADIUS_M
    south, north = max(lat - math.degrees(angle), -90.0), min(lat + math.degrees(angle), 90.0)
    if north >= 90.0 or south <= -90.0 or math.sin(angle) >= math.cos(math.radians(lat)):
        west, east = -180.0, 180.0 - size / 2  # a pole is inside: every longitude
    else:
        half = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat)))) + 1e-9
        west, east = lng - half, lng + half
    columns = 1 << ((_PART_BITS + 1) // 2)
    first_col, last_col = math.floor((west + 180.0) / size), math.floor((east + 180.0) / size)
    if last_col - first_col + 1 >= columns:
        col_ids = list(range(columns))
    else:
        col_ids = [c % columns for c in range(first_col, last_col + 1)]  # wraps at +-180
    last_row = (1 << (_PART_BITS // 2)) - 1
    first_row, end_row = math.floor((south + 90.0) / size), math.floor((north + 90.0) / size)
    rows = range(max(0, first_row), min(last_row, end_row) + 1)
    cells = []
    for col in col_ids:
        for row in rows:
            code = _interleave(col, row, _PART_BITS)
            box = (row * size - 90.0, (row + 1) * size - 90.0, col * size - 180.0, (col + 1) * size - 180.0)
            cells.append((code, _PART_BITS, box))
    return cells


def _children(code: int, depth: int, box: tuple) -> list[tuple[int, int, tuple]]:
    s, n, w, e = box
    if depth % 2 == 0:  # the next bit halves longitude
        mid = (w + e) / 2
        return [(code << 1, depth + 1, (s, n, w, mid)), ((code << 1) | 1, depth + 1, (s, n, mid, e))]
    mid = (s + n) / 2
    return [(code << 1, depth + 1, (s, mid, w, e)), ((code << 1) | 1, depth + 1, (mid, n, w, e))]


def _cover(lat: float, lng: float, radius_m: float, inner_m: float) -> list[tuple[int, int]]:
    """Inclusive 45-bit index intervals of cells covering the annulus."""
    kept, level, bounds = [], _partition_cells(lat, lng, radius_m), bounds_around(lat, lng)
    while level:
        edge = []
        for code, depth, box in level:
            near, far = bounds(box)
            if near > radius_m + _SLACK_M or far < inner_m - _SLACK_M:
                continue
            if far <= radius_m and near >= inner_m:
                kept.append((code, depth))
            else:
                edge.append((code, depth, box))
        if not edge or edge[0][1] == _BITS or 2 * len(edge) > _EDGE_CELL_BUDGET:
            kept += [cell[:2] for cell in edge]
            break
        level = [child for cell in edge for child in _children(*cell)]
    return sorted((code << (_BITS - depth), ((code + 1) << (_BITS - depth)) - 1) for code, depth in kept)


def _runs_and_gaps(intervals: list[tuple[int, int]], gap_weight=None) -> tuple[list, list]:
    """Touching intervals joined into runs (never across partitions), and the gaps between
    runs of one partition in the order they are closed: expected stations, then size."""
    def same_partition(a: int, b: int) -> bool:
        return a >> (_BITS - _PART_BITS) == b >> (_BITS - _PART_BITS)
    runs: list[tuple[int, int]] = []
    for start, end in intervals:
        if runs and start <= runs[-1][1] + 1 and same_partition(start, runs[-1][0]):
            runs[-1] = (runs[-1][0], max(end, runs[-1][1]))
        else:
            runs.append((start, end))
    gaps = sorted(((gap_weight(runs[i][1] + 1, runs[i + 1][0] - 1) if gap_weight else 0,
                    runs[i + 1][0] - runs[i][1]), i) for i in range(len(runs) - 1)
                  if same_partition(runs[i][0], runs[i + 1][0]))
    return runs, gaps


def _merge(runs: list[tuple[int, int]], gaps: list, max_queries: int) -> list[tuple[int, int]]:
    """The runs in at most max_queries intervals, the first gaps closed."""
    excess = len(runs) - max_queries
    if excess > len(gaps):
        raise InvalidInput("this search area needs more queries than allowed; use a smaller radius",
                           code="SEARCH_AREA_TOO_WIDE", field="radius_m")
    closed = {i for _, i in gaps[:max(excess, 0)]}
    merged: list[tuple[int, int]] = []
    for i, run in enumerate(runs):
        if i - 1 in closed:
            merged[-1] = (merged[-1][0], run[1])
        else:
            merged.append(run)
    return merged


def plan_queries(lat: float, lng: float, radius_m: float, inner_radius_m: float = 0,
                 max_queries: int = 9) -> list[CellRange]:
    """At most max_queries ranges covering inner_radius_m <= distance <= radius_m from (lat, lng)."""
    return plan_options(lat, lng, radius_m, inner_radius_m, max_queries)[-1]


def plan_options(lat: float, lng: float, radius_m: float, inner_radius_m: float = 0,
                 max_queries: int = 9, gap_weight=None) -> list[list[CellRange]]:
    """Every plan of the annulus from the fewest ranges it allows (one per partition) to
    max_queries: fewer queries read more of the gaps between the cells kept. The gaps closed
    are the smallest, or, given gap_weight(start, end) (the stations expected between two
    index positions), those expected to hold the fewest stations, then the smallest."""
    check_lat_lng(lat, lng)
    if not 0 < radius_m <= MAX_RADIUS_M:
        code = "RADIUS_TOO_LARGE" if radius_m > MAX_RADIUS_M else "RADIUS_INVALID"
        raise InvalidInput(f"radius_m must be between 1 and {MAX_RADIUS_M}", code=code, field="radius_m")
    if not 0 <= inner_radius_m <= radius_m:
        raise InvalidInput("inner radius must be between 0 and radius_m", code="INNER_RADIUS_INVALID")
    if max_queries < 1:
        raise ValueError("max_queries must be at least 1")
    runs, gaps = _runs_and_gaps(_cover(lat, lng, radius_m, inner_radius_m), gap_weight)
    plans = [_ranges(_merge(runs, gaps, max_queries))]  # raises when the budget is too few
    for k in range(len(plans[0]) - 1, 0, -1):
        try:
            plans.insert(0, _ranges(_merge(runs, gaps, k)))
        except InvalidInput:
            break
    return plans


def _ranges(intervals: list[tuple[int, int]]) -> list[CellRange]:
    ranges, p = [], PARTITION_PRECISION
    for start, end in intervals:
        lo, hi = _to_text(start, _BITS), _to_text(end, _BITS)
        ranges.append(CellRange(lo[:p], lo[:p] + lo[p:].rstrip("0"), hi[:p] + hi[p:].rstrip("z") + "~"))
    return ranges


def ring_radii(radius_m: int, first_m: int = 1000) -> list[int]:
    """Radii of an expanding search: first_m, doubled until radius_m (always the last).

    Plan ring k as plan_queries(r[k], inner_radius_m=r[k-1]) and stop once the stations found
    within r[k] fill the page: every station nearer than r[k] has then been read, so a page in
    a dense city reads a small circle, not the whole radius. Each circle has four times the
    area of the one before, so all rings together read about 4/3 of the last one.
    Nine Z-order ranges cannot carve a hole well: skipping the inner half saves almost none of
    the reads (0-6% measured), skipping the inner 90% (a next page from its cursor) 20-33%.
    """
    radii, r = [], min(first_m, radius_m)
    while r < radius_m:
        radii.append(r)
        r *= 2
    return radii + [radius_m]
