"""The worker: build the real adapters once, then run cycles on a schedule.

`bootstrap` is the one place that turns settings into a database, a
template set and a raw-mail store; `MailSource` and `open_sender` build the
two network edges, and each poll gets reading processes of its own
(`ReadingProcesses`), started only when a message needs reading and stopped
when the poll ends. A cycle is: poll the mailbox, then drain the outbox.
`run_forever` repeats it with APScheduler, one cycle at a time; a cycle that
fails (the mail server is down, say) is logged in one line and the next one
comes at the next interval.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox_worker.clock import utcnow
from inbox_worker.config import Settings
from inbox_worker.intake import notify
from inbox_worker.intake.extractor import ReadingProcesses
from inbox_worker.intake.pipeline import Intake
from inbox_worker.intake.stages import PollSummary
from inbox_worker.mail.imap import ImapMailbox
from inbox_worker.mail.mailbox import MailboxError
from inbox_worker.mail.maildir import MaildirMailbox
from inbox_worker.mail.sender import FolderSender, SmtpSender
from inbox_worker.outbound import outbox
from inbox_worker.outbound.emails import Templates
from inbox_worker.program import alerts, health, jobs, privacy, review
from inbox_worker.store import lease
from inbox_worker.store.database import Database
from inbox_worker.store.rawstore import RawStore

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    templates: Templates
    raw_store: RawStore


def bootstrap(settings: Settings) -> App:
    """Open the database (migrating it to the newest schema) and the other local stores."""
    db = Database(settings.database.url, settings.database.schema_name)
    db.upgrade()
    return App(settings=settings, db=db, templates=Templates(settings.program.templates_dir),
               raw_store=RawStore(settings.program.raw_store_dir))


def reading_processes(settings: Settings) -> ReadingProcesses:
    """The processes that read messages for forms, under the configured limits."""
    w = settings.worker
    return ReadingProcesses(w.extraction_processes, w.reader_memory_mb, w.reader_seconds)


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
    # Another worker holds the mailbox's lease: this cycle did nothing.
    skipped: str | None = None
    mailbox_down: bool = False
    smtp_down: bool = False

    def lines(self) -> list[str]:
        out = [self.skipped] if self.skipped else []
        if self.poll:
            p = self.poll
            out.append(f"mailbox: {p.seen} new message(s): {p.applications} application(s), {p.updates} "
                       f"update(s), {p.corrections} correction(s) by reply, {p.unchanged} sent again unchanged, "
                       f"{p.review} set aside for review, {p.ignored} automatic (not answered), "
                       f"{p.duplicates} duplicate(s), {p.retry_later} to retry")
        if self.drain:
            d = self.drain
            out.append(f"outbox: {d.sent} sent, {d.deferred} deferred, {d.failed} failed"
                       + (f", {d.held_by_daily_limit} held by the daily limit" if d.held_by_daily_limit else ""))
        out += [f"problem: {p}" for p in self.problems]
        return out

    def trouble(self) -> tuple[str | None, str | None]:
        """What stopped the mailbox, and the mail server, this cycle, in words (None: nothing did)."""

        def first(*prefixes: str) -> str:
            found = next((p for p in self.problems if p.startswith(prefixes)), "")
            return found.partition(": ")[2] or "unavailable"

        return (first("mailbox unavailable:", "cycle failed:") if self.mailbox_down else None,
                first("mail server unavailable:", "outbox not drained:") if self.smtp_down else None)


def keep_watch(app: App, summary: CycleSummary, now: datetime) -> None:
    """Record how a cycle went (for `status` and `health`), and tell the coordinators once when the
    mailbox has been failing long while email still goes out (program/alerts.py). A cycle that left
    the mailbox to another worker says nothing of it, so it records nothing."""
    if summary.skipped:
        return
    mailbox_error, smtp_error = summary.trouble()
    try:
        record = health.record_cycle(app.db, now, mailbox_error=mailbox_error, smtp_error=smtp_error)
        alerts.after_cycle(app, record, now, lambda: open_sender(app.settings))
    except Exception:  # the database being away is already the cycle's own trouble
        log.exception("could not record how the cycle went")


def lease_ttl(settings: Settings) -> timedelta:
    """Long enough to outlast a pause between renewals (at most one message's reading, waiting
    for a free reading process), short enough that a dead worker's mailbox is taken over within
    about one poll interval."""
    return timedelta(seconds=settings.worker.poll_interval_seconds + 30 + settings.worker.reader_seconds)


def run_cycle(app: App, source: MailSource, now: datetime, *, dry_run: bool = False,
              outbox_folder: Path | None = None, holder: str | None = None) -> CycleSummary:
    """One full cycle: poll, process, run the program's due jobs, drain the outbox.
    Never raises for an outage.

    Polling and the program's jobs run only while this worker holds the
    mailbox's lease, so two workers never process the same message. Every
    worker drains the outbox; a row being sent is locked, so no email goes
    out twice. A dry run changes nothing and needs no lease.
    """
    summary = CycleSummary()
    settings = app.settings
    account = source.account(settings)
    app.templates.refresh()
    # A one-off cycle (`run --once`) lets go of the lease when done; the scheduled
    # runner keeps its lease between cycles and passes its own holder name.
    one_off = holder is None
    holder = holder or lease.holder_name()
    lease_name = f"mailbox:{account}"
    ttl = lease_ttl(settings)

    # Not yet held: the first call below must really acquire the lease.
    renewed_at = [float("-inf")]

    def keep_lease() -> bool:
        # Asked before every message; a renewal is a write transaction, so renew only once a
        # third of the TTL has gone by. Until the TTL is out nobody else can take the lease.
        if dry_run:
            return True
        if time.monotonic() - renewed_at[0] < ttl.total_seconds() / 3:
            return True
        held = lease.acquire(app.db, lease_name, holder, ttl)
        if held:
            renewed_at[0] = time.monotonic()
        return held

    with ExitStack() as stack:
        if dry_run:
            stack.enter_context(app.db.dry_run())
        if keep_lease():
            _poll_and_plan(app, source, now, summary, dry_run=dry_run, keep_lease=keep_lease)
        else:
            summary.skipped = (f"another worker ({lease.holder_of(app.db, lease_name)}) is polling "
                               f"{account}; this one only helps send")
        folder = outbox_folder or (Path(settings.worker.outbox_dir) if dry_run else None)
        try:
            with open_sender(settings, to_folder=folder) as sender:
                summary.drain = outbox.drain(
                    app.db, sender, settings.smtp.from_address, now,
                    max_attempts=settings.worker.max_send_attempts,
                    retry_base_seconds=settings.worker.retry_base_seconds,
                    daily_limit=settings.worker.max_recipients_per_day)
                summary.problems += summary.drain.problems
                summary.smtp_down = summary.drain.server_down
        except Exception as e:  # the SMTP server being away must not stop the worker
            summary.smtp_down = True
            summary.problems.append(f"outbox not drained: {e}")
        if summary.drain is not None and summary.drain.held_by_daily_limit:
            # Once a day (its key says which), sent at the next drain: the limit never holds it back.
            with app.db.unit_of_work() as s:
                notify.tell_daily_limit(s, settings, app.templates, waiting=summary.drain.held_by_daily_limit,
                                         sent=summary.drain.recipients_in_24_hours, now=now)
    if one_off and not dry_run and summary.skipped is None:
        lease.release(app.db, lease_name, holder)
    return summary


def _poll_and_plan(app: App, source: MailSource, now: datetime, summary: CycleSummary, *, dry_run: bool,
                   keep_lease) -> None:
    """The lease holder's part: the mailbox, then the program's calendar and the retention purge."""
    settings = app.settings
    try:
        with source.open(settings) as mailbox, reading_processes(settings) as extractor:
            intake = Intake(settings=settings, db=app.db, mailbox=mailbox,
                            raw_store=None if dry_run else app.raw_store, templates=app.templates,
                            account=source.account(settings), extractor=extractor, dry_run=dry_run,
                            keep_lease=keep_lease)
            summary.poll = intake.poll(now)
            summary.problems += summary.poll.problems
            if not dry_run:
                _settle_review(app, mailbox, source.account(settings), now)
    except MailboxError as e:
        summary.mailbox_down = True
        summary.problems.append(f"mailbox unavailable: {e}")
    if not keep_lease():
        return
    # The program's calendar: reminders, escalations, closings, notes and the digest due at `now`.
    try:
        for line in jobs.run_due(app, now):
            log.info("program: %s", line)
    except Exception as e:  # one failing job must not stop the mail already queued from going
        log.exception("program jobs failed")
        summary.problems.append(f"program jobs failed: {e}")
    if not dry_run:
        purged = privacy.purge_if_due(app.db, app.raw_store, now, settings.program.retention_days)
        if purged and purged.applications:
            log.info("retention: %s", "; ".join(purged.lines()))


def _settle_review(app: App, mailbox, account: str, now: datetime) -> None:
    """Review items a coordinator moved out of the review folder are dealt with (program/review.py)."""
    try:
        settled = review.settle_moved_out(app.db, mailbox, account, app.settings.imap.review_folder, now)
    except Exception as e:  # the queue is settled again at the next cycle; the mail goes on meanwhile
        log.warning("could not look at the review folder %s: %s", app.settings.imap.review_folder, e)
        return
    if settled.closed:
        log.info("review: %s message(s) moved out of the review folder, now dealt with", len(settled.closed))


class Runner:
    """Runs cycles on a schedule; after an outage it waits longer each time, up to 30 minutes.

    Each outage is logged once when it starts and once when it ends, not at every try.
    `wake()` asks for a cycle now (new mail was pushed); a wake that comes while a cycle
    is running is not lost: another cycle follows at once.
    """

    MAX_BACKOFF = 1800.0

    def __init__(self, app: App, source: MailSource, clock=time.monotonic, now=utcnow):
        self.app, self.source, self.clock, self.now = app, source, clock, now
        self.holder = lease.holder_name()
        self.failures = 0
        self.resume_at = 0.0
        self.down: set[str] = set()
        self._again = threading.Event()

    def wake(self) -> None:
        self._again.set()

    def tick(self) -> CycleSummary | None:
        summary = None
        for _ in range(10):  # bounded: a flood of wakes cannot keep one tick going forever
            self._again.clear()
            summary = self._cycle() or summary
            if not self._again.is_set():
                break
        return summary

    def _cycle(self) -> CycleSummary | None:
        if self.clock() < self.resume_at:
            return None
        now = self.now()
        try:
            summary = run_cycle(self.app, self.source, now, holder=self.holder)
        except Exception as e:  # keep the schedule alive whatever one cycle does (the database, a bug)
            log.exception("cycle failed")
            summary = CycleSummary(problems=[f"cycle failed: {e}"], mailbox_down=True)
        self._note("mailbox", summary.mailbox_down, summary)
        self._note("mail server", summary.smtp_down, summary)
        if summary.mailbox_down or summary.smtp_down:
            self.failures += 1
            wait = min(self.app.settings.worker.poll_interval_seconds * 2 ** (self.failures - 1), self.MAX_BACKOFF)
            self.resume_at = self.clock() + wait
        else:
            self.failures, self.resume_at = 0, 0.0
        for line in summary.lines():
            if not line.startswith("problem: mailbox unavailable") and not line.startswith("problem: outbox not"):
                log.info("%s", line)
        keep_watch(self.app, summary, now)
        return summary

    def _note(self, what: str, is_down: bool, summary: CycleSummary) -> None:
        if is_down and what not in self.down:
            self.down.add(what)
            detail = next((p for p in summary.problems if "unavailable" in p or "not drained" in p), "")
            log.error("%s unavailable; will keep trying, waiting longer each time: %s", what, detail)
        elif not is_down and what in self.down:
            self.down.discard(what)
            log.info("%s is back; catching up", what)


class MailWatcher:
    """Waits on IMAP IDLE for new mail and wakes the runner the moment it comes.

    The scheduled poll stays as a backstop, so nothing depends on push alone.
    IDLE is renewed every `IDLE_RENEW` seconds (servers drop it after 29
    minutes); a lost connection is re-made with growing waits.
    """

    IDLE_RENEW = 540.0

    def __init__(self, settings: Settings, wake, stop: threading.Event):
        self.settings, self.wake, self.stop = settings, wake, stop
        self._mailbox: ImapMailbox | None = None

    def run(self) -> None:
        wait = 1.0
        while not self.stop.is_set():
            try:
                with ImapMailbox(self.settings.imap) as mailbox:
                    self._mailbox = mailbox
                    wait = 1.0
                    while not self.stop.is_set():
                        if mailbox.idle_wait(self.settings.imap.folder, self.IDLE_RENEW):
                            self.wake()
            except MailboxError as e:
                if self.stop.is_set():
                    return
                log.debug("push: connection lost (%s); reconnecting in %.0f s", e, wait)
                self.stop.wait(wait)
                wait = min(wait * 2, 300.0)
            finally:
                self._mailbox = None

    def interrupt(self) -> None:
        """Cut the IDLE connection so `run` returns now instead of at the next renewal."""
        mailbox = self._mailbox
        if mailbox is not None:
            with contextlib.suppress(Exception):
                mailbox.client.socket().shutdown(socket.SHUT_RDWR)


def run_forever(apps: list[App], source: MailSource) -> None:
    """Run every program: a full poll every `worker.poll_interval_seconds` and, where the server
    offers IDLE, the moment mail arrives; one cycle at a time per program, until stopped."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    stop = threading.Event()
    runners, watchers = [], []
    for app in apps:
        settings = app.settings
        runner = Runner(app, source)
        runners.append(runner)
        job_id = f"poll:{settings.program_key}"
        scheduler.add_job(runner.tick, "interval", seconds=settings.worker.poll_interval_seconds,
                          max_instances=1, coalesce=True, next_run_time=datetime.now(UTC), id=job_id)

        def wake(runner=runner, job_id=job_id) -> None:
            runner.wake()
            with contextlib.suppress(Exception):  # the scheduler may be shutting down
                scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))

        if settings.worker.push and source.maildir is None:
            watchers.append(MailWatcher(settings, wake, stop))

    def on_signal(_signum, _frame) -> None:
        stop.set()
        for watcher in watchers:
            watcher.interrupt()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    for app in apps:
        s = app.settings
        log.info("watching %s%s%s; full poll every %s seconds; Ctrl-C stops",
                 f"[{s.program_key}] " if len(apps) > 1 else "", s.imap.folder,
                 " (push: IMAP IDLE)" if watchers else "", s.worker.poll_interval_seconds)
    threads = [threading.Thread(target=w.run, name=f"push-{w.settings.program_key}", daemon=True)
               for w in watchers]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(timeout=10)
    scheduler.shutdown(wait=True)
    for app, runner in zip(apps, runners, strict=True):
        lease.release(app.db, f"mailbox:{source.account(app.settings)}", runner.holder)
    log.info("stopped")
