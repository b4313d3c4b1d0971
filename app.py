"""Wiring only: blueprints, middleware, event sources and schedules. No business logic here."""
import os

from chalice import Chalice, Cron, Rate

from chalicelib.api import (alerts, coupons, fallback, home, identity, invoices, openapi, orders,
                            pumps, refund_requests, staff_accounts, staff_ledger,
                            staff_marketing_coupons, staff_marketing_popups, staff_orders,
                            staff_pump_codes, staff_reconciliation, staff_refund_requests,
                            staff_stations, stations, subscriptions, wallet, webhooks)
from chalicelib.api.middleware import http_middleware
from chalicelib.invocation import invocation_middleware
from chalicelib.jobs import alerts as alert_jobs
from chalicelib.jobs import campaigns as campaign_jobs
from chalicelib.jobs import invoices as invoice_jobs
from chalicelib.jobs import notifications as notification_jobs
from chalicelib.jobs import outbox as outbox_jobs
from chalicelib.jobs import payments as payment_jobs
from chalicelib.jobs import points as points_jobs
from chalicelib.jobs import reconciliation as reconciliation_jobs
from chalicelib.jobs import refund_requests as refund_request_jobs

app = Chalice(app_name="fuel")
app.register_middleware(invocation_middleware, "all")
app.register_middleware(http_middleware, "http")

app.register_blueprint(identity.bp)
app.register_blueprint(openapi.bp)
app.register_blueprint(stations.bp)
app.register_blueprint(staff_stations.bp)
app.register_blueprint(invoices.bp)
app.register_blueprint(orders.bp)
app.register_blueprint(staff_orders.bp)
app.register_blueprint(staff_accounts.bp)
app.register_blueprint(webhooks.bp)
app.register_blueprint(staff_reconciliation.bp)
app.register_blueprint(subscriptions.bp)
app.register_blueprint(alerts.bp)
app.register_blueprint(home.bp)
app.register_blueprint(staff_marketing_popups.bp)
app.register_blueprint(coupons.bp)
app.register_blueprint(staff_marketing_coupons.bp)
app.register_blueprint(wallet.bp)
app.register_blueprint(staff_ledger.bp)
app.register_blueprint(pumps.bp)
app.register_blueprint(staff_pump_codes.bp)
app.register_blueprint(refund_requests.bp)
app.register_blueprint(staff_refund_requests.bp)
# Registered last: it answers only paths that no other route claims.
app.register_blueprint(fallback.bp)


# Invoice issuing off the request path (see chalicelib/jobs/invoices.py). The queue name comes
# from the stage's environment when `chalice package` imports this file.
@app.on_sqs_message(queue=os.environ.get("INVOICE_QUEUE_NAME", "fuel-local-invoices"),
                    batch_size=10)
def invoice_worker(event):
    return invoice_jobs.handle_messages(event)


# Subscribe messages off the request path (see chalicelib/jobs/notifications.py).
@app.on_sqs_message(queue=os.environ.get("NOTIFY_QUEUE_NAME", "fuel-local-notifications"),
                    batch_size=10)
def notification_worker(event):
    return notification_jobs.handle_messages(event)


# Price-drop alerts off the request path (see chalicelib/services/notifications/price_alerts.py): each message is
# one page of a price change's followers, so a small batch bounds one invocation's work.
@app.on_sqs_message(queue=os.environ.get("ALERT_FANOUT_QUEUE_NAME", "fuel-local-alert-fanout"),
                    batch_size=2)
def alert_fanout_worker(event):
    return alert_jobs.handle_messages(event)


# Expired points written off (chalicelib/services/wallet/points_expiry.py): lots expire at midnight
# Asia/Shanghai; 16:05-19:05 UTC = 00:05-03:05 there, hourly, each run with a time budget, so
# the later runs of the night take what an earlier one left.
@app.schedule(Cron(5, "16-19", "*", "*", "?", "*"))
def expire_points(event):
    return points_jobs.expire_points()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def invoice_sweeper(event):
    return invoice_jobs.run_sweep(event)


# Queue messages committed changes still owe (subscribe messages, price-drop fan-outs, campaign
# chunks) are sent again while SQS did not take them (see chalicelib/jobs/outbox.py).
@app.schedule(Rate(1, unit=Rate.MINUTES))
def outbox_sweeper(event):
    return outbox_jobs.run_sweep(event)


# Payments that heal themselves (see chalicelib/jobs/payments.py): unpaid orders past expiry,
# refunds still PROCESSING, shipping info not yet acknowledged by WeChat.
@app.schedule(Rate(1, unit=Rate.MINUTES))
def expire_unpaid_orders(event):
    return payment_jobs.expire_unpaid_orders()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def follow_up_refunds(event):
    return payment_jobs.follow_up_refunds()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def upload_shipping_info(event):
    return payment_jobs.upload_shipping_info()


# Drivers' refund requests nobody answered in time are refunded (jobs/refund_requests.py); as of
# the event's `time`, so a run fired for a later moment decides as that moment.
@app.schedule(Rate(5, unit=Rate.MINUTES))
def refund_unanswered_requests(event):
    return refund_request_jobs.refund_unanswered(event.time)


# Yesterday's WeChat Pay trade bill (ready about 10:00 Asia/Shanghai): 02:30 UTC = 10:30 there,
# then hourly until 23:30 there; a day already DONE is skipped (chalicelib/jobs/reconciliation.py).
# "Yesterday" is the day before the event's scheduled `time`, so a late retry keeps its day.
@app.schedule(Cron(30, "2-15", "*", "*", "?", "*"))
def reconcile_trade_bill(event):
    return reconciliation_jobs.reconcile_yesterday(event.time)


# Coupon campaigns granted off the request path (see chalicelib/jobs/campaigns.py).
@app.on_sqs_message(queue=os.environ.get("COUPON_CAMPAIGN_QUEUE_NAME", "fuel-local-coupon-campaigns"),
                    batch_size=10)
def coupon_campaign_worker(event):
    return campaign_jobs.handle_messages(event)
