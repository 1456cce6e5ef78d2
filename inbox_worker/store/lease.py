"""Leases: named locks with an expiry, kept in the database all workers share.

Only the holder of a mailbox's lease polls it and drains the outbox, so two
`inbox-worker run` processes never handle the same message. The holder
renews the lease as it works; if it dies, the lease simply expires and the
next worker takes over. Leases run on the real clock, never on `--now`.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from inbox_worker.clock import utcnow
from inbox_worker.store.database import Database
from inbox_worker.store.models import Lease


def holder_name() -> str:
    """Who we are, for people reading the lease table: host, process, and a unique tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(db: Database, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease; False when someone else holds it and it has not expired."""
    now = now or utcnow()
    try:
        with db.unit_of_work() as s:
            row = s.get(Lease, name, with_for_update=True)
            if row is None:
                s.add(Lease(name=name, holder=holder, expires_at=now + ttl))
                s.flush()
                return True
            if row.holder != holder and row.expires_at > now and not _dead_here(row.holder):
                return False
            row.holder, row.expires_at = holder, now + ttl
            return True
    except IntegrityError:  # another worker inserted it first
        return False


def _dead_here(other: str) -> bool:
    """True when the holder was a process on this machine that no longer runs.

    A worker restarted after a crash then takes over at once instead of
    waiting for its predecessor's lease to expire.
    """
    host, _, rest = other.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def release(db: Database, name: str, holder: str) -> None:
    with db.unit_of_work() as s:
        row = s.get(Lease, name, with_for_update=True)
        if row is not None and row.holder == holder:
            s.delete(row)


def holder_of(db: Database, name: str, now: datetime | None = None) -> str | None:
    now = now or utcnow()
    with db.unit_of_work() as s:
        row = s.get(Lease, name)
        return row.holder if row is not None and row.expires_at > now else None
