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


# ---------------------------------------------------------------- failures look like failures
def _env(dovecot, user, smtp_server, tmp_path, database_url, **extra: str) -> dict[str, str]:
    """The worker's environment against the test servers, its state in tmp_path/state, no config file."""
    from workers import worker_env

    (tmp_path / "home").mkdir(exist_ok=True)
    env = worker_env(dovecot, user, smtp_server, tmp_path, database_url,
                     INBOX_WORKER_PATHS__STATE_DIR=str(tmp_path / "state"), HOME=str(tmp_path / "home"))
    env.pop("STATE_DIRECTORY", None)
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inbox_worker", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def _errors(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


def test_a_refused_mailbox_login_fails_the_run_and_health_until_a_good_run(dovecot, imap_user, smtp_server,
                                                                            tmp_path, database_url):
    """`run --once` with a wrong IMAP password exits 1 with one plain line naming the setting to
    check; `health` then exits 1 and `status` shows the error and when; after a good run that
    answers an application, `health` exits 0."""
    wrong = "wrong-Pa55word-for-test"
    bad = _env(dovecot, imap_user, smtp_server, tmp_path, database_url, INBOX_WORKER_IMAP__PASSWORD=wrong)
    dovecot.append(imap_user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    run = _cli(bad, tmp_path, "run", "--once")
    assert run.returncode == 1, run.stdout + run.stderr
    assert len(_errors(run)) == 1, run.stderr
    assert "could not log in" in _errors(run)[0] and "INBOX_WORKER_IMAP__PASSWORD" in _errors(run)[0]
    assert "Traceback" not in run.stderr and wrong not in run.stdout + run.stderr
    health_done = _cli(bad, tmp_path, "health")
    assert health_done.returncode == 1
    assert "the last poll" in health_done.stderr and "could not log in" in health_done.stderr
    status = _cli(bad, tmp_path, "status")
    assert status.returncode == 0, status.stderr
    assert "last error:" in status.stdout and "still failing" in status.stdout and "UTC" in status.stdout

    good = _env(dovecot, imap_user, smtp_server, tmp_path, database_url)
    run = _cli(good, tmp_path, "run", "--once")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 application(s)" in run.stdout
    assert any("rokafor@campbellcounty.example" in r.recipients for r in smtp_server.received)
    healthy = _cli(good, tmp_path, "health")
    assert healthy.returncode == 0, healthy.stderr
    assert healthy.stdout.strip() == "healthy"
    assert "working again since" in _cli(good, tmp_path, "status").stdout


def test_a_refused_smtp_login_fails_the_run_and_health(dovecot, imap_user, smtp_server, tmp_path, database_url):
    """An SMTP server refusing our login, with an answer to send: `run --once` exits 1 saying the
    email could not be sent and which password to check; `health` exits 1 saying so too."""
    env = _env(dovecot, imap_user, smtp_server, tmp_path, database_url,
               INBOX_WORKER_SMTP__USERNAME=smtp_server.username, INBOX_WORKER_SMTP__PASSWORD="not-the-smtp-password")
    dovecot.append(imap_user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    run = _cli(env, tmp_path, "run", "--once")
    assert run.returncode == 1, run.stdout + run.stderr
    (line,) = _errors(run)
    assert "email could not be sent" in line and "INBOX_WORKER_SMTP__PASSWORD" in line
    done = _cli(env, tmp_path, "health")
    assert done.returncode == 1 and "email could not be sent" in done.stderr
    assert smtp_server.received == []


def test_a_missing_password_is_reported_as_missing_and_not_tried(dovecot, imap_user, smtp_server, tmp_path,
                                                                  database_url):
    """With no INBOX_WORKER_IMAP__PASSWORD, `run --once` says it is not set and stops before
    touching anything (no state folder, no database); `health` says the same."""
    env = _env(dovecot, imap_user, smtp_server, tmp_path, database_url)
    del env["INBOX_WORKER_IMAP__PASSWORD"]
    run = _cli(env, tmp_path, "run", "--once")
    assert run.returncode == 1
    assert _errors(run) == [f"error: INBOX_WORKER_IMAP__PASSWORD is not set: the mailbox {imap_user} needs its "
                            "password (for Gmail, an app password); put it in the environment or in the "
                            "service's secrets file"]
    assert not (tmp_path / "state").exists()
    done = _cli(env, tmp_path, "health")
    assert done.returncode == 1 and "INBOX_WORKER_IMAP__PASSWORD is not set" in done.stderr


def _alerts(smtp_server) -> list:
    import email
    import email.policy

    messages = [(r, email.message_from_bytes(r.data, policy=email.policy.default)) for r in smtp_server.received]
    return [(r.recipients, m) for r, m in messages if "needs attention" in m["Subject"]]


def test_the_health_timer_emails_the_operator_once_per_incident(dovecot, imap_user, smtp_server, tmp_path,
                                                                database_url):
    """`health --alert` emails [alerts] operator once while a refused login lasts, however often it
    runs; once a good run put it right, a new failure is a new incident and emails again."""
    bad = _env(dovecot, imap_user, smtp_server, tmp_path, database_url,
               INBOX_WORKER_IMAP__PASSWORD="wrong-one", INBOX_WORKER_ALERTS__OPERATOR="ops@example.org")
    good = _env(dovecot, imap_user, smtp_server, tmp_path, database_url,
                INBOX_WORKER_ALERTS__OPERATOR="ops@example.org")
    assert _cli(bad, tmp_path, "run", "--once").returncode == 1
    for _ in range(3):  # the timer, every five minutes
        assert _cli(bad, tmp_path, "health", "--alert").returncode == 1
    (recipients, message), = _alerts(smtp_server)
    assert recipients == ["ops@example.org"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert "could not log in" in message.get_body(("plain",)).get_content()
    assert "wrong-one" not in message.as_string()

    assert _cli(good, tmp_path, "run", "--once").returncode == 0
    assert _cli(good, tmp_path, "health", "--alert").returncode == 0
    assert len(_alerts(smtp_server)) == 1
    assert _cli(bad, tmp_path, "run", "--once").returncode == 1
    assert _cli(bad, tmp_path, "health", "--alert").returncode == 1
    assert _cli(bad, tmp_path, "health", "--alert").returncode == 1
    assert len(_alerts(smtp_server)) == 2


def test_the_worker_tells_the_coordinators_once_after_an_hour_of_failing(world, tmp_path):
    """A running worker whose mailbox refuses the login, while email still goes out, emails the
    coordinators once after alerts.failing_minutes, not at every cycle after; put right and
    failing again, it tells them again."""
    from datetime import datetime

    from intake_world import COORDINATOR

    from inbox_worker.worker import Runner

    dovecot, user, smtp, settings, app = world
    settings.paths.state_dir = str(tmp_path / "state")
    good_imap, bad_imap = settings.imap, dovecot.imap_settings_for(user, password="wrong-one")
    monotonic, wall = [0.0], [datetime(2026, 4, 10, 9, 0)]

    def tick_at(minutes: int) -> None:
        monotonic[0] += 100_000.0  # past any wait the runner set after a failure
        wall[0] = datetime(2026, 4, 10, 9, 0) + timedelta(minutes=minutes)
        runner.tick()

    runner = Runner(app, MailSource(), clock=lambda: monotonic[0], now=lambda: wall[0])
    settings.imap = bad_imap
    for minutes in (0, 20, 40, 59):
        tick_at(minutes)
    assert _alerts(smtp) == []
    for minutes in (61, 80, 120):
        tick_at(minutes)
    (recipients, message), = _alerts(smtp)
    assert recipients == [COORDINATOR]
    assert "has failed since Friday 10 April 2026 at 09:00" in message.get_body(("plain",)).get_content()

    settings.imap = good_imap
    tick_at(130)
    settings.imap = bad_imap
    for minutes in (140, 170, 202):
        tick_at(minutes)
    assert len(_alerts(smtp)) == 2
