"""Health: is the worker alive and keeping up? For a process supervisor, a timer or a container probe.

Each cycle's outcome is recorded (`record_cycle`): when it ran, what stopped
the mailbox or the mail server if anything did, since when it has been
failing, and the last error with its time, which `status` shows. Healthy
means the database answers, the last cycle could read the mailbox and, if it
had email to send, send it, a poll happened recently (within three poll
intervals, at least ten minutes), no email has been waiting long after it was
due, and none gave up after all its tries in the last day. Each problem is
said in words, with what to do.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from inbox_worker.outbound.words import time_for_people
from inbox_worker.store.models import OutgoingMessage, WorkerState

LAST_CYCLE = "last_cycle"
# Email that gave up after all its tries counts against health for this long.
GAVE_UP_WINDOW = timedelta(days=1)


@dataclass
class CycleRecord:
    """How the last cycle went, and the last error seen (kept after it was put right)."""

    at: str
    mailbox_error: str | None = None
    smtp_error: str | None = None
    # The first cycle of the failures going on now; None when the last cycle went well.
    failing_since: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None

    @property
    def ok(self) -> bool:
        return self.mailbox_error is None and self.smtp_error is None


def last_cycle(session) -> CycleRecord | None:
    row = session.get(WorkerState, LAST_CYCLE)
    if row is None:
        return None
    try:
        return CycleRecord(**json.loads(row.value))
    except (ValueError, TypeError):  # written by another version: start afresh
        return None


def record_cycle(db, now: datetime, *, mailbox_error: str | None, smtp_error: str | None) -> CycleRecord:
    """Keep this cycle's outcome; returns the record as it now stands."""
    with db.unit_of_work() as s:
        before = last_cycle(s)
        record = CycleRecord(at=now.isoformat(), mailbox_error=mailbox_error, smtp_error=smtp_error)
        if before is not None:
            record.last_error, record.last_error_at = before.last_error, before.last_error_at
        if not record.ok:
            record.failing_since = (before.failing_since if before is not None and before.failing_since
                                    else record.at)
            what = [f"the mailbox: {mailbox_error}" if mailbox_error else "",
                    f"sending email: {smtp_error}" if smtp_error else ""]
            record.last_error = "; ".join(w for w in what if w)
            record.last_error_at = record.at
        s.merge(WorkerState(key=LAST_CYCLE, value=json.dumps(asdict(record))))
    return record


def _when(when: str | datetime, settings) -> str:
    """A stored time (naive UTC, or its ISO text) on the program's own clock, the zone named."""
    at = datetime.fromisoformat(when) if isinstance(when, str) else when
    return f"{time_for_people(at, zone=settings.program.zone)} ({settings.program.timezone})"


def check(app, now: datetime) -> list[str]:
    """The problems found; an empty list means healthy."""
    problems = []
    settings = app.settings
    interval = settings.worker.poll_interval_seconds
    stale_after = timedelta(seconds=max(3 * interval, 600))
    try:
        with app.db.unit_of_work() as s:
            last = s.get(WorkerState, "last_poll_at")
            cycle = last_cycle(s)
            oldest_due = s.scalar(select(func.min(OutgoingMessage.next_attempt_at))
                                  .where(OutgoingMessage.state == "pending"))
            gave_up = s.scalars(select(OutgoingMessage.id).where(
                OutgoingMessage.state == "failed",
                OutgoingMessage.attempts >= settings.worker.max_send_attempts,
                OutgoingMessage.next_attempt_at >= now - GAVE_UP_WINDOW).order_by(OutgoingMessage.id)).all()
    except Exception as e:
        return [f"the database at {app.db.safe_url} does not answer: {e}"]
    if cycle is not None and cycle.mailbox_error:
        problems.append(f"the last poll, at {_when(cycle.at, settings)}, failed: {cycle.mailbox_error}")
    if cycle is not None and cycle.smtp_error:
        problems.append(f"email could not be sent at {_when(cycle.at, settings)}: {cycle.smtp_error}")
    if last is None:
        problems.append("no poll has happened yet: is `inbox-worker run` running?")
    else:
        age = now - datetime.fromisoformat(last.value)
        if age > stale_after:
            problems.append(f"the last poll was {int(age.total_seconds() // 60)} minutes ago (more than "
                            f"{int(stale_after.total_seconds() // 60)}): the worker may be stopped or stuck")
    if oldest_due is not None and now - oldest_due > stale_after:
        problems.append(f"email due since {_when(oldest_due, settings)} is still waiting to be sent: "
                        "see `inbox-worker outbox list --state pending`")
    if gave_up:
        numbers = ", ".join(f"#{i}" for i in gave_up)
        problems.append(f"email {numbers} gave up after {settings.worker.max_send_attempts} tries: see "
                        "`inbox-worker outbox list --state failed`, then `inbox-worker outbox retry NUMBER`")
    return problems
