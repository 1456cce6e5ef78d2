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


def session_processes(sid: int) -> dict[int, str]:
    """Living processes of a session (a worker started with start_new_session=True and everything
    it started: they keep its session id even when the worker is gone): {pid: command line}.
    A zombie, dead but not yet reaped, is not living."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_text().rpartition(")")[2].split()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found[int(entry.name)] = cmdline.strip()
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, the most resident so far) of a process, in MB; (0, 0) once it is gone."""
    now = peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except OSError:
        pass
    return now / 1024, peak / 1024


def run_once_measured(env: dict[str, str], timeout: float = 300, peaks: dict[str, float] | None = None
                      ) -> tuple[int, str, float, float]:
    """`inbox-worker run --once` as a process of its own: (exit code, its output, the peak of the
    resident memory of it and the reading processes it started, summed, and the largest peak of
    any one of them, in MB). Sampled every 20 ms from /proc: the sum misses what lasts less, the
    largest (the kernel's own high-water mark of each process) misses only its last 20 ms.
    `peaks`, if given, is filled with each process's peak by its command line."""
    import tempfile
    import threading

    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "inbox_worker", "run", "--once"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        together, largest, done = [0.0], {}, threading.Event()

        def sample() -> None:
            while not done.is_set():
                now = 0.0
                for pid, command in session_processes(proc.pid).items():
                    resident, peak = memory_mb(pid)
                    now += resident
                    largest[pid] = max(largest.get(pid, 0.0), peak)
                    if peaks is not None:
                        peaks[command] = max(peaks.get(command, 0.0), peak)
                together[0] = max(together[0], now)
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            done.set()
            sampler.join()
        out.seek(0)
        return code, out.read().decode(errors="replace"), together[0], max(largest.values(), default=0.0)
