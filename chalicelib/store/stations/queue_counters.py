"""The queue counters on a station's item: orders per time bucket (`arrivals`, a map kept to
the recent window) and the running mean service time, written inside the order's and the
confirmation's own transactions; services/stations/activity.py decides what to count."""
from __future__ import annotations

from chalicelib.store.stations.stations import StationModel


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
