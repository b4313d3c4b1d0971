"""The notifier counts each event once: sent, or skipped with its outcome as the reason; a
redelivered duplicate counts nothing."""
from __future__ import annotations

from chalicelib.domain.notifications import subscribe_messages as sm
from chalicelib.services.notifications import subscriptions
from chalicelib.services.notifications.sender import deliver
from tests.emf import metric_values
from tests.unit.notifications.fixtures import TEMPLATE_IDS, payment_event

PAYMENT = TEMPLATE_IDS[sm.PAYMENT_RECEIVED]


def test_sent_once_and_skipped_by_outcome(wechat, driver, capsys):
    wechat.subscribe(driver.openid, sm.PAYMENT_RECEIVED)
    subscriptions.accept(driver.id, [PAYMENT])
    sent = payment_event(driver.id)
    assert [deliver(sent) for _ in range(2)] == ["sent", "duplicate"]
    assert deliver(payment_event(driver.id)) == sm.NO_QUOTA

    log = capsys.readouterr().out
    assert metric_values(log, "NotificationsSent", stage="local") == [1.0]
    assert metric_values(log, "NotificationsSkipped", reason=sm.NO_QUOTA) == [1.0]
