"""Backlog throughput with 1, 2 and 3 worker processes on PostgreSQL.

Three programs, each with its own mailbox in a real Dovecot holding the same
number of applications; N `inbox-worker run` processes share one PostgreSQL
database. Each mailbox is polled by one worker at a time and every worker
sends, so more workers help until the mailboxes run out.

    .venv/bin/python bench/workers.py [--per-program 200] [--workers 1 2 3]

Needs the PostgreSQL server at INBOX_WORKER_TEST_POSTGRES (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Prints one JSON line,
then a table.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import databases
from databases import fresh_database
from intake_world import application
from servers import DovecotServer, SmtpServer
from test_many_programs import PROGRAMS, write_config
from workers import WorkerProcess


def run(workers: int, per_program: int, dovecot: DovecotServer, smtp: SmtpServer) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="iw-bench-workers-"))
    users = [dovecot.add_user() for _ in PROGRAMS]
    for user in users:
        for n in range(per_program):
            # A fresh Message-ID for each; the 100 applicants then send again with a new phone
            # number, as updates (a form sent again unchanged is not answered).
            dovecot.append(user, application(n % 100).replace(b"<crash-", f"<bench-{n}-".encode())
                           .replace(b"307-555-0121", f"307-555-{n // 100:04d}".encode()))
    total = len(PROGRAMS) * per_program
    before = len(smtp.received)
    databases.KIND = "postgresql"
    with fresh_database(tmp) as url:
        config = tmp / "programs.toml"
        write_config(config, dovecot, users, smtp, url, tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
        env["INBOX_WORKER_CONFIG"] = str(config)
        started = time.monotonic()
        procs = [WorkerProcess(env, tmp / f"worker-{i}.log") for i in range(workers)]
        try:
            deadline = started + 600
            while len(smtp.received) - before < total and time.monotonic() < deadline:
                time.sleep(0.1)
            seconds = time.monotonic() - started
        finally:
            for p in procs:
                p.stop()
    done = len(smtp.received) - before
    return {"workers": workers, "applications": total, "acknowledged": done, "seconds": round(seconds, 1),
            "per_second": round(done / seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-program", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    dovecot, smtp = DovecotServer().start(), SmtpServer().start()
    try:
        results = [run(n, args.per_program, dovecot, smtp) for n in args.workers]
    finally:
        dovecot.stop()
        smtp.stop()
    print(json.dumps({"benchmark": "workers", "database": "postgresql", "results": results}))
    print(f"{'workers':>8} {'applications':>13} {'seconds':>8} {'per second':>11}")
    for r in results:
        print(f"{r['workers']:>8} {r['applications']:>13} {r['seconds']:>8} {r['per_second']:>11}")


if __name__ == "__main__":
    main()
