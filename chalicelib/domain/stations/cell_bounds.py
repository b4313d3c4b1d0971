"""Distances from a point to a latitude/longitude box (s, n, w, e) on the sphere: the least and
the most, exactly (geo.haversine_m). A nearby plan measures a few hundred geohash cells from
one centre (geocells._cover), the first ring a few density cells (nearby.ring_for_count).
"""
from __future__ import annotations

import math

from chalicelib.domain.stations.geo import EARTH_RADIUS_M, haversine_m

Box = tuple[float, float, float, float]


def distance_bounds(lat: float, lng: float, box: Box) -> tuple[float, float]:
    """Exact (min, max) distance from a point to a lat/lng box (s, n, w, e) on the sphere."""
    return bounds_around(lat, lng)(box)


def cell_distance_floor(lat: float, lng: float, box: Box) -> float:
    """The least distance from a point to a lat/lng box (s, n, w, e): 0 inside it."""
    return distance_bounds(lat, lng, box)[0]


def bounds_around(lat: float, lng: float):
    """distance_bounds from one point, as a function of the box, the point's trigonometry done
    once. A box whose edges are both less than 90 degrees of longitude from the point (every
    box a search looks at) takes three distances instead of a dozen. Along a parallel the
    distance grows with the longitude apart; along such a meridian it falls to the latitude
    `peak` and rises after it. So the nearest point is on the nearer meridian at the peak
    clamped into [s, n] (straight north or south when the point's meridian crosses the box),
    and the farthest a corner on the farther meridian. Each is haversine_m's own arithmetic,
    so the answers are the same to the last bit."""
    if not -90.0 < lat < 90.0:
        return lambda box: _any_bounds(lat, lng, box)
    phi = math.radians(lat)
    sin_phi, cos_phi = math.sin(phi), math.cos(phi)
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    two_r = 2.0 * EARTH_RADIUS_M

    def h(lat2: float, apart: float) -> float:  # haversine_m's h to (lat2, lng + apart)
        phi2 = radians(lat2)
        return sin((phi2 - phi) / 2.0) ** 2 + cos_phi * cos(phi2) * sin(radians(apart) / 2.0) ** 2

    def bounds(box: Box) -> tuple[float, float]:
        s, n, w, e = box
        west = (w - lng + 180.0) % 360.0 - 180.0  # the box's edges east of the point, in degrees
        east = west + (e - w)
        if not (-90.0 < west and east < 90.0):
            return _any_bounds(lat, lng, box)
        if west <= 0.0 <= east:  # due north or south of the point, or around it
            near = EARTH_RADIUS_M * radians(max(s - lat, lat - n, 0.0))
        else:
            apart = east if east < 0.0 else west
            peak = math.degrees(math.atan2(sin_phi, cos_phi * cos(radians(apart))))
            near = two_r * asin(min(1.0, sqrt(h(min(max(peak, s), n), apart))))
        far_apart = west if -west > east else east
        far = two_r * asin(min(1.0, sqrt(max(h(s, far_apart), h(n, far_apart)))))
        return near, far
    return bounds


def _any_bounds(lat: float, lng: float, box: Box) -> tuple[float, float]:
    """distance_bounds of any box: a pole, the antimeridian or the far side of the sphere."""
    s, n, w, e = box
    def in_lng(x: float) -> bool:
        return any(w <= x + k <= e for k in (-360.0, 0.0, 360.0))
    points = [(s, w), (s, e), (n, w), (n, e)]
    for edge_lng in (w, e):  # along a meridian the extremes are where d(cos)/d(lat) = 0
        dl = math.radians(lng - edge_lng)
        peak = math.atan2(math.sin(math.radians(lat)), math.cos(math.radians(lat)) * math.cos(dl))
        points += [(math.degrees(peak + k * math.pi), edge_lng) for k in (-2, -1, 0, 1, 2)
                   if s <= math.degrees(peak + k * math.pi) <= n]
    for edge_lat in (s, n):  # along a parallel they are at the same and the opposite meridian
        points += [(edge_lat, x) for x in (lng, lng + 180.0, lng - 180.0) if in_lng(x)]
    dists = [haversine_m(lat, lng, p_lat, p_lng) for p_lat, p_lng in points]
    inside = s <= lat <= n and in_lng(lng)
    antipode_inside = s <= -lat <= n and in_lng(lng + 180.0)
    return (0.0 if inside else min(dists)), (math.pi * EARTH_RADIUS_M if antipode_inside else max(dists))
