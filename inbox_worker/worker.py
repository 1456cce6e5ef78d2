"""The worker: build the real adapters once, then run cycles on a schedule.

`bootstrap` is the one place that turns settings into a database, a
template set and a raw-mail store; `open_mailbox` and `open_sender` build
the two network edges. A cycle is: poll the mailbox, then drain the outbox.
`run_forever` repeats it with APScheduler, one cycle at a time; a cycle that
fails (the mail server is down, say) is logged in one line and the next one
comes at the next interval.
"""
from __future__ import annotations

import logging
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import outbox
from .config import Settings
from .db import Database
from .emails import Templates
from .intake import Intake, PollSummary
from .mailbox import ImapMailbox, MaildirMailbox, MailboxError
from .rawstore import RawStore
from .sender import FolderSender, SmtpSender

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    templates: Templates
    raw_store: RawStore


def bootstrap(settings: Settings) -> App:
    """Open the database (migrating it to the newest schema) and the other local stores."""
    db = Database(settings.database.url)
    db.upgrade()
    return App(settings=settings, db=db, templates=Templates(settings.program.templates_dir),
               raw_store=RawStore(settings.program.raw_store_dir))


@dataclass
class MailSource:
    """Where mail is read from: the configured IMAP account, or a local Maildir (the demo)."""

    maildir: Path | None = None

    def open(self, settings: Settings) -> AbstractContextManager:
        if self.maildir is not None:
            return MaildirMailbox(self.maildir)
        return ImapMailbox(settings.imap)

    def account(self, settings: Settings) -> str:
        if self.maildir is not None:
            return f"maildir:{self.maildir.resolve()}"
        return f"{settings.imap.username}@{settings.imap.host}"


def open_sender(settings: Settings, *, to_folder: Path | None = None) -> AbstractContextManager:
    """SMTP, or a folder of .eml files for a dry run or the demo."""
    if to_folder is not None:
        return FolderSender(to_folder)
    return SmtpSender(settings.smtp)


@dataclass
class CycleSummary:
    poll: PollSummary | None = None
    drain: outbox.DrainSummary | None = None
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.poll:
            p = self.poll
            out.append(f"mailbox: {p.seen} new message(s): {p.applications} application(s), {p.updates} "
                       f"update(s), {p.review} set aside for review, {p.ignored} automatic (not answered), "
                       f"{p.duplicates} duplicate(s), {p.retry_later} to retry")
        if self.drain:
            d = self.drain
            out.append(f"outbox: {d.sent} sent, {d.deferred} deferred, {d.failed} failed")
        out += [f"problem: {p}" for p in self.problems]
        return out


def run_cycle(app: App, source: MailSource, now: datetime, *, dry_run: bool = False,
              outbox_folder: Path | None = None) -> CycleSummary:
    """One full cycle: poll, process, drain the outbox. Never raises for an outage."""
    summary = CycleSummary()
    settings = app.settings
    with ExitStack() as stack:
        if dry_run:
            stack.enter_context(app.db.dry_run())
        try:
            with source.open(settings) as mailbox:
                intake = Intake(settings=settings, db=app.db, mailbox=mailbox,
                                raw_store=None if dry_run else app.raw_store, templates=app.templates,
                                account=source.account(settings), dry_run=dry_run)
                summary.poll = intake.poll(now)
                summary.problems += summary.poll.problems
        except MailboxError as e:
            log.error("mailbox unavailable: %s", e)
            summary.problems.append(f"mailbox unavailable: {e}")
        folder = outbox_folder or (Path(settings.worker.outbox_dir) if dry_run else None)
        try:
            with open_sender(settings, to_folder=folder) as sender:
                summary.drain = outbox.drain(
                    app.db, sender, settings.smtp.from_address, now,
                    max_attempts=settings.worker.max_send_attempts,
                    retry_base_seconds=settings.worker.retry_base_seconds)
                summary.problems += summary.drain.problems
        except Exception as e:  # the SMTP server being away must not stop the worker
            log.error("outbox not drained: %s", e)
            summary.problems.append(f"outbox not drained: {e}")
    return summary


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_forever(app: App, source: MailSource) -> None:
    """Poll every `worker.poll_interval_seconds`, one cycle at a time, until stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    def cycle() -> None:
        try:
            for line in run_cycle(app, source, utcnow()).lines():
                log.info("%s", line)
        except Exception:  # keep the schedule alive whatever one cycle does
            log.exception("cycle failed; the next one runs at the next interval")

    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(cycle, "interval", seconds=app.settings.worker.poll_interval_seconds,
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC), id="poll")
    log.info("polling every %s seconds; press Ctrl-C to stop", app.settings.worker.poll_interval_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopped")
