"""Several programs, several workers: each message handled once, and a dead worker's mailbox taken over.

GIVEN three programs, each with its own mailbox in the real Dovecot, 100
applications in each, and three `inbox-worker run` processes sharing one database
WHEN one worker is killed in the middle of the work
THEN every application is recorded once and acknowledged once in its own
program, and the killed worker's mailboxes are taken over within a poll interval.
"""
from __future__ import annotations

import email
import email.policy
import json
import os
import time
from collections import Counter

from intake_world import application
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from workers import WorkerProcess

from inbox_worker.config import load_settings
from inbox_worker.store.database import Database
from inbox_worker.store.models import Application, IncomingMessage

PROGRAMS = ("wla", "mla", "nla")
PER_PROGRAM = 100
POLL = 2


def write_config(path, dovecot, users, smtp_server, database_url, tmp_path) -> None:
    imap = dovecot.imap_settings_for(users[0])
    programs = "".join(
        f'\n[[programs]]\nkey = "{key}"\n[programs.imap]\nusername = "{user}"\n'
        f'[programs.program]\nname = "{key.upper()} Mentoring Program"\n'
        f'coordinators = ["coordinator@{key}.example.org"]\n'
        for key, user in zip(PROGRAMS, users, strict=True))
    path.write_text(f"""
[imap]
host = "127.0.0.1"
port = {imap.port}
password = "{imap.password.get_secret_value()}"
security = "none"
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
from_address = "program@example.org"
[database]
url = "{database_url}"
[program]
raw_store_dir = "{tmp_path / 'raw'}"
[worker]
poll_interval_seconds = {POLL}
retry_base_seconds = 1
max_replies_per_address_per_day = 1000
[schedule]
digest = "off"
{programs}""")


def test_three_workers_three_programs_one_kill(dovecot, smtp_server, tmp_path, database_url):
    """300 applications over 3 programs and 3 workers, one killed: each recorded and answered once."""
    users = [dovecot.add_user() for _ in PROGRAMS]
    config = tmp_path / "programs.toml"
    write_config(config, dovecot, users, smtp_server, database_url, tmp_path)
    for user in users:
        for n in range(PER_PROGRAM):
            dovecot.append(user, application(n))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env["INBOX_WORKER_CONFIG"] = str(config)
    workers = [WorkerProcess(env, tmp_path / f"worker-{i}.log") for i in range(3)]
    settings = load_settings(config)
    dbs = {key: Database(s.database.url, s.database.schema_name)
           for key in PROGRAMS for s in [settings.for_program(key)]}

    def recorded(key: str) -> int:
        try:
            with dbs[key].unit_of_work() as s:
                return s.scalar(select(func.count()).select_from(IncomingMessage)
                                .where(IncomingMessage.state != "new")) or 0
        except DBAPIError:  # not migrated yet
            return 0

    try:
        # Kill the first worker once work is under way.
        assert workers[0].wait_for(lambda: sum(recorded(k) for k in PROGRAMS) >= 30, timeout=120)
        at_kill = {k: recorded(k) for k in PROGRAMS}
        workers[0].kill()
        killed_at = time.monotonic()
        # Every unfinished program moves on again: its mailbox has a live worker.
        assert workers[1].wait_for(lambda: all(recorded(k) > at_kill[k] or at_kill[k] == PER_PROGRAM
                                               for k in PROGRAMS), timeout=60)
        takeover = time.monotonic() - killed_at
        assert workers[1].wait_for(lambda: all(recorded(k) == PER_PROGRAM for k in PROGRAMS), timeout=180), (
            {k: recorded(k) for k in PROGRAMS}, workers[1].log()[-2000:])
        deadline = time.monotonic() + 60
        while len(smtp_server.received) < len(PROGRAMS) * PER_PROGRAM and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for w in workers[1:]:
            w.stop()

    for key in PROGRAMS:
        with dbs[key].unit_of_work() as s:
            assert s.scalar(select(func.count()).select_from(Application)) == PER_PROGRAM
            per_uid = s.execute(select(IncomingMessage.uid, func.count()).group_by(IncomingMessage.uid)).all()
            assert all(c == 1 for _uid, c in per_uid)
        dbs[key].dispose()
    answers = Counter(email.message_from_bytes(r.data, policy=email.policy.default)["Message-ID"]
                      for r in smtp_server.received)
    # Each program answers its own 100 applicants (the same addresses in each program), once.
    assert len(answers) == len(PROGRAMS) * PER_PROGRAM
    assert max(answers.values()) == 1
    for user in users:
        assert dovecot.list_folder(user, "INBOX") == {}
    # The killed worker's mailboxes were taken over within one poll interval (plus a little
    # for the cycle itself on a busy machine).
    assert takeover < POLL + 3, f"takeover took {takeover:.1f} s"
    print(json.dumps({"takeover_seconds": round(takeover, 2)}))
