"""A reading process: reads messages for forms, under hard limits, fed by the worker over a pipe.

`extractor.ReadingProcesses` starts it as

    python -m inbox_worker.intake.reader --parent PID --memory-mb N

At start it asks the kernel to kill it when the worker dies (`PR_SET_PDEATHSIG`, so a SIGKILLed
worker leaves no reader behind, even one busy in C code), checks that the worker is still its
parent, and limits its own address space (RLIMIT_AS), loads the readers and says it is ready. Then it
reads messages from stdin and writes its answers to the pipe that was its stdout, one frame
each (`write_frame`). It answers
"over the memory limit" and leaves when a message took it to the edge of its limit, so the next
message starts in a fresh process; the worker kills it when a message takes too long.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import resource
import signal
import struct
import sys
from typing import BinaryIO

# A frame: its length (8 bytes, big-endian), then that many bytes.
_LENGTH = struct.Struct(">Q")
# prctl(2): set the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1
# A message whose reading took the address space this close to the limit (a failed allocation,
# caught and turned into a reader's complaint, leaves no other trace) counts as over it.
NEAR_LIMIT = 0.9
OVER_MEMORY = {"over_limit": "memory"}


def write_frame(out: BinaryIO, data: bytes) -> None:
    out.write(_LENGTH.pack(len(data)))
    out.write(data)
    out.flush()


def read_frame(source: BinaryIO) -> bytes | None:
    """The next frame, or None at the end of the stream."""
    head = source.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = source.read(length)
    return data if len(data) == length else None


def frame_length(head: bytes) -> int:
    return _LENGTH.unpack(head)[0]


FRAME_HEAD = _LENGTH.size


READY = b"ready"


def read_message(held: list[bytes]) -> dict:
    """The message `held` holds, read: what `extractor.Reading.from_answer` takes back.

    The bytes are taken out of `held` as they are parsed, so that (given the only reference)
    they are freed before the form is read: a large message is not held twice meanwhile."""
    from inbox_worker.extract.bodies import body_text
    from inbox_worker.extract.message import extract_parsed, parse_message
    from inbox_worker.record import UnreadableInput

    try:
        msg = parse_message(held.pop())
    except UnreadableInput as e:
        return {"problem": f"the message could not be read: {e}"}
    answer: dict = {"text": body_text(msg)}
    try:
        extraction = extract_parsed(msg)
        answer["extraction"] = extraction.model_dump(mode="json")
    except UnreadableInput as e:
        extraction, answer["problem"] = None, f"the message could not be read: {e}"
    if extraction is None or extraction.kind != "application":
        # For the coordinator it is set aside for: what is attached, and how it is broken.
        answer |= _facts(msg)
    return answer


def _facts(msg) -> dict:
    """What mail-parser finds in the message beside its form: the ways it breaks the rules of
    email, and its attachments (file name, type)."""
    import mailparser

    try:
        parsed = mailparser.MailParser(msg)
        return {"defects": sorted(parsed.defects_categories),
                "attachments": [[str(a.get("filename") or ""), str(a.get("mail_content_type") or "")]
                                for a in parsed.attachments]}
    except Exception:  # mail-parser only adds detail; a message it cannot take is read without it
        return {}


def _load_readers() -> None:
    """Import every reader now, so the time a message is given counts its reading only."""
    import mailparser  # noqa: F401

    from inbox_worker.extract import bodies, docx, html, message, odt, pdf, text  # noqa: F401


def _die_with(parent: int) -> None:
    """Be killed by the kernel when the worker dies; leave now if it is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pipe's end still stops an idle reader
        pass
    if os.getppid() != parent:
        os._exit(0)


def _peak_address_space() -> int:
    """The most address space this process has held so far, in bytes (Linux: VmPeak)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="A reading process of inbox-worker (started by the worker).")
    ap.add_argument("--parent", type=int, required=True)
    ap.add_argument("--memory-mb", type=int, required=True)
    args = ap.parse_args(argv)
    _die_with(args.parent)
    # Ctrl-C in a terminal reaches the whole process group: the worker stops its readers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # The answers go to the pipe that was stdout; anything a library prints goes to stderr instead.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    logging.disable(logging.CRITICAL)
    _load_readers()
    write_frame(answers, READY)
    requests = sys.stdin.buffer
    while (raw := read_frame(requests)) is not None:
        held = [raw]
        del raw
        try:
            answer = read_message(held)
        except MemoryError:
            answer = OVER_MEMORY
        except Exception as e:  # a fault in a reader: the message is set aside with it, not retried
            answer = {"problem": f"the message could not be read (a fault in the reader: {type(e).__name__})"}
        if answer is not OVER_MEMORY and _peak_address_space() >= NEAR_LIMIT * limit:
            answer = OVER_MEMORY
        write_frame(answers, json.dumps(answer).encode())
        if answer is OVER_MEMORY:
            return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
