"""Latency benchmark: how soon an applicant's acknowledgement leaves, with the worker in push mode.

`inbox-worker run` runs as its own process (push on: IMAP IDLE, the full
poll only every 10 minutes so it cannot be what answers) against a real
Dovecot and aiosmtpd on 127.0.0.1. 50 applications of mixed formats are
appended one at a time, at random intervals from a fixed seed; for each,
the time from just before its APPEND to the moment the SMTP server has the
acknowledgement that answers it (matched on In-Reply-To).

    .venv/bin/python bench/latency.py [--count 50] [--seed 7]

Target: p95 under 3 seconds (Dovecot itself reports new mail to IDLE after
about half a second).
"""
from __future__ import annotations

import argparse
import email
import email.policy
import os
import random
import re
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from workers import WorkerProcess

TARGET_P95 = 3.0
# Seconds between two appends: long enough that most arrive to an idle worker, short enough
# that some land while it is still answering the one before.
GAP = (0.5, 3.0)
# How long one acknowledgement may take before the benchmark stops waiting for it.
GIVE_UP = 60.0
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:[ \t]*(<[^>\r\n]*>)")


class TimedList(list):
    """The SMTP handler's record of received mail, with the moment each one arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []
        self.lock = threading.Lock()

    def append(self, item) -> None:
        with self.lock:
            self.at.append(time.monotonic())
            super().append(item)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    messages = harness.corpus(args.count, args.seed)
    rng = random.Random(args.seed)
    work = harness.workdir("latency")
    with harness.servers() as srv:
        received = TimedList()
        srv.smtp.handler.received = received
        env = harness.worker_env(srv, work, INBOX_WORKER_WORKER__POLL_INTERVAL_SECONDS="600")
        worker = WorkerProcess(env, work / "worker.log")
        sent_at: dict[bytes, float] = {}
        try:
            if not worker.wait_for(lambda: "mailbox: 0 new" in worker.log(), timeout=60):
                print(worker.log()[-3000:], file=sys.stderr)
                return 1
            time.sleep(1.0)  # the watcher has entered IDLE by now
            with srv.dovecot.client(srv.user) as c:
                for _fmt, raw in messages:
                    time.sleep(rng.uniform(*GAP))
                    sent_at[MESSAGE_ID.search(raw).group(1)] = time.monotonic()
                    c.append("INBOX", raw)
            harness.wait_until(lambda: len(received) >= args.count, timeout=GIVE_UP, step=0.05)
        finally:
            code = worker.stop()
    latencies = []
    with received.lock:
        arrivals = list(zip(received.at, received, strict=True))
    for at, r in arrivals:
        reply = email.message_from_bytes(r.data, policy=email.policy.default)
        original = str(reply.get("In-Reply-To") or "").encode()
        if original in sent_at:
            latencies.append(at - sent_at.pop(original))
    shutil.rmtree(work, ignore_errors=True)

    answered = len(latencies)
    p50 = harness.percentile(latencies, 50) if latencies else float("nan")
    p95 = harness.percentile(latencies, 95) if latencies else float("nan")
    worst = max(latencies) if latencies else float("nan")
    figures = {
        "messages": args.count, "answered": answered,
        "p50_seconds": round(p50, 3), "p95_seconds": round(p95, 3),
        "max_seconds": round(worst, 3), "mean_seconds": round(sum(latencies) / max(1, answered), 3),
        "gap_seconds": list(GAP), "worker_exit_code": code, "load_average_1min": round(os.getloadavg()[0], 2),
        "target_p95_seconds": TARGET_P95, "met": answered == args.count and p95 < TARGET_P95,
    }
    harness.report("latency", figures, [
        ("applications appended", str(args.count), f"every {GAP[0]:g}-{GAP[1]:g} s"),
        ("acknowledged", str(answered), ""),
        ("p50", f"{p50:.2f} s", ""),
        ("p95", f"{p95:.2f} s", f"target < {TARGET_P95:g} s"),
        ("max", f"{worst:.2f} s", ""),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
