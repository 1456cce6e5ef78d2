"""The real clock, as the store keeps time: naive datetimes in UTC; and the program's own days.

Everything time-based takes `now` as an input; this is where the real `now`
comes from when nobody passes one (the worker's schedule, leases, the CLI
without --now). The database keeps UTC; people live in the program's time
zone (`[program] timezone`), so the functions below turn a stored instant
into the wall-clock time and the day people there see.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_time(when: datetime, zone: tzinfo) -> datetime:
    """`when` (naive UTC, as stored, or aware) as the time on the clocks in `zone` (aware)."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone)


def local_day(when: datetime, zone: tzinfo) -> date:
    """The day it is in `zone` at the instant `when`: 03:00 UTC on 2 March is 1 March in Denver."""
    return local_time(when, zone).date()


def sending_day(now: datetime, zone: tzinfo, send_hour: int) -> date:
    """The latest day whose scheduled mail may go out at `now`: today in `zone` once its
    `send_hour` has come, else yesterday. Mail due on a day waits for that hour of it."""
    local = local_time(now, zone)
    return local.date() if local.hour >= send_hour else local.date() - timedelta(days=1)


def utc_start_of(day: date, zone: tzinfo) -> datetime:
    """The instant (naive UTC, as stored) the day `day` begins in `zone`."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
