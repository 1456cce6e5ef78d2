"""Run `inbox-worker run` as a real process against the test servers, and read its log.

The fault tests kill, restart and double up these processes; the worker's
debug log says which stage each message reached, so a test can tell where
a kill fell.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

STAGE = re.compile(r"(intake: UID \d+ (fetched|extracted|committed|moved)|outbox: email \d+ "
                   r"(being sent|accepted by the server|marked sent))")


def worker_env(dovecot, user: str, smtp_server, workdir: Path, database_url: str, **extra: str) -> dict[str, str]:
    imap = dovecot.imap_settings_for(user)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env.update({
        "INBOX_WORKER_IMAP__HOST": imap.host, "INBOX_WORKER_IMAP__PORT": str(imap.port),
        "INBOX_WORKER_IMAP__USERNAME": user, "INBOX_WORKER_IMAP__PASSWORD": imap.password.get_secret_value(),
        "INBOX_WORKER_IMAP__SECURITY": "none", "INBOX_WORKER_IMAP__TIMEOUT_SECONDS": "5",
        "INBOX_WORKER_SMTP__HOST": "127.0.0.1", "INBOX_WORKER_SMTP__PORT": str(smtp_server.port),
        "INBOX_WORKER_SMTP__SECURITY": "none", "INBOX_WORKER_SMTP__FROM_ADDRESS": "program@example.org",
        "INBOX_WORKER_SMTP__TIMEOUT_SECONDS": "5",
        "INBOX_WORKER_DATABASE__URL": database_url,
        "INBOX_WORKER_PROGRAM__COORDINATORS": json.dumps(["coordinator@example.org"]),
        "INBOX_WORKER_PROGRAM__RAW_STORE_DIR": str(workdir / "raw"),
        "INBOX_WORKER_WORKER__POLL_INTERVAL_SECONDS": "1",
        "INBOX_WORKER_WORKER__RETRY_BASE_SECONDS": "1",
        "INBOX_WORKER_WORKER__MAX_REPLIES_PER_ADDRESS_PER_DAY": "1000",
    })
    env.update(extra)
    return env


class WorkerProcess:
    """One `inbox-worker run -v` process, its log in a file of its own."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - kept open for the process's lifetime
        self.proc = subprocess.Popen([sys.executable, "-m", "inbox_worker", "run", "-v"], env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stages(self) -> list[str]:
        return [m.group(1) for m in STAGE.finditer(self.log())]

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            if self.proc.poll() is not None:
                return predicate()
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flushing, as a power cut would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
            code = -9
        self._log.close()
        return code
