"""The daily reconciliation results: table `fuel-<stage>-reconciliation`, keyed (bill_date, entry).

Entries of a bill_date:
- `DAY`: the run state (status, attempts, error) and the day's totals. A run holds a lease on it
  (`lease_token` until `lease_until`, taken by a conditional update), so two runs of a day never
  interleave; every later write of the run is conditional on still holding it.
- `DIFF#<kind>#<out_trade_no>#<out_refund_no>#<bill line>`: one per difference, put once
  (conditional on not existing) with what our records said when it was first seen; its
  `outcome` moves on only by conditional update (PENDING -> HEALED, ...), so a heal is never
  attempted again once done, and a re-run classifies the day exactly as the first run did.
- `STATION#<station_id>`: the station's settlement of the day.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from pynamodb.attributes import (JSONAttribute, NumberAttribute, UnicodeAttribute,
                                 UTCDateTimeAttribute)
from pynamodb.exceptions import DeleteError, PutError, UpdateError

from chalicelib.domain.reconciliation.matching import Outcome
from chalicelib.domain.reconciliation.report import RecordedDifference, StationDay
from chalicelib.store.base import StageModel, error_code

DAY, DIFF, STATION = "DAY", "DIFF#", "STATION#"
_LOST = ("ConditionalCheckFailedException", "TransactionConflictException")


class LeaseLost(Exception):
    """Another run of the day took over (this one outlived its lease); nothing more was written."""


class ReconciliationModel(StageModel):
    logical_name = "reconciliation"

    class Meta:
        pass

    bill_date = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(null=True)  # DAY: NOT_READY | REJECTED | DONE
    attempts = NumberAttribute(null=True)
    lease_token = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    station_id = UnicodeAttribute(null=True)  # DIFF: whose difference it is
    outcome = UnicodeAttribute(null=True)  # DIFF: PENDING | HEALED | ... (services/reconciliation)
    outcome_detail = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)


def _lost(err: Exception) -> bool:
    return error_code(err) in _LOST


def difference_entry(kind: str, out_trade_no: str, out_refund_no: str | None,
                     line: int | None) -> str:
    return f"{DIFF}{kind}#{out_trade_no}#{out_refund_no or '-'}#{line or 0}"


def begin_run(bill_date: str, token: str, now: datetime, lease: timedelta) -> bool:
    """Take the day's lease; False while another run holds an unexpired one."""
    model = ReconciliationModel(bill_date, DAY)
    try:
        model.update(actions=[ReconciliationModel.lease_token.set(token),
                              ReconciliationModel.lease_until.set(now + lease),
                              ReconciliationModel.attempts.add(1)],
                     condition=ReconciliationModel.lease_until.does_not_exist()
                     | (ReconciliationModel.lease_until < now))
    except UpdateError as err:
        if _lost(err):
            return False
        raise
    return True


def finish_run(bill_date: str, token: str, status: str, data: dict, now: datetime) -> None:
    """Record the run's outcome and release the lease; raises LeaseLost if it was taken over."""
    try:
        ReconciliationModel(bill_date, DAY).update(
            actions=[ReconciliationModel.status.set(status), ReconciliationModel.data.set(data),
                     ReconciliationModel.updated_at.set(now),
                     ReconciliationModel.lease_token.remove(),
                     ReconciliationModel.lease_until.remove()],
            condition=ReconciliationModel.lease_token == token)
    except UpdateError as err:
        if _lost(err):
            raise LeaseLost(bill_date) from err
        raise


def release(bill_date: str, token: str) -> None:
    """Give the lease back after a run that failed unexpectedly (the status stays as it was)."""
    try:
        ReconciliationModel(bill_date, DAY).update(
            actions=[ReconciliationModel.lease_token.remove(),
                     ReconciliationModel.lease_until.remove()],
            condition=ReconciliationModel.lease_token == token)
    except UpdateError as err:
        if not _lost(err):
            raise


def read_day(bill_date: str) -> dict | None:
    try:
        model = ReconciliationModel.get(bill_date, DAY, consistent_read=True)
    except ReconciliationModel.DoesNotExist:
        return None
    return {"bill_date": bill_date, "status": model.status, "attempts": int(model.attempts or 0),
            "updated_at": model.updated_at, "running": model.lease_token is not None,
            "data": model.data or {}}


def record_difference(bill_date: str, entry: str, difference: RecordedDifference) -> str:
    """Put the difference if it is new; answers its stored outcome (the first-seen data stays)."""
    data = msgspec.to_builtins(difference)
    outcome, detail = data.pop("outcome"), data.pop("outcome_detail")
    model = ReconciliationModel(bill_date, entry, station_id=difference.station_id,
                                outcome=outcome, outcome_detail=detail, data=data)
    try:
        model.save(condition=ReconciliationModel.entry.does_not_exist())
        return outcome
    except PutError as err:
        if not _lost(err):
            raise
    return ReconciliationModel.get(bill_date, entry, consistent_read=True).outcome


def set_outcome(bill_date: str, entry: str, previous: str, outcome: str,
                detail: str | None) -> bool:
    """Move a difference's outcome on from `previous`; False if someone else moved it first."""
    try:
        ReconciliationModel(bill_date, entry).update(
            actions=[ReconciliationModel.outcome.set(outcome),
                     ReconciliationModel.outcome_detail.set(detail or "-")],
            condition=ReconciliationModel.outcome == previous)
    except UpdateError as err:
        if _lost(err):
            return False
        raise
    return True


def _entries(bill_date: str, prefix: str):
    return ReconciliationModel.query(bill_date, ReconciliationModel.entry.startswith(prefix),
                                     consistent_read=True)


def differences(bill_date: str) -> list[RecordedDifference]:
    """Every difference recorded for the day, each with its outcome, in entry order."""
    return [msgspec.convert({**model.data, "outcome": model.outcome,
                             "outcome_detail": model.outcome_detail}, RecordedDifference)
            for model in _entries(bill_date, DIFF)]


def drop_reported_except(bill_date: str, keep: set[str]) -> None:
    """Forget differences an earlier run only reported and this run no longer finds (a healed
    or acted-on difference is kept: it records what was done)."""
    for model in _entries(bill_date, DIFF):
        if model.entry not in keep and model.outcome == Outcome.REPORTED:
            try:
                model.delete(condition=ReconciliationModel.outcome == Outcome.REPORTED)
            except DeleteError as err:
                if not _lost(err):
                    raise


def put_settlements(bill_date: str, settlements: list[StationDay]) -> None:
    """Replace the day's station settlements (the caller holds the day's lease)."""
    wanted = {STATION + s.station_id: s for s in settlements}
    stale = [m.entry for m in _entries(bill_date, STATION) if m.entry not in wanted]
    with ReconciliationModel.batch_write() as batch:
        for entry, settlement in wanted.items():
            batch.save(ReconciliationModel(bill_date, entry, station_id=settlement.station_id,
                                           data=msgspec.to_builtins(settlement)))
        for entry in stale:
            batch.delete(ReconciliationModel(bill_date, entry))


def settlements(bill_date: str, station_id: str | None = None) -> list[StationDay]:
    prefix = STATION + station_id if station_id else STATION
    return [msgspec.convert(model.data, StationDay) for model in _entries(bill_date, prefix)
            if station_id is None or model.station_id == station_id]
