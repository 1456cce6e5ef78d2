"""Health: is the worker alive and keeping up? For a process supervisor or a container probe.

Healthy means the database answers, a poll happened recently (within three
poll intervals, at least ten minutes), and no email has been waiting to be
sent for long after it was due. Each check says what is wrong in words.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from inbox_worker.store.models import OutgoingMessage, WorkerState


def check(app, now: datetime) -> list[str]:
    """The problems found; an empty list means healthy."""
    problems = []
    interval = app.settings.worker.poll_interval_seconds
    stale_after = timedelta(seconds=max(3 * interval, 600))
    try:
        with app.db.unit_of_work() as s:
            last = s.get(WorkerState, "last_poll_at")
            oldest_due = s.scalar(select(func.min(OutgoingMessage.next_attempt_at))
                                  .where(OutgoingMessage.state == "pending"))
    except Exception as e:
        return [f"the database at {app.db.safe_url} does not answer: {e}"]
    if last is None:
        problems.append("no poll has happened yet: is `inbox-worker run` running?")
    else:
        age = now - datetime.fromisoformat(last.value)
        if age > stale_after:
            problems.append(f"the last poll was {int(age.total_seconds() // 60)} minutes ago (more than "
                            f"{int(stale_after.total_seconds() // 60)}): the worker may be stopped or stuck")
    if oldest_due is not None and now - oldest_due > stale_after:
        problems.append(f"email due since {oldest_due:%Y-%m-%d %H:%M} UTC is still waiting to be sent: "
                        "see `inbox-worker outbox list --state pending`")
    return problems
