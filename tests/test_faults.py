"""Outages and concurrency, against real servers: the worker keeps going and catches up.

GIVEN the IMAP or SMTP server goes away (stopped, refusing, answering 421/451),
or two workers run on one mailbox
WHEN the worker runs
THEN it logs one clear line per incident, waits longer each time, keeps
running, and when the servers return it catches up with nothing lost and
nothing sent twice.
"""
from __future__ import annotations

import logging
import time

import pytest
from intake_world import NOW, acks, application, settings_for
from pydantic import SecretStr
from servers import DovecotServer
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from workers import WorkerProcess, worker_env

from inbox_worker.intake.pipeline import Intake
from inbox_worker.store.database import Database
from inbox_worker.store.models import Application, IncomingMessage, OutgoingMessage
from inbox_worker.worker import MailSource, Runner, bootstrap, run_cycle


class FakeClock:
    """Monotonic seconds the test moves by hand, so backoff waits take no real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def error_lines(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and text in r.getMessage()]


@pytest.fixture
def own_dovecot():
    """A Dovecot of this test's own, so stopping it disturbs no other test."""
    server = DovecotServer().start()
    yield server
    server.stop()


def test_imap_outage_mid_run_is_logged_once_backed_off_and_caught_up(
        own_dovecot, smtp_server, tmp_path, database_url, caplog, monkeypatch):
    """The IMAP server stops in the middle of a poll and returns: every message is processed once."""
    dovecot, user = own_dovecot, own_dovecot.add_user()
    total = 100  # enough that the server stops while the poll is still going
    for n in range(total):
        dovecot.append(user, application(n))
    app = bootstrap(settings_for(dovecot, user, smtp_server, tmp_path, database_url))
    clock = FakeClock()
    runner = Runner(app, MailSource(), clock=clock)

    # The server stops once three messages are through: mid-poll, before any message is filed,
    # on a fast machine as on a slow one.
    finish, through = Intake.finish, []

    def finish_then_stop(self, *args, **kwargs):
        result = finish(self, *args, **kwargs)
        through.append(result)
        if len(through) == 3:
            dovecot.pause()
        return result

    monkeypatch.setattr(Intake, "finish", finish_then_stop)
    caplog.set_level(logging.INFO, logger="inbox_worker")
    first = runner.tick()
    monkeypatch.undo()
    assert first.poll is not None and first.poll.retry_later, "the outage came after the poll"
    for _ in range(3):  # more tries while it is down: no new error lines
        clock.now += 10_000
        runner.tick()
    assert len(error_lines(caplog, "mailbox unavailable")) == 1
    assert runner.resume_at > clock.now  # it is waiting before the next try

    dovecot.resume()
    clock.now += 10_000
    runner.tick()
    clock.now += 10_000
    runner.tick()
    assert any("mailbox is back" in r.getMessage() for r in caplog.records)
    with app.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == total
    counts = acks(smtp_server)
    assert len(counts) == total and max(counts.values()) == 1
    assert dovecot.list_folder(user, "INBOX") == {}
    app.db.dispose()


def test_a_refused_login_is_one_clear_line_without_the_password(
        dovecot, imap_user, smtp_server, tmp_path, database_url, caplog):
    """A wrong password: the worker says so once, names the setting, never prints the password."""
    settings = settings_for(dovecot, imap_user, smtp_server, tmp_path, database_url)
    settings.imap.password = SecretStr("wrong-Secret-99")
    app = bootstrap(settings)
    clock = FakeClock()
    runner = Runner(app, MailSource(), clock=clock)
    caplog.set_level(logging.INFO, logger="inbox_worker")
    for _ in range(3):
        summary = runner.tick()
        clock.now += 10_000
        assert summary is not None and summary.mailbox_down
    lines = error_lines(caplog, "mailbox unavailable")
    assert len(lines) == 1
    assert "wrong-Secret-99" not in caplog.text
    assert "PASSWORD" in lines[0] or "password" in lines[0]
    app.db.dispose()


def test_smtp_down_then_temporary_refusals_then_back(
        dovecot, imap_user, smtp_server, tmp_path, database_url, caplog):
    """SMTP stopped, then 421/451 replies: mail waits, one line is logged, and all of it goes out once."""
    for n in range(5):
        dovecot.append(imap_user, application(n))
    app = bootstrap(settings_for(dovecot, imap_user, smtp_server, tmp_path, database_url))
    clock = FakeClock()
    runner = Runner(app, MailSource(), clock=clock)
    caplog.set_level(logging.INFO, logger="inbox_worker")
    smtp_server.pause()

    down = runner.tick()
    assert down.smtp_down and down.poll.applications == 5
    clock.now += 10_000
    runner.tick()
    assert len(error_lines(caplog, "mail server unavailable")) == 1
    with app.db.unit_of_work() as s:
        assert all(o.attempts == 0 for o in s.scalars(select(OutgoingMessage)))  # outages cost no tries

    smtp_server.resume()
    smtp_server.fail_next(2, "421 4.7.0 Try again later")
    clock.now += 10_000
    runner.tick()
    # Later cycles run on the real clock: let the outbox's own retry wait (1 minute) pass.
    run_cycle(app, MailSource(), NOW.replace(year=2100), holder=runner.holder)
    counts = acks(smtp_server)
    assert len(counts) == 5 and max(counts.values()) == 1
    assert any("mail server is back" in r.getMessage() for r in caplog.records)
    app.db.dispose()


def test_two_workers_on_one_mailbox_never_process_or_send_twice(
        dovecot, imap_user, smtp_server, tmp_path, database_url):
    """Two `inbox-worker run` processes on one database and mailbox: each message handled once."""
    for n in range(40):
        dovecot.append(imap_user, application(n))
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url)
    first = WorkerProcess(env, tmp_path / "first.log")
    second = WorkerProcess(env, tmp_path / "second.log")
    db = Database(env["INBOX_WORKER_DATABASE__URL"])

    def done() -> bool:
        try:
            with db.unit_of_work() as s:
                return s.scalar(select(func.count()).select_from(OutgoingMessage).where(
                    OutgoingMessage.state == "sent", OutgoingMessage.template == "acknowledgement")) == 40
        except DBAPIError:  # the workers have not created the tables yet
            return False

    try:
        assert first.wait_for(done, timeout=120), first.log()[-2000:] + second.log()[-2000:]
        time.sleep(2)  # give a wrongly concurrent second worker the chance to send again
    finally:
        first.stop()
        second.stop()
    with db.unit_of_work() as s:
        recorded = s.execute(select(IncomingMessage.uid, func.count()).group_by(IncomingMessage.uid)).all()
    db.dispose()
    assert len(recorded) == 40 and all(c == 1 for _uid, c in recorded)
    counts = acks(smtp_server)
    assert len(counts) >= 40 and max(counts.values()) == 1
    waited = "another worker" in first.log() + second.log()
    assert waited, "neither worker saw the other's lease"


def test_a_dead_workers_lease_is_taken_over(dovecot, imap_user, smtp_server, tmp_path, database_url):
    """A worker that holds the lease and dies does not keep the mailbox: a new one takes over."""
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url)
    first = WorkerProcess(env, tmp_path / "first.log")
    assert first.wait_for(lambda: "mailbox: 0 new" in first.log(), timeout=60)
    time.sleep(1.5)
    first.kill()
    dovecot.append(imap_user, application(7))
    second = WorkerProcess(env, tmp_path / "second.log")
    try:
        assert second.wait_for(lambda: len(acks(smtp_server)) == 1, timeout=60), second.log()[-2000:]
    finally:
        second.stop()

