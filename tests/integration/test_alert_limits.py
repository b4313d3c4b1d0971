"""The per-user alert limit and count under concurrency, on DynamoDB Local (moto does not
serialize concurrent writes to one item, so these races mean nothing there)."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

from chalicelib.domain.notifications.price_alerts import MAX_ALERTS_PER_USER, Alert, SavedAlert
from chalicelib.domain.errors import DomainError
from chalicelib.services.notifications import price_alerts as alerts
from chalicelib.store.notifications import alerts as alert_store
from chalicelib.store.stations import stations as station_store
from tests.station_factory import make_station

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def _together(calls) -> list:
    """Run the calls at the same moment, one thread each; their results (or errors)."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(k, call):
        barrier.wait()
        try:
            results[k] = call()
        except DomainError as err:
            results[k] = err.code

    threads = [threading.Thread(target=run, args=(k, c)) for k, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_creations_never_pass_the_limit(real_dynamodb):
    user = f"u-{uuid.uuid4().hex[:10]}"
    stations = [make_station(f"st-{uuid.uuid4().hex[:10]}") for _ in range(15)]
    for s in stations:
        station_store.put_station(s)
    wanted = [(s.id, g) for s in stations for g in ("92", "95")]  # 30 > MAX_ALERTS_PER_USER

    results = _together([lambda s=s, g=g: alerts.create_alert(user, s, g, None, now=NOW)
                         for s, g in wanted])

    created = [r for r in results if isinstance(r, SavedAlert)]
    assert len(created) == MAX_ALERTS_PER_USER
    assert results.count("ALERT_LIMIT_REACHED") == len(wanted) - MAX_ALERTS_PER_USER
    assert len(alert_store.alerts_of(user)) == alert_store.count_alerts(user) == MAX_ALERTS_PER_USER


def test_concurrent_follows_of_one_grade_make_one_alert_counted_once(real_dynamodb):
    user = f"u-{uuid.uuid4().hex[:10]}"
    alert = Alert(user, "st-one", "92", None)

    results = _together([lambda k=k: alert_store.save_alert(
        Alert(user, "st-one", "92", 700 + k), "站", NOW, MAX_ALERTS_PER_USER) for k in range(8)])

    assert results.count(alert_store.CREATED) == 1
    assert results.count(alert_store.UPDATED) == 7
    [saved] = alert_store.alerts_of(user)
    assert saved.alert.station_id == alert.station_id
    assert alert_store.count_alerts(user) == 1


def test_concurrent_creates_and_deletes_keep_the_count_equal_to_the_follows(real_dynamodb):
    user = f"u-{uuid.uuid4().hex[:10]}"
    for k in range(6):
        alert_store.save_alert(Alert(user, f"st-{k}", "92"), "站", NOW, MAX_ALERTS_PER_USER)

    _together([lambda k=k: alert_store.delete_alert(user, f"st-{k}", "92") for k in range(6)]
              + [lambda k=k: alert_store.save_alert(Alert(user, f"st-new-{k}", "92"), "站", NOW,
                                                    MAX_ALERTS_PER_USER) for k in range(6)])

    assert len(alert_store.alerts_of(user)) == alert_store.count_alerts(user) == 6
