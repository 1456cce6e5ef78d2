"""Logs: one line per event on stderr (text for journald, JSON for collectors), never a secret."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

from intake_world import application
from servers import PASSWORD
from workers import worker_env

from inbox_worker.cli.common import OneLineFormatter


def _record(message: str, *, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise RuntimeError("login refused for hunter2-secret\nsecond line")
        except RuntimeError:
            info = sys.exc_info()
    return logging.LogRecord("inbox_worker.worker", logging.ERROR, __file__, 1, message, None, info)


def test_an_event_is_one_line_with_its_secrets_starred():
    """A message and its traceback come out as one line, in text or JSON, with the password starred."""
    text = OneLineFormatter(["hunter2-secret"], as_json=False).format(_record("cycle failed: hunter2-secret",
                                                                              exc=True))
    assert "\n" not in text and "hunter2-secret" not in text
    assert "cycle failed: **********" in text and "RuntimeError" in text
    line = OneLineFormatter(["hunter2-secret"], as_json=False)
    as_json = OneLineFormatter(["hunter2-secret"], as_json=True).format(_record("x hunter2-secret", exc=True))
    event = json.loads(as_json)
    assert "\n" not in as_json and "hunter2-secret" not in as_json
    assert event["level"] == "ERROR" and event["logger"] == "inbox_worker.worker"
    assert event["message"] == "x **********" and "RuntimeError" in event["exception"]
    assert line.format(_record("nothing secret here")).endswith("inbox_worker.worker: nothing secret here")


def test_a_run_logs_json_lines_and_never_a_password(dovecot, imap_user, smtp_server, tmp_path, database_url):
    """`--log-format json run --once -v`, with the IMAP password set and a wrong SMTP password:
    every log line is a JSON object, and neither password appears in anything printed."""
    smtp_wrong = "smtp-Wrong-Pa55-for-logs"
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url,
                     INBOX_WORKER_PATHS__STATE_DIR=str(tmp_path / "state"), HOME=str(tmp_path),
                     INBOX_WORKER_SMTP__USERNAME=smtp_server.username, INBOX_WORKER_SMTP__PASSWORD=smtp_wrong)
    dovecot.append(imap_user, application(1))
    done = subprocess.run([sys.executable, "-m", "inbox_worker", "--log-format", "json", "run", "--once", "-v"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr  # the SMTP login was refused
    printed = done.stdout + done.stderr
    assert PASSWORD not in printed and smtp_wrong not in printed
    logged = [line for line in done.stderr.splitlines() if not line.startswith("error:")]
    events = [json.loads(line) for line in logged]
    assert events and all({"time", "level", "logger", "message"} <= set(e) for e in events)
    assert any("intake: UID" in e["message"] for e in events)
