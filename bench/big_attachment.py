"""Big-attachment benchmark: peak memory of the worker processing one message with a 25 MB attachment.

The message is an application written in the body with 25 MiB attached
(random bytes, so nothing compresses: about 35 MB once base64 encoded),
once as a photo, which the worker never decodes, and once as a PDF, which
it must decode to find it is too big to open. `imap.max_message_bytes` is raised to 40 MiB for the run, or the
worker would rightly set the message aside unread. `inbox-worker run --once`
processes it as a process of its own; the message is read in one of its
reading processes. Two figures: the worker and its reading processes
together (their resident memory summed, sampled every 20 ms), which is what
the machine must have, and the largest of them alone (exact, from the
kernel's accounting of the finished processes). The same is measured first
for an ordinary application, as the baseline.

    .venv/bin/python bench/big_attachment.py [--megabytes 25]

Target: peak RSS under 250 MB, for the worker and for its reading process.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from workers import run_once_measured

TARGET_RSS_MB = 250.0
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


# What the 25 MB may be: a photo (never read by the worker) or a document it must open and refuse.
KINDS = {"photo": ("image", "jpeg", "portfolio-scan.jpg"),
         "document": ("application", "pdf", "scanned-form.pdf")}


def with_attachment(base: bytes, megabytes: float, kind: str = "photo", seed: int = 25) -> bytes:
    """The application with `megabytes` MiB of random bytes attached as a photo or a PDF."""
    from email import message_from_bytes, policy

    original = message_from_bytes(base, policy=policy.default)
    msg = EmailMessage()
    for name in ("From", "To", "Subject", "Date"):
        msg[name] = original[name]
    msg["Message-ID"] = f"<big-attachment-{kind}@bench.example>"
    msg.set_content(original.get_body(("plain",)).get_content())
    photo = random.Random(seed).randbytes(int(megabytes * 1024 * 1024))
    maintype, subtype, filename = KINDS[kind]
    if kind == "document":
        photo = b"%PDF-1.4\n" + photo  # a PDF by its first bytes, as a scanner's would be
    msg.add_attachment(photo, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def run_once(srv: harness.Servers, work: Path) -> tuple[int, float, dict[str, float], float]:
    """(exit code, peak RSS of the worker and its reading process together, the peak of each of
    them alone, all in MB, and seconds) of one `run --once`."""
    env = harness.worker_env(srv, work, INBOX_WORKER_IMAP__MAX_MESSAGE_BYTES=str(MAX_MESSAGE_BYTES))
    began = time.perf_counter()
    peaks: dict[str, float] = {}
    code, output, together, _largest = run_once_measured(env, timeout=600, peaks=peaks)
    if code != 0:
        print(output[-3000:], file=sys.stderr)
    # Several command lines may name one process (an exiting one reads as empty): keep the largest.
    each: dict[str, float] = {}
    for command, mb in peaks.items():
        who = "reading process" if "intake.reader" in command else "worker"
        each[who] = max(each.get(who, 0.0), round(mb, 1))
    return code, together, each, time.perf_counter() - began


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--megabytes", type=float, default=25.0)
    args = ap.parse_args()

    # Three applicants, so each message is a new application (the same form again is not answered).
    inline, first, second = [raw for fmt, raw in harness.corpus(12, seed=25) if fmt == "inline"][:3]
    big = with_attachment(first, args.megabytes, "photo")
    document = with_attachment(second, args.megabytes, "document")
    work = harness.workdir("big")
    results = {}
    with harness.servers() as srv:
        for name, raw in (("baseline", inline), ("photo", big), ("document", document)):
            harness.append_many(srv, [raw])
            code, together, each, seconds = run_once(srv, work)
            want = len(results) + 1
            answered = harness.wait_until(lambda want=want: len(srv.smtp.received) >= want, timeout=10)
            results[name] = {"exit_code": code, "peak_rss_mb_together": round(together, 1),
                             "peak_rss_mb_each": each, "seconds": round(seconds, 2), "answered": answered}
        left = srv.dovecot.list_folder(srv.user, "INBOX")
    shutil.rmtree(work, ignore_errors=True)

    peak = max(mb for k in ("photo", "document") for mb in results[k]["peak_rss_mb_each"].values())
    figures = {"attachment_mib": args.megabytes, "message_mb": round(len(big) / 1e6, 1), **results,
               "left_in_inbox": len(left), "load_average_1min": round(os.getloadavg()[0], 2),
               "target_peak_rss_mb": TARGET_RSS_MB,
               "met": peak < TARGET_RSS_MB and not left
               and all(results[k]["answered"] for k in ("photo", "document"))}
    harness.report("big_attachment", figures, [
        ("message (attachment)", f"{len(big) / 1e6:.1f} MB ({args.megabytes:g} MiB)", ""),
        *[(f"peak RSS, {what}: worker / reading process",
           " / ".join(f"{results[k]['peak_rss_mb_each'].get(p, 0):.1f}" for p in ("worker", "reading process"))
           + " MB", f"target < {TARGET_RSS_MB:g} MB" if k != "baseline" else "")
          for k, what in (("baseline", "ordinary application"), ("photo", "25 MB photo attached"),
                          ("document", "25 MB PDF attached"))],
        *[(f"  the two together, {k}", f"{results[k]['peak_rss_mb_together']:.1f} MB", "")
          for k in ("baseline", "photo", "document")],
        ("answered (photo, PDF)", f"{results['photo']['answered']}, {results['document']['answered']}",
         json.dumps({"left_in_inbox": len(left)})),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
