"""`inbox-worker health` tells a supervisor whether the worker is keeping up."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from intake_world import NOW

from inbox_worker.program import health
from inbox_worker.worker import MailSource, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "intake"


def test_healthy_after_a_poll_and_unhealthy_when_polling_stops(world):
    """Fresh poll: healthy. Long after it, or with email overdue: unhealthy, saying why."""
    _dovecot, _user, _smtp, _settings, app = world
    assert "no poll has happened yet" in health.check(app, NOW)[0]
    run_cycle(app, MailSource(), NOW)
    assert health.check(app, NOW + timedelta(minutes=2)) == []
    problems = health.check(app, NOW + timedelta(hours=2))
    assert len(problems) == 1 and "last poll was 120 minutes ago" in problems[0]


def test_overdue_email_makes_it_unhealthy(world):
    """Email left unsent long after it was due is reported."""
    dovecot, user, smtp, _settings, app = world
    smtp.pause()
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)
    later = NOW + timedelta(hours=1)
    run_cycle(app, MailSource(), later)  # polls fine, still cannot send
    problems = health.check(app, later)
    smtp.resume()
    assert any("still waiting to be sent" in p for p in problems)


def test_the_command_exits_non_zero_when_the_database_is_unreachable(tmp_path):
    """A database that cannot be opened is unhealthy, in plain words, exit status 1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env["INBOX_WORKER_DATABASE__URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    done = subprocess.run([sys.executable, "-m", "inbox_worker", "health"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "database" in done.stderr
