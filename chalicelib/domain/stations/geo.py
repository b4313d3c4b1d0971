"""Coordinates: WGS-84 <-> GCJ-02 and great-circle distance.

GCJ-02 is the offset datum Chinese maps and `wx.openLocation` use; `wx.getLocation` may give
either. The forward formula is the published one (Krasovsky semi-major axis a = 6378245.0,
eccentricity squared ee = 0.00669342162296594323); it has no closed-form inverse, so
`gcj02_to_wgs84` iterates the forward formula until it lands within about a micrometre.

"Outside China" is the usual bounding box (latitude 0.8293..55.8271, longitude
72.004..137.8347), not the border: points outside the box are returned unshifted, as every
common implementation does. The box also contains parts of neighbouring countries, which
those implementations shift too, so our coordinates agree with theirs.
"""
from __future__ import annotations

import math

from chalicelib.domain.errors import InvalidInput

EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG), used for every distance we compute

_A = 6378245.0
_EE = 0.00669342162296594323
_CHINA_LAT = (0.8293, 55.8271)
_CHINA_LNG = (72.004, 137.8347)


def check_lat_lng(lat: float, lng: float) -> None:
    """Raise InvalidInput unless lat is in [-90, 90] and lng in [-180, 180] (NaN fails too)."""
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput("lat must be between -90 and 90", code="LAT_OUT_OF_RANGE", field="lat")
    if not -180.0 <= lng <= 180.0:
        raise InvalidInput("lng must be between -180 and 180", code="LNG_OUT_OF_RANGE", field="lng")


def out_of_china(lat: float, lng: float) -> bool:
    """True when the point lies outside the bounding box in which GCJ-02 shifts coordinates."""
    return not (_CHINA_LAT[0] <= lat <= _CHINA_LAT[1] and _CHINA_LNG[0] <= lng <= _CHINA_LNG[1])


def _shift(lat: float, lng: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlat, dlng) in degrees at a WGS-84 point, without the box test."""
    x, y = lng - 105.0, lat - 35.0
    wave_x = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += wave_x
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += wave_x
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    # The offsets above are metres on the Krasovsky ellipsoid; turn them into degrees here.
    rad_lat = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 (lat, lng) of a WGS-84 point; unchanged outside China."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _shift(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 (lat, lng) of a GCJ-02 point, to well under 0.5 m; unchanged outside China.

    Fixed-point iteration: the offset changes by well under 1% per degree, so each step
    shrinks the error about a hundredfold and three or four steps reach float precision.
    """
    if out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _shift(lat, lng)
    wgs_lat, wgs_lng = lat - dlat, lng - dlng
    for _ in range(10):
        dlat, dlng = _shift(wgs_lat, wgs_lng)
        err_lat, err_lng = wgs_lat + dlat - lat, wgs_lng + dlng - lng
        wgs_lat, wgs_lng = wgs_lat - err_lat, wgs_lng - err_lng
        if abs(err_lat) < 1e-11 and abs(err_lng) < 1e-11:
            break
    return wgs_lat, wgs_lng


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres on a sphere of radius EARTH_RADIUS_M."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
