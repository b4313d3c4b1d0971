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


def stage_order(tx, station, *, bucket: str, stale_buckets: list[str],
                own_promotion_id: str | None) -> None:
    """An order's write on its station inside the order's transaction, one update that is both
    the price guard and the arrival count (an item may appear once in a transaction):

    - conditional on the price version read (`version`, bumped by every price change) and on
      the station's own promotion the quote applied still being on the item, so a price changed
      between the read and the write cancels the order's transaction;
    - counts the order in `bucket` and drops `stale_buckets` (the read's buckets that left the
      window), and stores the service times confirmations left pending (as folded on the read;
      the pending sum and count are taken down by what was folded, so a confirmation committed
      meanwhile stays pending).

    `station` is the domain Station as read by `read` (store/stations/stations.py).
    """
    from pynamodb.expressions.condition import size
    from pynamodb.expressions.operand import Path

    condition = StationModel.version == station.version
    if station.version == 0:  # an item written before stations carried a version
        condition = condition | StationModel.version.does_not_exist()
    condition = StationModel.station_id.exists() & condition
    if own_promotion_id is not None:
        condition &= Path(["promotions", own_promotion_id]).exists()
    queue = station.queue
    if queue.arrivals:
        actions = [Path(["arrivals", bucket]).add(1)]
        actions += [Path(["arrivals", b]).remove() for b in stale_buckets if b != bucket]
    else:  # no map yet, or an empty one: set it whole, unless a count arrived meanwhile
        actions = [StationModel.arrivals.set({bucket: 1})]
        condition &= StationModel.arrivals.does_not_exist() | (size(StationModel.arrivals) == 0)
    if queue.pending_samples:
        actions += [StationModel.service_mean_s.set(round(queue.service_mean_s, 3)),
                    StationModel.service_samples.set(queue.service_samples),
                    StationModel.service_pending_sum_s.add(-queue.pending_sum_s),
                    StationModel.service_pending_n.add(-queue.pending_samples)]
        # Folded onto the samples count read: two orders cannot both fold the same samples.
        stored = queue.service_samples - queue.pending_samples
        folded_onto = StationModel.service_samples == stored
        if stored == 0:
            folded_onto = folded_onto | StationModel.service_samples.does_not_exist()
        condition &= folded_onto
    tx.update(StationModel(station.id), actions=actions, condition=condition)


def stage_service_sample(tx, station_id: str, sample_s: float) -> None:
    """A confirmed order's paid->fuelled time (clamped), added to the station's pending sum and
    count inside the confirmation's transaction: no read of the mean, nothing lost to a race;
    a station read folds pending samples in (domain/stations/queueing.py)."""
    tx.update(StationModel(station_id),
              actions=[StationModel.service_pending_sum_s.add(round(sample_s, 3)),
                       StationModel.service_pending_n.add(1)],
              condition=StationModel.station_id.exists())
