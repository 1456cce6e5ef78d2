"""Push: `inbox-worker run` answers within seconds of arrival, not at the next poll."""
from __future__ import annotations

import time

from intake_world import acks, application
from workers import WorkerProcess, worker_env


def test_new_mail_is_answered_at_once_by_idle_not_by_the_poll(
        dovecot, imap_user, smtp_server, tmp_path, database_url):
    """With a 10-minute poll, mail appended while the worker idles is acknowledged within seconds."""
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url,
                     INBOX_WORKER_WORKER__POLL_INTERVAL_SECONDS="600")
    worker = WorkerProcess(env, tmp_path / "push.log")
    try:
        assert worker.wait_for(lambda: "mailbox: 0 new" in worker.log(), timeout=60), worker.log()
        time.sleep(1.0)  # the watcher is in IDLE by now
        for n in range(3):
            started = time.monotonic()
            dovecot.append(imap_user, application(n))
            assert worker.wait_for(lambda n=n: len(acks(smtp_server)) == n + 1, timeout=15), worker.log()[-2000:]
            assert time.monotonic() - started < 10
    finally:
        code = worker.stop()
    assert code == 0, worker.log()[-2000:]
    assert "stopped" in worker.log()
