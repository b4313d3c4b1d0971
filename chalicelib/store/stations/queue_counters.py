"""The queue counters on a station's item: orders per time bucket (`arrivals`, a map kept to
the recent window) and the running mean service time. Each is one conditional UpdateItem;
services/stations/activity.py decides what to count."""
from __future__ import annotations

from chalicelib.store.base import error_code
from chalicelib.store.stations.stations import StationModel


def _attributes_from(raw: dict) -> dict:
    return raw.get("Attributes") or {}


def add_arrival(station_id: str, bucket: str, expired_buckets: list[str]) -> list[str] | None:
    """Count one order in `bucket` and drop `expired_buckets`, in one UpdateItem.

    Returns the bucket keys the item holds afterwards (so the caller can spot stale ones a
    long quiet spell left behind), or None when there is no such station.
    Raises ArrivalsMapMissing when the item predates the always-present `arrivals` map.
    """
    from pynamodb.exceptions import UpdateError
    from pynamodb.expressions.operand import Path

    actions = [Path(["arrivals", bucket]).add(1)]
    actions += [Path(["arrivals", old]).remove() for old in expired_buckets if old != bucket]
    try:
        raw = StationModel._get_connection().update_item(
            station_id, actions=actions, condition=StationModel.station_id.exists(),
            return_values="ALL_NEW")
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return None
        if error_code(err) == "ValidationException" and "document path" in str(err):
            raise ArrivalsMapMissing(station_id) from err
        raise
    arrivals = _attributes_from(raw).get("arrivals", {}).get("M", {})
    return sorted(arrivals)


class ArrivalsMapMissing(Exception):
    """The station item has no `arrivals` map yet, so a nested counter cannot be added."""


def ensure_arrivals_map(station_id: str) -> None:
    """Give an older station item an empty `arrivals` map, unless it (or the map) is absent.

    Conditional on the map being absent, so a concurrent caller's first count is never wiped.
    """
    from pynamodb.exceptions import UpdateError

    try:
        StationModel._get_connection().update_item(
            station_id, actions=[StationModel.arrivals.set({})],
            condition=StationModel.station_id.exists() & StationModel.arrivals.does_not_exist())
    except UpdateError as err:
        if error_code(err) != "ConditionalCheckFailedException":
            raise


def remove_arrival_buckets(station_id: str, buckets: list[str]) -> None:
    """Drop expired buckets (idempotent: removing an absent key is a no-op)."""
    from pynamodb.exceptions import UpdateError
    from pynamodb.expressions.operand import Path

    if not buckets:
        return
    try:
        StationModel._get_connection().update_item(
            station_id, actions=[Path(["arrivals", b]).remove() for b in buckets],
            condition=StationModel.station_id.exists())
    except UpdateError as err:
        if error_code(err) != "ConditionalCheckFailedException":
            raise


def read_service_mean(station_id: str) -> tuple[float | None, int] | None:
    """The learned mean service time and its sample count; None when there is no station."""
    try:
        model = StationModel.get(station_id, consistent_read=True,
                                 attributes_to_get=["station_id", "service_mean_s",
                                                    "service_samples"])
    except StationModel.DoesNotExist:
        return None
    mean = float(model.service_mean_s) if model.service_mean_s is not None else None
    return mean, int(model.service_samples or 0)


def set_service_mean(station_id: str, expected_samples: int, mean_s: float, samples: int) -> bool:
    """Store a new mean if the sample count is still `expected_samples`; False on a conflict."""
    from pynamodb.exceptions import UpdateError

    unchanged = StationModel.service_samples == expected_samples
    if expected_samples == 0:
        unchanged = unchanged | StationModel.service_samples.does_not_exist()
    try:
        StationModel._get_connection().update_item(
            station_id,
            actions=[StationModel.service_mean_s.set(round(mean_s, 3)),
                     StationModel.service_samples.set(samples)],
            condition=StationModel.station_id.exists() & unchanged)
    except UpdateError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True
