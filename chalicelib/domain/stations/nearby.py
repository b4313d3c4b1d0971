"""Rules of the nearby search: its inputs, the effective cost of a fill, and how the search
circle grows ring by ring within a fixed budget of index queries.

Effective cost (sort=cost): what `liters` of `grade` cost at the price the user pays there
(pricing.quote for that volume) plus the fuel burned driving there and back:
detour_ml = 2 x distance x consumption, priced at that station's own per-litre price.
Distance is the straight line (roads are longer, so the detour is a lower bound); consumption
defaults to DEFAULT_CONSUMPTION (8 L/100 km, a typical Chinese compact car in town) and is
taken to 0.1 L/100 km. Integers throughout, rounded by money.div_round_half_up.
"""
from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.stations.geo import (
    EARTH_RADIUS_M, check_lat_lng, haversine_m, wgs84_to_gcj02)
from chalicelib.domain.stations.cell_bounds import cell_distance_floor
from chalicelib.domain.stations.geocells import (
    MAX_RADIUS_M, PARTITION_PRECISION, SORT_PRECISION, CellRange, cell_box, geohash,
    geohash_number)
from chalicelib.domain.money import ML_PER_LITRE, div_round_half_up
from chalicelib.domain.stations.stations import GRADE_NAMES

DEFAULT_RADIUS_M = 5000
# Nearer the poles meridians converge and a 50 km circle spans more index partitions than
# the query budget; there are no fuel stations there to find anyway.
MAX_ABS_LAT = 75.0  # a 50 km circle still fits the 9-query budget everywhere below
DEFAULT_CONSUMPTION = 8.0  # L/100 km
CONSUMPTION_RANGE = (1.0, 60.0)  # a scooter-sized car .. a loaded lorry
LITERS_RANGE = (1.0, 500.0)  # one jerrycan .. a lorry's twin tanks
REFERENCE_VOLUME_ML = 40_000  # the fill the list prices when the user gives no `liters`
MAX_QUERIES = 9  # index queries per search, all rings together
_RING_MARGIN = 1.3  # aim a ring at 1.3x the stations still wanted: one more ring is dearer
_PARTITION_DEG = 180.0 / (1 << (5 * PARTITION_PRECISION // 2))  # 1.40625 degrees


@dataclass(frozen=True)
class NearbyRequest:
    lat: float  # GCJ-02
    lng: float
    radius_m: int
    sort: str  # 'distance' | 'price' | 'cost'
    grade: str | None
    volume_ml: int | None
    consumption_dl: int  # tenths of a litre per 100 km
    limit: int


def nearby_request(lat: float, lng: float, *, coord: str = "gcj02",
                   radius_m: int = DEFAULT_RADIUS_M, sort: str = "distance",
                   grade: str | None = None, liters: float | None = None,
                   consumption: float = DEFAULT_CONSUMPTION, limit: int = 20) -> NearbyRequest:
    """Validate a search and bring its centre to GCJ-02; each bad input has its own code."""
    check_lat_lng(lat, lng)
    if not -MAX_ABS_LAT <= lat <= MAX_ABS_LAT:
        raise InvalidInput(f"lat must be between -{MAX_ABS_LAT:g} and {MAX_ABS_LAT:g}",
                           code="LAT_OUT_OF_RANGE", field="lat")
    if coord not in ("wgs84", "gcj02"):
        raise InvalidInput("coord must be wgs84 or gcj02", code="COORD_INVALID", field="coord")
    if radius_m > MAX_RADIUS_M:
        raise InvalidInput(f"radius_m must be at most {MAX_RADIUS_M}", code="RADIUS_TOO_LARGE",
                           field="radius_m")
    if radius_m < 1:
        raise InvalidInput("radius_m must be at least 1", code="RADIUS_INVALID", field="radius_m")
    if sort not in ("distance", "price", "cost"):
        raise InvalidInput("sort must be distance, price or cost", code="SORT_INVALID",
                           field="sort")
    if grade is not None and grade not in GRADE_NAMES:
        raise InvalidInput(f"unknown grade {grade!r}; one of {', '.join(GRADE_NAMES)}",
                           code="UNKNOWN_GRADE", field="grade")
    if sort == "price" and grade is None:
        raise InvalidInput("sort=price needs a grade", code="PRICE_SORT_NEEDS_GRADE", field="grade")
    if sort == "cost" and (grade is None or liters is None):
        raise InvalidInput("sort=cost needs grade and liters",
                           code="COST_SORT_NEEDS_GRADE_AND_LITERS",
                           field="grade" if grade is None else "liters")
    volume = None if liters is None else reference_volume_ml(liters)
    if not CONSUMPTION_RANGE[0] <= consumption <= CONSUMPTION_RANGE[1]:
        raise InvalidInput(f"consumption must be {CONSUMPTION_RANGE[0]:g}..{CONSUMPTION_RANGE[1]:g}"
                           " L/100 km", code="CONSUMPTION_OUT_OF_RANGE", field="consumption")
    if not 1 <= limit <= 100:
        raise InvalidInput("limit must be 1..100", code="LIMIT_OUT_OF_RANGE", field="limit")
    if coord == "wgs84":
        lat, lng = wgs84_to_gcj02(lat, lng)
    return NearbyRequest(lat, lng, radius_m, sort, grade, volume,
                         int(math.floor(consumption * 10 + 0.5)), limit)


def reference_volume_ml(liters: float | None) -> int:
    """The fill a list prices, in ml: the user's `liters`, else REFERENCE_VOLUME_ML."""
    if liters is None:
        return REFERENCE_VOLUME_ML
    if not LITERS_RANGE[0] <= liters <= LITERS_RANGE[1]:
        raise InvalidInput(f"liters must be {LITERS_RANGE[0]:g}..{LITERS_RANGE[1]:g}",
                           code="LITERS_OUT_OF_RANGE", field="liters")
    return int(math.floor(liters * ML_PER_LITRE + 0.5))


def detour_ml(distance_m: int, consumption_dl: int) -> int:
    """Fuel for the round trip: 2 x km x L/100km = 2 x m x dl / 1000 ml."""
    return div_round_half_up(2 * distance_m * consumption_dl, 1000)


def detour_fen(distance_m: int, consumption_dl: int, price_fen: int) -> int:
    return div_round_half_up(detour_ml(distance_m, consumption_dl) * price_fen, ML_PER_LITRE)


@dataclass(frozen=True, slots=True)
class EffectiveCost:
    """sort=cost: the fill at the price paid there plus the fuel of the round trip."""
    grade: str
    liters_ml: int
    fuel_fen: int  # the fill, as the order for it would pay
    detour_ml: int
    detour_fen: int
    effective_cost_fen: int
    saving_fen: int = 0  # against the nearest station; negative when dearer


def effective_cost(grade: str, volume_ml: int, distance_m: int, consumption_dl: int,
                   pay_fen: int, price_fen: int) -> EffectiveCost:
    detour = detour_fen(distance_m, consumption_dl, price_fen)
    return EffectiveCost(grade, volume_ml, pay_fen, detour_ml(distance_m, consumption_dl), detour,
                         pay_fen + detour)


def partitions_touching(lat: float, lng: float, radius_m: float) -> int:
    """Index partitions a circle's bounding box overlaps: at least the queries it needs."""
    angle = radius_m / EARTH_RADIUS_M
    south, north = lat - math.degrees(angle), lat + math.degrees(angle)
    if north >= 90.0 or south <= -90.0 or math.sin(angle) >= math.cos(math.radians(lat)):
        return MAX_QUERIES + 1  # a pole inside: more than any budget
    half = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat))))

    def cells(low: float, high: float) -> int:
        return math.floor(high / _PARTITION_DEG) - math.floor(low / _PARTITION_DEG) + 1
    return cells(lng - half + 180.0, lng + half + 180.0) * cells(south + 90.0, north + 90.0)


def next_ring_m(inner_m: float, outer_m: float, found: int, wanted: int, radius_m: int) -> int:
    """Radius of the next ring after finding `found` stations in inner_m < d <= outer_m.

    The stations seen so far give a density; the next circle is sized to hold about 1.3x the
    stations still wanted at that density, and at least 1.5x (4x when none were seen) the last.
    """
    if found <= 0:
        guess = outer_m * 4.0
    else:
        area_per_station = (outer_m ** 2 - inner_m ** 2) / found
        guess = math.sqrt(outer_m ** 2 + area_per_station * _RING_MARGIN * max(wanted, 1))
    return int(min(radius_m, max(guess, outer_m * 1.5)))


# --- density map: how many stations each ~5 km cell holds, to size the first ring -----------

DENSITY_PRECISION = 5  # geohash-5 cells, about 4.9 x 4.9 km (4 x 4.9 km at Taiyuan)
DENSITY_MARGIN = 1.5  # the first ring aims at 1.5x the stations wanted: a second ring is dearer
_SAMPLES = 4  # a cell's stations are taken as spread evenly over a 4 x 4 grid of points


def partitions_of(lat: float, lng: float, radius_m: float) -> list[str]:
    """Index partitions (geohash-3 cells) a circle's bounding box overlaps ([] past the budget)."""
    angle = radius_m / EARTH_RADIUS_M
    south, north = max(-89.999, lat - math.degrees(angle)), min(89.999, lat + math.degrees(angle))
    if partitions_touching(lat, lng, radius_m) > MAX_QUERIES:
        return []
    half = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat))))
    found = []
    col_w = math.floor((lng - half + 180.0) / _PARTITION_DEG)
    col_e = math.floor((lng + half + 180.0) / _PARTITION_DEG)
    row_s = math.floor((south + 90.0) / _PARTITION_DEG)
    row_n = math.floor((north + 90.0) / _PARTITION_DEG)
    for col in range(col_w, col_e + 1):
        for row in range(row_s, row_n + 1):
            c_lng = (col + 0.5) * _PARTITION_DEG - 180.0
            c_lng = (c_lng + 540.0) % 360.0 - 180.0  # wraps at +-180
            found.append(geohash((row + 0.5) * _PARTITION_DEG - 90.0, c_lng, PARTITION_PRECISION))
    return sorted(set(found))


@lru_cache(maxsize=1 << 14)  # a warm search decodes each density cell's box once
def _density_box(code: str) -> tuple[float, float, float, float]:
    return cell_box(code)


def ring_for_count(lat: float, lng: float, counts: dict[str, int], start_m: float, wanted: int,
                   radius_m: int) -> int:
    """The radius expected to hold DENSITY_MARGIN x `wanted` stations beyond start_m.

    Each cell's count is spread evenly over a grid of points in the cell; the answer is the
    distance at which the points beyond start_m add up to the target (radius_m if they never
    do, which includes an area the map knows no station in). Cells are opened nearest first
    and only until the target is met: no point of a cell is nearer than the cell itself, so a
    city search places the points of a few cells, not of every cell of its partitions.
    """
    near = _box_filter(lat, lng, radius_m)
    cells = sorted((cell_distance_floor(lat, lng, box), code, count)
                   for code, count in counts.items() if count > 0 and near(box := _density_box(code)))
    target, total = DENSITY_MARGIN * wanted, 0.0
    points: list[tuple[float, float]] = []  # a heap of (distance, weight)
    for floor, code, count in cells + [(math.inf, "", 0)]:
        while points and points[0][0] <= floor:  # no cell left can place a point nearer
            distance, weight = heapq.heappop(points)
            if distance <= start_m:
                continue
            if distance > radius_m:
                return radius_m
            total += weight
            if total >= target:
                return max(int(math.ceil(distance)), int(start_m) + 1)
        if floor > radius_m:
            return radius_m
        s, n, w, e = _density_box(code)
        for i in range(_SAMPLES):
            for j in range(_SAMPLES):
                p_lat = s + (n - s) * (i + 0.5) / _SAMPLES
                p_lng = w + (e - w) * (j + 0.5) / _SAMPLES
                heapq.heappush(points, (haversine_m(lat, lng, p_lat, p_lng), count / _SAMPLES ** 2))
    return radius_m


def _box_filter(lat: float, lng: float, radius_m: float):
    """A cheap test that a cell box may hold points within radius_m: it overlaps the circle's
    bounding box (every cell when that box reaches a pole or the 180th meridian). The map
    holds whole partitions, up to 1024 cells each, most of them far outside a search."""
    angle = radius_m / EARTH_RADIUS_M
    south, north = lat - math.degrees(angle), lat + math.degrees(angle)
    if north >= 90.0 or south <= -90.0 or math.sin(angle) >= math.cos(math.radians(lat)):
        return lambda box: True
    half = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat)))) + 1e-9
    west, east = lng - half, lng + half
    if west < -180.0 or east > 180.0:
        return lambda box: box[0] <= north and box[1] >= south
    return lambda box: box[0] <= north and box[1] >= south and box[2] <= east and box[3] >= west


# --- how many queries a ring is worth --------------------------------------------------------

# One more Query costs a round trip; one more item read costs its bytes and its decoding.
# Measured on DynamoDB Local (bench/nearby.py), a round trip is worth about this many items.
QUERY_WORTH_ITEMS = 12
_CELL_SHIFT = 5 * (SORT_PRECISION - DENSITY_PRECISION)  # index bits inside one density cell


class ExpectedStations:
    """The density map laid along the index order: the stations it expects between two 45-bit
    index positions, each geohash-5 cell's count spread evenly along its own interval."""

    __slots__ = ("_cells", "_starts", "_running")

    def __init__(self, counts: dict[str, int]):
        self._cells = sorted((geohash_number(c), n) for c, n in counts.items() if n > 0)
        self._starts = [c for c, _ in self._cells]
        self._running = [0]
        for _, n in self._cells:
            self._running.append(self._running[-1] + n)

    def __bool__(self) -> bool:
        return bool(self._cells)

    def between(self, start: int, end: int) -> float:
        first, last = start >> _CELL_SHIFT, end >> _CELL_SHIFT
        i, j = bisect_left(self._starts, first), bisect_right(self._starts, last)
        total = float(self._running[j] - self._running[i])
        size = 1 << _CELL_SHIFT
        if i < j and self._starts[i] == first:
            total -= self._cells[i][1] * (start - (first << _CELL_SHIFT)) / size
        if i < j and self._starts[j - 1] == last:
            total -= self._cells[j - 1][1] * (((last + 1) << _CELL_SHIFT) - 1 - end) / size
        return total


def cheapest_plan(options: list[list[CellRange]], expected: ExpectedStations) -> list[CellRange]:
    """Of plans of one area (fewest ranges first), the one whose queries plus the stations the
    density map expects it to read cost least: a sparse area is read in one or two queries,
    a dense one in as many as it is given. Without a map, the plan of the most ranges."""
    if not expected or len(options) == 1:
        return options[-1]

    def cost(plan: list[CellRange]) -> float:
        return len(plan) * QUERY_WORTH_ITEMS + sum(expected.between(*r.span()) for r in plan)
    return min(options, key=cost)  # the first of equals: the fewest queries


def heaviest_first(plan: list[CellRange], expected: ExpectedStations) -> list[CellRange]:
    """A plan's ranges in the order to send them: the most stations the map expects first.

    A ring's queries go out one after another (each takes the interpreter a while to build)
    and the engine's time grows with the items a query reads, so the longest read is started
    first and the short ones are built and answered while it is read. What a page holds does
    not depend on the order. Without a map, the plan's own order."""
    if not expected:
        return list(plan)
    return sorted(plan, key=lambda r: -expected.between(*r.span()))
