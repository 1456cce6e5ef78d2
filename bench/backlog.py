"""Backlog benchmark: 2,000 mixed applications already in INBOX, and the floor beside it.

A real Dovecot and aiosmtpd are started on 127.0.0.1 and INBOX is filled
with generated applications, a third each inline, docx and pdf, every one a
new applicant. Then, in this one process:

1. the floor: every message fetched with imapclient and parsed with the
   standard library's `email` (each part decoded), nothing else;
2. the backlog: `run_cycle` repeated until a cycle finds nothing new in INBOX
   and nothing left to send (the outbox sends at most 500 a cycle). The
   worker reads each message's form in its reading processes
   (`--extraction-processes`, default the setting's), handing out the next
   ones while it records the current one. The worker's own time is split by
   stage by wrapping the functions that do each (bench/stages.py): fetch
   (IMAP scan and download), parse (the header block), classify (the headers;
   replies to our mail), extract (waiting for a reading process to be free,
   and for its answer), store
   (database transactions, the raw-mail file), render (templates and the
   outgoing email), send (SMTP), file (IMAP MOVE), lease; "other" is what no
   wrapper covers. The reading processes' CPU time (the form, and
   mail-parser's look at the message) is read from /proc before they stop.

Prints one JSON line, then a table.

    .venv/bin/python bench/backlog.py [--count 2000] [--seed 20250601] [--extraction-processes N]

Target: at least 25 messages per second.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import os
import shutil
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from stages import StageClock

from inbox_worker.intake import notify, pipeline
from inbox_worker.intake.extractor import ReadingProcesses
from inbox_worker.intake.pipeline import Intake
from inbox_worker.mail.imap import ImapMailbox
from inbox_worker.mail.sender import SmtpSender
from inbox_worker.outbound.emails import Templates
from inbox_worker.program import replies
from inbox_worker.store import lease
from inbox_worker.store.database import Database
from inbox_worker.store.rawstore import RawStore
from inbox_worker.worker import MailSource, bootstrap, run_cycle

NOW = datetime(2026, 4, 10, 9, 0)
TARGET_RATE = 25.0
# Each cycle sends at most 500; a few more than count/500 cycles is a generous bound.
MAX_CYCLES = 40
FLOOR_BATCH = 100


def floor(srv: harness.Servers) -> tuple[float, int]:
    """Fetch every message in INBOX (batches of FLOOR_BATCH) and parse it: seconds, bytes."""
    began = time.perf_counter()
    total = 0
    with srv.dovecot.client(srv.user) as c:
        c.select_folder("INBOX", readonly=True)
        uids = c.search(["ALL"])
        for i in range(0, len(uids), FLOOR_BATCH):
            for data in c.fetch(uids[i:i + FLOOR_BATCH], ["BODY.PEEK[]"]).values():
                raw = data[b"BODY[]"]
                total += len(raw)
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                for part in msg.walk():
                    if not part.is_multipart():
                        part.get_payload(decode=True)
    return time.perf_counter() - began, total


def instrument(clock: StageClock, reader_cpu: list[float]) -> None:
    clock.wrap(ImapMailbox, "scan", "fetch")
    clock.wrap(ImapMailbox, "fetch", "fetch")
    clock.wrap(ImapMailbox, "move_many", "file")
    clock.wrap(lease, "acquire", "lease")
    clock.wrap(pipeline, "parse_headers", "parse")
    clock.wrap(pipeline, "classify", "classify")
    clock.wrap(replies, "route", "classify")
    clock.wrap_context(Database, "unit_of_work", "store")
    # The outbox's run of units of work, one for each email, on one connection (less the sending).
    clock.wrap_context(Database, "units_of_work", "store")
    clock.wrap(RawStore, "put", "store")
    clock.wrap(Templates, "render", "render")
    clock.wrap(notify, "build_message", "render")
    clock.wrap(SmtpSender, "send", "send")
    # Extraction as the worker sees it: the wait for a free reading process, then for its answer.
    clock.wrap(ReadingProcesses, "submit", "extract")
    clock.wrap(Intake, "wait_for", "extract")
    close = ReadingProcesses.close

    def closing(self):
        reader_cpu.extend(cpu_seconds(pid) for pid in self.pids())
        close(self)

    ReadingProcesses.close = closing


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--extraction-processes", type=int, default=None, metavar="N",
                    help="worker.extraction_processes for the run (default: the setting's own default, "
                         "one per core, at most 4)")
    args = ap.parse_args()

    messages = harness.corpus(args.count, args.seed)
    work = harness.workdir("backlog")
    with harness.servers() as srv:
        append_seconds = harness.append_many(srv, [raw for _fmt, raw in messages])
        floor_seconds, floor_bytes = floor(srv)

        processes = {} if args.extraction_processes is None else {
            "extraction_processes": args.extraction_processes}
        settings = harness.settings_for(srv, work, **processes)
        app = bootstrap(settings)
        clock = StageClock()
        reader_cpu: list[float] = []
        instrument(clock, reader_cpu)
        # The SMTP server runs on a thread of this process: its CPU time is the server's, not ours.
        smtp_cpu_began, cpu_began = srv.smtp.cpu_seconds(), time.process_time()
        began = time.perf_counter()
        cycles, outcomes = 0, Counter()
        while cycles < MAX_CYCLES:
            summary = run_cycle(app, MailSource(), NOW)
            cycles += 1
            outcomes.update(summary.poll.outcomes)
            if summary.problems:
                print("problems:", *summary.problems[:5], sep="\n  ", file=sys.stderr)
            if summary.poll.seen == 0 and summary.drain.sent == 0:
                break
        wall = time.perf_counter() - began
        process_cpu = time.process_time() - cpu_began - (srv.smtp.cpu_seconds() - smtp_cpu_began)
        received = list(srv.smtp.received)
        left = srv.dovecot.list_folder(srv.user, "INBOX")
        app.db.dispose()
    shutil.rmtree(work, ignore_errors=True)

    acks = sum(1 for r in received if harness.COORDINATOR not in r.recipients)
    reviews = len(received) - acks
    stages = dict(clock.seconds)
    other = max(0.0, wall - sum(stages.values()))
    shares = {k: round(v / wall, 4) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])}
    shares["other"] = round(other / wall, 4)
    readers = sum(reader_cpu)
    rate = args.count / wall
    floor_rate = args.count / floor_seconds
    figures = {
        "messages": args.count,
        "formats": {f: sum(1 for g, _ in messages if g == f) for f in harness.FORMATS},
        "extraction_processes": settings.worker.extraction_processes,
        "seconds": round(wall, 2), "messages_per_second": round(rate, 2), "cycles": cycles,
        "acknowledged": acks, "review_notices": reviews, "left_in_inbox": len(left),
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "stage_seconds": {k: round(v, 2) for k, v in stages.items()} | {"other": round(other, 2)},
        "stage_share_of_wall": shares, "reading_processes_cpu_seconds": round(readers, 2),
        "worker_cpu_seconds": round(process_cpu, 2),
        "floor_seconds": round(floor_seconds, 2), "floor_messages_per_second": round(floor_rate, 1),
        "floor_megabytes": round(floor_bytes / 1e6, 1), "ratio_to_floor": round(wall / floor_seconds, 1),
        "append_seconds": round(append_seconds, 2), "load_average_1min": round(os.getloadavg()[0], 2),
        "target_messages_per_second": TARGET_RATE,
        "met": rate >= TARGET_RATE and not left,
    }
    rows = [
        ("messages (inline/docx/pdf)", f"{args.count} ({'/'.join(map(str, figures['formats'].values()))})",
         ""),
        ("reading processes", str(settings.worker.extraction_processes), ""),
        ("all answered in", f"{wall:.1f} s", f"{cycles} cycle(s)"),
        ("messages per second", f"{rate:.1f}", f"target >= {TARGET_RATE:g}"),
        ("acknowledgements / review notices", f"{acks} / {reviews}", f"{len(left)} left in INBOX"),
        ("what became of the messages", ", ".join(f"{v} {k}" for k, v in outcomes.most_common()), ""),
        ("the worker's wall time by stage", "", ""),
    ]
    rows += [(f"  {k}" + (" (waiting for a reading process)" if k == "extract" else ""),
              f"{100 * v:.1f} %", f"{stages.get(k, other):.1f} s") for k, v in shares.items()]
    rows += [
        ("worker CPU (less the SMTP server's thread)", f"{process_cpu:.1f} s",
         f"{1000 * process_cpu / args.count:.1f} ms a message"),
        ("reading processes' CPU", f"{readers:.1f} s", f"{1000 * readers / args.count:.1f} ms a message"),
        ("floor: fetch + stdlib parse", f"{floor_seconds:.1f} s", f"{floor_rate:.0f} msg/s"),
        ("backlog / floor", f"{wall / floor_seconds:.1f}x", ""),
    ]
    harness.report("backlog", figures, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
