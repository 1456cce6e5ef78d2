"""The real clock, as the store keeps time: naive datetimes in UTC.

Everything time-based takes `now` as an input; this is where the real `now`
comes from when nobody passes one (the worker's schedule, leases, the CLI
without --now).
"""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
