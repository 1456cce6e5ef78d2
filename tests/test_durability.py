"""Commits that do not wait for the disk, and the point that waits for all of them.

Intake records each message with a commit that does not wait for the disk: a crash of the
process keeps it, a power cut may undo it. Then the message must still be in INBOX, to be read
again, and its answer unsent. So nothing outside the database acts on such a record before
`Database.make_durable()`: the message is moved, and its answer sent, only after it.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from databases import KIND
from intake_world import NOW, application
from sqlalchemy import select, text

from inbox_worker.intake.filing import Filer
from inbox_worker.mail.imap import ImapMailbox
from inbox_worker.mail.sender import SmtpSender
from inbox_worker.store.database import WAL_CHECKPOINT_PAGES, Database
from inbox_worker.store.models import WorkerState
from inbox_worker.worker import MailSource, run_cycle

# What each database says of a commit that waits for the disk, and of one that does not.
WAITS = {"sqlite": "2", "postgresql": "on"}[KIND]
DOES_NOT_WAIT = {"sqlite": "1", "postgresql": "off"}[KIND]


def sync_setting(s) -> str:
    query = "PRAGMA synchronous" if KIND == "sqlite" else "SHOW synchronous_commit"
    return str(s.execute(text(query)).scalar())


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


def test_a_unit_of_work_that_does_not_wait_changes_only_its_own_commit(db):
    """Inside `durable=False` the commit does not wait; the connection's next unit of work waits
    again, and what the first one wrote is there."""
    with db.unit_of_work(durable=False) as s:
        inside = sync_setting(s)
        first_connection = s.connection().connection.dbapi_connection
        s.add(WorkerState(key="written", value="yes"))
    with db.unit_of_work() as s:
        after = sync_setting(s)
        same_connection = s.connection().connection.dbapi_connection is first_connection
        written = s.scalar(select(WorkerState.value).where(WorkerState.key == "written"))
    assert (inside, after, written) == (DOES_NOT_WAIT, WAITS, "yes")
    assert same_connection or KIND != "sqlite"  # the pool handed the same one back


def test_make_durable_commits_a_transaction_that_waits_for_the_disk(db, database_url):
    """A transaction that changes nothing would not wait for the disk: make_durable's does."""
    if KIND == "sqlite":
        watcher = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        before = watcher.execute("PRAGMA data_version").fetchone()[0]
        db.make_durable()
        changed = watcher.execute("PRAGMA data_version").fetchone()[0] != before
        watcher.close()
    else:
        with db.unit_of_work() as s:
            before = s.scalar(text("SELECT txid_current()"))
        db.make_durable()
        with db.unit_of_work() as s:
            # make_durable's transaction took a transaction id of its own between these two.
            changed = s.scalar(text("SELECT txid_current()")) > before + 1
    assert changed


@pytest.mark.skipif(KIND != "sqlite", reason="SQLite's write-ahead log")
def test_the_log_is_copied_into_the_database_only_after_many_pages(db, database_url):
    """SQLite's own default copies the log into the database file after every 1,000 pages, and
    then writes the log again from its start; here the log holds far more before that."""
    page = 4096
    for i in range(300):  # about 3,000 pages, a commit at a time
        with db.unit_of_work() as s:
            s.add(WorkerState(key=f"filler:{i}", value="x" * (10 * page)))
    wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
    assert wal.stat().st_size > 2_000 * page
    assert WAL_CHECKPOINT_PAGES * page > wal.stat().st_size


@pytest.mark.parametrize("filing", ["moved", "not moved this time"])
def test_no_message_is_moved_or_answered_before_its_record_is_on_the_disk(world, monkeypatch, filing):
    """Every IMAP move and every SMTP send comes after a make_durable that followed the last
    commit that did not wait; also when the messages are not moved before their answers go."""
    dovecot, user, smtp, _settings, app = world
    if filing == "not moved this time":
        monkeypatch.setattr(Filer, "flush", lambda self: None)
    for n in range(3):
        dovecot.append(user, application(n))
    events: list[str] = []
    unit_of_work, make_durable = app.db.unit_of_work, app.db.make_durable

    worker_thread = threading.get_ident()

    @contextmanager
    def recorded_unit_of_work(*, durable=True):
        with unit_of_work(durable=durable) as s:
            yield s
        # The reading processes' thread gives back the try of a message read well: nothing is moved
        # or sent on the strength of that commit, so only the worker's own are counted.
        if not durable and threading.get_ident() == worker_thread:
            events.append("commit not waiting")

    def recorded_make_durable():
        make_durable()
        events.append("durable")

    def recorded(name, real):
        def call(*args, **kwargs):
            events.append(name)
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(app.db, "unit_of_work", recorded_unit_of_work)
    monkeypatch.setattr(app.db, "make_durable", recorded_make_durable)
    monkeypatch.setattr(ImapMailbox, "move_many", recorded("move", ImapMailbox.move_many))
    monkeypatch.setattr(SmtpSender, "send", recorded("send", SmtpSender.send))

    summary = run_cycle(app, MailSource(), NOW)

    assert summary.problems == [] and len(smtp.received) == 3
    # Each message: its row, its try (committed before it is read) and its record.
    assert events.count("commit not waiting") == 3 * 3 and events.count("send") == 3
    assert ("move" in events) == (filing == "moved")
    for i, event in enumerate(events):
        if event in ("move", "send"):
            before = events[:i]
            last_durable = len(before) - 1 - before[::-1].index("durable")
            last_not_waiting = len(before) - 1 - before[::-1].index("commit not waiting")
            assert last_durable > last_not_waiting, f"{event} at {i} before make_durable: {events}"
    assert (dovecot.list_folder(user, "INBOX") == {}) == (filing == "moved")
