"""Idle benchmark: what the worker costs while nothing arrives, and a poll over a full mailbox.

1. `inbox-worker run` as its own process in push mode (IMAP IDLE, the full
   poll at its default of every 120 seconds) with no mail, for `--seconds`
   (default 300): its CPU seconds and peak RSS, read from /proc, with those
   of any process it started (none should be: reading processes start only
   for a message to read). CPU is given in all and after start-up (the
   imports and the first cycle), both per minute.
2. A poll with nothing new over a mailbox of 10,000 messages the worker has
   already seen: INBOX holds 10,000 small messages and the database 10,000
   processed rows and the position after the last UID, as after a year's
   mail left in place. `run_cycle` is timed in this process, several times.

    .venv/bin/python bench/idle.py [--seconds 300] [--messages 10000]

Targets: under 1 CPU-second per minute and under 120 MB peak RSS idle; the
poll under 1 second.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from workers import WorkerProcess, session_processes

from inbox_worker.store.models import IncomingMessage, WorkerState
from inbox_worker.worker import MailSource, bootstrap, run_cycle

TARGET_CPU_PER_MINUTE = 1.0
TARGET_RSS_MB = 120.0
TARGET_POLL_SECONDS = 1.0
POLL_INTERVAL = 120  # the shipped default
POLL_RUNS = 5
APPEND_BATCH = 500
NOW = datetime(2026, 4, 10, 9, 0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the worker, of the processes it started and reaped, and of those it
    started that still run (from /proc/PID/stat)."""
    total = 0.0
    for process in {pid, *session_processes(pid)}:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        # utime, stime, and the reaped children's cutime, cstime
        total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_worker(srv: harness.Servers, work: Path, seconds: float) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    env = harness.worker_env(srv, work, INBOX_WORKER_WORKER__POLL_INTERVAL_SECONDS=str(POLL_INTERVAL))
    worker = WorkerProcess(env, work / "idle.log")
    pid = worker.proc.pid
    try:
        began = time.monotonic()
        if not worker.wait_for(lambda: "mailbox: 0 new" in worker.log(), timeout=60):
            raise RuntimeError("the worker did not start:\n" + worker.log()[-3000:])
        started = time.monotonic() - began
        cpu_start = cpu_seconds(pid)
        worker.wait_for(lambda: False, timeout=max(0.0, seconds - started))
        if worker.proc.poll() is not None:
            raise RuntimeError("the worker exited:\n" + worker.log()[-3000:])
        cpu_total = cpu_seconds(pid)
        rss = peak_rss_mb(pid)
        started_processes = len(set(session_processes(pid)) - {pid})
        elapsed = time.monotonic() - began
    finally:
        worker.stop()
    minutes = elapsed / 60
    steady_minutes = (elapsed - started) / 60
    return {
        "seconds": round(elapsed, 1), "startup_seconds": round(started, 2),
        "cpu_seconds": round(cpu_total, 2), "cpu_seconds_startup": round(cpu_start, 2),
        "cpu_seconds_per_minute": round(cpu_total / minutes, 3),
        "cpu_seconds_per_minute_after_start": round((cpu_total - cpu_start) / steady_minutes, 3)
        if steady_minutes > 0 else None,
        "peak_rss_mb": round(rss, 1), "processes_started_and_running": started_processes,
    }


def full_mailbox_poll(srv: harness.Servers, work: Path, count: int) -> dict:
    began = time.perf_counter()
    with srv.dovecot.client(srv.user) as c:
        for i in range(0, count, APPEND_BATCH):
            c.multiappend("INBOX", [harness.small_message(n) for n in range(i, min(count, i + APPEND_BATCH))])
        info = c.select_folder("INBOX", readonly=True)
        uidvalidity = int(info[b"UIDVALIDITY"])
        uids = c.search(["ALL"])
    append_seconds = time.perf_counter() - began

    settings = harness.settings_for(srv, work, poll_interval_seconds=POLL_INTERVAL)
    app = bootstrap(settings)
    source = MailSource()
    account = source.account(settings)
    # What processing them would have left behind: a processed row for each, and the
    # position after the last UID (processing them for real would also move them out of INBOX).
    with app.db.unit_of_work() as s:
        s.add_all(IncomingMessage(account=account, folder="INBOX", uidvalidity=uidvalidity, uid=uid,
                                  message_id=f"<small-{n}@bench.example>", size=200, state="ignored",
                                  attempts=0, received_at=NOW, updated_at=NOW, classification="list",
                                  filed_to=settings.imap.processed_folder)
                  for n, uid in enumerate(uids))
        s.merge(WorkerState(key=f"position:{account}:INBOX", value=f"{uidvalidity}:{max(uids)}"))
    times = []
    for _ in range(POLL_RUNS):
        t = time.perf_counter()
        summary = run_cycle(app, source, NOW)
        times.append(time.perf_counter() - t)
        if summary.poll is None or summary.poll.seen != 0 or summary.problems:
            raise RuntimeError(f"the poll was not empty: {summary.lines()}")
    app.db.dispose()
    return {"mailbox_messages": len(uids), "append_seconds": round(append_seconds, 1),
            "poll_seconds_median": round(sorted(times)[len(times) // 2], 3),
            "poll_seconds_max": round(max(times), 3), "poll_runs": POLL_RUNS}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=300.0, help="how long the idle worker is watched")
    ap.add_argument("--messages", type=int, default=10_000, help="messages in the mailbox for the poll")
    args = ap.parse_args()

    work = harness.workdir("idle")
    with harness.servers() as srv:
        idle = idle_worker(srv, work / "push", args.seconds)
    with harness.servers() as srv:
        poll = full_mailbox_poll(srv, work / "poll", args.messages)
    shutil.rmtree(work, ignore_errors=True)

    rate = idle["cpu_seconds_per_minute"]
    figures = {"idle": idle, "poll": poll, "poll_interval_seconds": POLL_INTERVAL,
               "load_average_1min": round(os.getloadavg()[0], 2),
               "targets": {"cpu_seconds_per_minute": TARGET_CPU_PER_MINUTE, "peak_rss_mb": TARGET_RSS_MB,
                           "poll_seconds": TARGET_POLL_SECONDS},
               "met": rate < TARGET_CPU_PER_MINUTE and idle["peak_rss_mb"] < TARGET_RSS_MB
               and poll["poll_seconds_max"] < TARGET_POLL_SECONDS}
    harness.report("idle", figures, [
        ("idle worker watched", f"{idle['seconds']:.0f} s", f"push, full poll every {POLL_INTERVAL} s"),
        ("CPU seconds (of which start-up)",
         f"{idle['cpu_seconds']:.2f} ({idle['cpu_seconds_startup']:.2f})", ""),
        ("CPU seconds per minute", f"{rate:.3f}", f"target < {TARGET_CPU_PER_MINUTE:g}"),
        ("  after start-up", f"{idle['cpu_seconds_per_minute_after_start']}", ""),
        ("peak RSS", f"{idle['peak_rss_mb']:.1f} MB", f"target < {TARGET_RSS_MB:g} MB"),
        ("poll, nothing new, messages in INBOX", f"{poll['mailbox_messages']:,}", ""),
        ("poll time median / max", f"{poll['poll_seconds_median']:.3f} / {poll['poll_seconds_max']:.3f} s",
         f"target < {TARGET_POLL_SECONDS:g} s"),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
