"""Backlog benchmark: 2,000 mixed applications already in INBOX, and the floor beside it.

A real Dovecot and aiosmtpd are started on 127.0.0.1 and INBOX is filled
with generated applications, a third each inline, docx and pdf, every one a
new applicant. Then, in this one process:

1. the floor: every message fetched with imapclient and parsed with the
   standard library's `email` (each part decoded), nothing else;
2. the backlog: `run_cycle` repeated until the SMTP server has received an
   answer for every message (the outbox sends at most 500 a cycle), with the
   worker's reading processes (`--extraction-processes`, default the
   setting's) extracting ahead. The writer (this process) is timed per stage
   by wrapping the functions that do each: fetch (IMAP scan and download),
   parse, classify (sender, replies to our mail), extract (here: waiting for
   a reading process, or reading a message itself), store (database
   transactions, and the wait for the raw-mail file, written on a thread of
   its own), render (templates and the outgoing
   email's bytes), send (SMTP), file (IMAP MOVE), lease; "other" is what no
   wrapper covers. Extraction's CPU time is summed wherever it ran. A message
   a reading process reads is parsed whole only there, as part of reading
   it, and here only for its headers; the text that process also reads from
   it, for replies, is counted with the writer's time, not as extraction.

The extraction target is judged on work: the writer's time outside
extraction against that time plus extraction's CPU time. The same share is
also given by CPU time alone: this process's CPU, less the SMTP server's
thread and any extraction done here, against extraction's CPU. The writer's
wall time also holds its waits for the servers and the disk, and the time the
reading processes and Dovecot keep it off a core; its CPU time does not.

Prints one JSON line, then a table.

    .venv/bin/python bench/backlog.py [--count 2000] [--seed 20250601]

Targets: at least 25 messages per second, and the stages other than
extraction under 30% of the time.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import os
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from stages import StageClock

from inbox_worker.extract import extract_message
from inbox_worker.intake import pipeline, readahead
from inbox_worker.intake.readahead import ReadAhead
from inbox_worker.mail.imap import ImapMailbox
from inbox_worker.mail.sender import SmtpSender
from inbox_worker.outbound.emails import Templates
from inbox_worker.program import replies
from inbox_worker.store import lease
from inbox_worker.store.database import Database
from inbox_worker.store.rawstore import Keeping
from inbox_worker.worker import MailSource, bootstrap, run_cycle

NOW = datetime(2026, 4, 10, 9, 0)
TARGET_RATE = 25.0
TARGET_OTHER_SHARE = 0.30
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


def instrument(clock: StageClock, reading_seconds: list[float], read_here: list[float],
               text_seconds: list[float]) -> None:
    clock.wrap(ImapMailbox, "scan", "fetch")
    clock.wrap(ImapMailbox, "fetch", "fetch")
    clock.wrap(ImapMailbox, "fetch_many", "fetch")
    clock.wrap(ImapMailbox, "move_many", "file")
    clock.wrap(lease, "acquire", "lease")
    # Reading the message for who sent it and whether it answers the program's own mail: its
    # headers, and for a message read here the whole of it (which extraction then reads), are
    # counted on their own, and not as extraction. So is its text, read for replies.
    clock.wrap(pipeline, "parse_headers", "parse")
    clock.wrap(pipeline, "parse_message", "parse")
    clock.wrap(pipeline, "classify", "classify")
    clock.wrap(replies, "route", "classify")
    clock.wrap(readahead, "body_text", "classify")
    clock.wrap_context(Database, "unit_of_work", "store")
    # The outbox's run of units of work, one for each email, on one connection (less the sending).
    clock.wrap_context(Database, "units_of_work", "store")
    # The raw-mail file is written on the store's own thread: what counts is the wait for it.
    clock.wrap(Keeping, "sha256", "store")
    clock.wrap(Templates, "render", "render")
    clock.wrap(pipeline, "build_message", "render")
    clock.wrap(pipeline, "_blank_form", "render")
    clock.wrap(SmtpSender, "send", "send")
    # Extraction as the writer sees it: the wait for a reading process's answer, or the reading
    # itself for a message read in this process.
    clock.wrap(ReadAhead, "read", "extract")
    close = ReadAhead.close

    def closing(self):
        reading_seconds.append(self.busy_seconds)
        text_seconds.append(self.text_seconds)
        close(self)

    ReadAhead.close = closing

    # CPU time of the messages read in this process rather than by a reading process.
    extract_here = readahead.extract_parsed

    def timed_extract(msg):
        began = time.process_time()
        try:
            return extract_here(msg)
        finally:
            read_here.append(time.process_time() - began)

    readahead.extract_parsed = timed_extract


def extraction_cost(messages: list[tuple[str, bytes]], per_format: int = 100) -> dict[str, float]:
    """Milliseconds one message of each format takes to read, in this process, on its own
    (after a few of each, so the readers' one-time set-up is not counted)."""
    out = {}
    for fmt in harness.FORMATS:
        sample = [raw for f, raw in messages if f == fmt][:per_format]
        for raw in sample[:5]:
            extract_message(raw)
        began = time.perf_counter()
        for raw in sample:
            extract_message(raw)
        out[fmt] = round(1000 * (time.perf_counter() - began) / max(1, len(sample)), 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--profile", metavar="FILE.txt",
                    help="also profile the cycles with pyinstrument (pip install pyinstrument) into "
                         "FILE.txt; "
                         "the profiler slows the run, so its figures are not the benchmark's")
    ap.add_argument("--extraction-processes", type=int, default=None, metavar="N",
                    help="worker.extraction_processes for the run (default: the setting's own default, "
                         "one per core but the worker's, at most 4)")
    args = ap.parse_args()

    messages = harness.corpus(args.count, args.seed)
    extract_ms = extraction_cost(messages)
    work = harness.workdir("backlog")
    with harness.servers() as srv:
        append_seconds = harness.append_many(srv, [raw for _fmt, raw in messages])
        floor_seconds, floor_bytes = floor(srv)

        processes = {} if args.extraction_processes is None else {
            "extraction_processes": args.extraction_processes}
        settings = harness.settings_for(srv, work, **processes)
        app = bootstrap(settings)
        clock = StageClock()
        reading_seconds: list[float] = []
        read_here: list[float] = []
        text_seconds: list[float] = []
        instrument(clock, reading_seconds, read_here, text_seconds)
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002)
            profiler.start()
        # The SMTP server runs on a thread of this process: its CPU time is the server's, not ours.
        smtp_cpu_began, cpu_began = srv.smtp.cpu_seconds(), time.process_time()
        began = time.perf_counter()
        cycles = 0
        while len(srv.smtp.received) < args.count and cycles < MAX_CYCLES:
            summary = run_cycle(app, MailSource(), NOW)
            cycles += 1
            if summary.problems:
                print("problems:", *summary.problems[:5], sep="\n  ", file=sys.stderr)
        if profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_text(unicode=False, color=False))
        # aiosmtpd records a message on its own thread just after answering DATA.
        harness.wait_until(lambda: len(srv.smtp.received) >= args.count, timeout=10)
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
    # Where the work goes: the writer's time on everything but extraction, against the CPU time
    # extraction took wherever it ran. With reading processes, the writer's "extract" stage is
    # only its wait for their answers, so its wall-time share alone would flatter extraction.
    # A reading process also reads each message's text, for replies: that is not extraction.
    texts = sum(text_seconds)
    writer_other = wall - stages.get("extract", 0.0) + texts
    reading = sum(reading_seconds)
    not_extract = writer_other / (writer_other + reading)
    writer_cpu_other = process_cpu - sum(read_here) + texts
    not_extract_cpu = writer_cpu_other / (writer_cpu_other + reading)
    rate = args.count / wall
    floor_rate = args.count / floor_seconds
    figures = {
        "messages": args.count,
        "formats": {f: sum(1 for g, _ in messages if g == f) for f in harness.FORMATS},
        "extraction_processes": settings.worker.extraction_processes,
        "seconds": round(wall, 2), "messages_per_second": round(rate, 2), "cycles": cycles,
        "acknowledged": acks, "review_notices": reviews, "left_in_inbox": len(left),
        "stage_seconds": {k: round(v, 2) for k, v in stages.items()} | {"other": round(other, 2)},
        "stage_share_of_wall": shares, "extraction_cpu_seconds": round(reading, 2),
        "writer_seconds_not_extraction": round(writer_other, 2),
        "reply_text_seconds_in_readers": round(texts, 2),
        "share_not_extraction": round(not_extract, 4), "extract_ms_by_format": extract_ms,
        "writer_cpu_seconds_not_extraction": round(writer_cpu_other, 2),
        "share_not_extraction_cpu": round(not_extract_cpu, 4),
        "floor_seconds": round(floor_seconds, 2), "floor_messages_per_second": round(floor_rate, 1),
        "floor_megabytes": round(floor_bytes / 1e6, 1), "ratio_to_floor": round(wall / floor_seconds, 1),
        "append_seconds": round(append_seconds, 2), "load_average_1min": round(os.getloadavg()[0], 2),
        "target_messages_per_second": TARGET_RATE, "target_share_not_extraction": TARGET_OTHER_SHARE,
        "met": rate >= TARGET_RATE and not_extract < TARGET_OTHER_SHARE and len(received) == args.count,
    }
    rows = [
        ("messages (inline/docx/pdf)", f"{args.count} ({'/'.join(map(str, figures['formats'].values()))})",
         ""),
        ("reading processes", str(settings.worker.extraction_processes), ""),
        ("all answered in", f"{wall:.1f} s", f"{cycles} cycle(s)"),
        ("messages per second", f"{rate:.1f}", f"target >= {TARGET_RATE:g}"),
        ("acknowledgements / review notices", f"{acks} / {reviews}", f"{len(left)} left in INBOX"),
        ("the writer's wall time by stage", "", ""),
    ]
    rows += [(f"  {k}" + (" (waiting for readers)" if k == "extract" and reading_seconds else ""),
              f"{100 * v:.1f} %", f"{stages.get(k, other):.1f} s") for k, v in shares.items()]
    rows += [
        ("extraction CPU, wherever it ran", f"{reading:.1f} s", ""),
        ("share not extraction (writer's other time", f"{100 * not_extract:.1f} %",
         f"target < {100 * TARGET_OTHER_SHARE:g} %"),
        ("  over it plus extraction CPU)", "", ""),
        ("writer per message outside extraction", f"{1000 * writer_other / args.count:.1f} ms",
         f"CPU {1000 * writer_cpu_other / args.count:.1f} ms"),
        ("extraction CPU per message", f"{1000 * reading / args.count:.1f} ms", ""),
        ("share not extraction, by CPU alone", f"{100 * not_extract_cpu:.1f} %", ""),
        ("extract ms per message by format, alone",
         ", ".join(f"{k} {v}" for k, v in extract_ms.items()), ""),
        ("floor: fetch + stdlib parse", f"{floor_seconds:.1f} s", f"{floor_rate:.0f} msg/s"),
        ("backlog / floor", f"{wall / floor_seconds:.1f}x", ""),
    ]
    harness.report("backlog", figures, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
