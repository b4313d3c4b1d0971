"""Wiring only: blueprints, middleware, event sources and schedules. No business logic here."""
import os

from chalice import Chalice, Cron, Rate

from chalicelib.api import (fallback, identity, invoices, openapi, orders, staff_orders,
                            staff_reconciliation, staff_stations, stations, webhooks)
from chalicelib.api.middleware import http_middleware
from chalicelib.jobs import invoices as invoice_jobs
from chalicelib.jobs import payments as payment_jobs
from chalicelib.jobs import reconciliation as reconciliation_jobs

app = Chalice(app_name="fuel")
app.register_middleware(http_middleware, "http")

app.register_blueprint(identity.bp)
app.register_blueprint(openapi.bp)
app.register_blueprint(stations.bp)
app.register_blueprint(staff_stations.bp)
app.register_blueprint(invoices.bp)
app.register_blueprint(orders.bp)
app.register_blueprint(staff_orders.bp)
app.register_blueprint(webhooks.bp)
app.register_blueprint(staff_reconciliation.bp)
# Registered last: it answers only paths that no other route claims.
app.register_blueprint(fallback.bp)


# Invoice issuing off the request path (see chalicelib/jobs/invoices.py). The queue name comes
# from the stage's environment when `chalice package` imports this file.
@app.on_sqs_message(queue=os.environ.get("INVOICE_QUEUE_NAME", "fuel-local-invoices"),
                    batch_size=10)
def invoice_worker(event):
    return invoice_jobs.handle_messages(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def invoice_sweeper(event):
    return invoice_jobs.run_sweep(event)


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


# Yesterday's WeChat Pay trade bill (ready about 10:00 Asia/Shanghai): 02:30 UTC = 10:30 there,
# then hourly until 23:30 there; a day already DONE is skipped (chalicelib/jobs/reconciliation.py).
@app.schedule(Cron(30, "2-15", "*", "*", "?", "*"))
def reconcile_trade_bill(event):
    return reconciliation_jobs.reconcile_yesterday()
