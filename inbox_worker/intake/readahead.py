"""Read ahead: the next messages of a backlog are fetched and read for a form in other
processes while this one stores and answers the current one.

Extraction is a pure function of the message's bytes and costs more than
everything else a message needs, so on a machine with more than one core a
backlog goes faster when it runs beside the rest instead of before it. Only
the reading moves: the database, the mailbox's state and every email stay in
the one process that owns them, and messages are still recorded one by one,
in order, so what survives a crash is unchanged.

Small polls (the usual case: a message or two, or push) never start a
process. The reading processes live for one poll; the small fork server they
are started from stays beside the worker after its first backlog, so the
next one starts at once. Large messages are read in this process as before, so their bytes
are never copied to another one. If a reading process dies (the operating
system killed it, say), the messages it held fail like any other failure:
they are tried again and, after too many tries, set aside for review, and the
worker itself goes on.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from email.message import Message

from inbox_worker.extract.bodies import body_text
from inbox_worker.extract.message import extract_parsed, parse_message
from inbox_worker.mail.mailbox import Mailbox, MailboxError, MessageRef
from inbox_worker.record import Extraction, UnreadableInput
from inbox_worker.store.rawstore import Keeping, RawStore

log = logging.getLogger(__name__)

# A poll with fewer new messages than this reads them here: starting a process costs
# about a second, more than a few messages take to read.
MIN_BACKLOG = 40
# Messages fetched and handed out ahead of the one being processed: between WINDOW and
# twice as many, fetched WINDOW at a time.
WINDOW = 8
# Bigger messages are read in this process, so their bytes are never held twice.
MAX_AHEAD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Reading:
    """A message from a person, read: its extraction (None when it could not be read, and
    `problem` says why) and its body's text, where replies to the program's mail are read."""

    extraction: Extraction | None
    problem: str | None
    text: str


class ExtractionLost(Exception):
    """The process reading this message died before it answered."""


class ReadAhead:
    """Fetches and extracts `refs` ahead of their turn. Use as a context manager.

    `fetch(ref)` and `read(ref, msg)` are called for the refs in their order;
    a ref that was never handed out (too big, a mailbox error while
    prefetching, no pool) is fetched and read here, exactly as without it.
    """

    def __init__(self, mailbox: Mailbox, refs: list[MessageRef], max_bytes: int, processes: int,
                 raw_store: RawStore | None = None) -> None:
        self._mailbox = mailbox
        self._raw_store = raw_store
        self._refs = refs
        self._max_bytes = min(max_bytes, MAX_AHEAD_BYTES)
        self._index = {ref.uid: i for i, ref in enumerate(refs)}
        self._next = 0  # the next ref to consider handing out
        # Per message handed out: its bytes, its reading, and its raw file being written.
        self._ahead: dict[int, tuple[bytes, Future, Keeping | None]] = {}
        self._pool: ProcessPoolExecutor | None = None
        # CPU seconds spent extracting, here and in the reading processes, and reading the
        # text in the reading processes (for the benchmarks).
        self.busy_seconds = 0.0
        self.text_seconds = 0.0
        if processes > 0 and len(refs) >= MIN_BACKLOG:
            # forkserver, not fork: the worker has threads (IDLE watcher, scheduler), and a
            # forked copy of a process with threads can hang on a lock held at fork time.
            context = multiprocessing.get_context("forkserver")
            # The server that forks the reading processes imports the readers once.
            context.set_forkserver_preload(["inbox_worker.intake.readahead"])
            self._pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_follow_parent)
            log.info("intake: %s messages to read; reading ahead in %s process(es)", len(refs), processes)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._ahead.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def fetch(self, ref: MessageRef, max_bytes: int) -> bytes:
        """The message's bytes: handed out ahead already, or fetched now."""
        position = self._index.get(ref.uid)
        if position is not None:
            # Whatever was handed out for refs before this one is not needed any more.
            for uid in [u for u in self._ahead if self._index[u] < position]:
                del self._ahead[uid]
            self._fill(position + 1)
        held = self._ahead.get(ref.uid)
        if held is not None:
            return held[0]
        return self._mailbox.fetch(ref, max_bytes)

    def keeping(self, ref: MessageRef) -> Keeping | None:
        """The message's raw file, written since the message was handed out (None if it was not,
        or there is no raw-mail store)."""
        held = self._ahead.get(ref.uid)
        return held[2] if held is not None else None

    def holds(self, ref: MessageRef) -> bool:
        """Whether a reading process is reading this message: then `read` needs no parsed copy."""
        return ref.uid in self._ahead

    def read(self, ref: MessageRef, msg: Message | None) -> Reading:
        """The message read for a form and for its text: the reading process's answer, or
        read here from `msg` (parsed by `parse_message`), which it must then be given.

        Raises ExtractionLost when the process reading it died.
        """
        held = self._ahead.pop(ref.uid, None)
        if held is None:
            if msg is None:
                raise ValueError(f"message UID {ref.uid} is not read ahead: parse it to read it here")
            began = time.process_time()
            try:
                extraction, problem = _extract(msg)
            finally:
                self.busy_seconds += time.process_time() - began
            return Reading(extraction, problem, body_text(msg))
        try:
            reading, extract_seconds, text_seconds = held[1].result()
        except BrokenProcessPool as e:
            self._give_up(ref, e)
            raise ExtractionLost(f"the process reading message UID {ref.uid} died before it "
                                 "answered") from None
        self.busy_seconds += extract_seconds
        self.text_seconds += text_seconds
        return reading

    # -------------------------------------------------------------------- internals
    def _fill(self, start: int) -> None:
        """Keep WINDOW to 2 * WINDOW refs from `start` on handed out, fetching them WINDOW at a
        time: one command to the server for each batch rather than one for each message."""
        if self._pool is None or self._next >= min(len(self._refs), start + WINDOW):
            return
        self._next = max(self._next, start)
        batch = [ref for ref in self._refs[self._next:start + 2 * WINDOW]
                 if ref.size <= self._max_bytes and ref.uid not in self._ahead]
        self._next = min(len(self._refs), start + 2 * WINDOW)
        try:
            fetched = self._mailbox.fetch_many(batch, self._max_bytes)
        except MailboxError:
            # Left to each message's own turn, which reports it properly.
            return
        for ref in batch:
            raw = fetched.get(ref.uid)
            if raw is None:
                continue
            # Written from now, so it is on disk by the message's turn. A message handed out but
            # never recorded (a copy of one recorded before) leaves a file no record names, which
            # the daily clean-up removes.
            keeping = self._raw_store.keep(raw) if self._raw_store is not None else None
            try:
                self._ahead[ref.uid] = (raw, self._pool.submit(_read, raw), keeping)
            except Exception as e:  # BrokenProcessPool, or a process that could not start at all
                # The messages already handed out find out when their turn comes.
                self._give_up(ref, e)
                return

    def _give_up(self, ref: MessageRef, error: BaseException) -> None:
        """A reading process died or could not start: the rest of this poll is read here."""
        if self._pool is not None:
            log.error("intake: reading ahead stopped at message UID %s (%s: %s); reading the rest here",
                      ref.uid, type(error).__name__, str(error).strip().splitlines()[0] if str(error).strip()
                      else "no detail")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _extract(msg: Message) -> tuple[Extraction | None, str | None]:
    """The message's extraction, or None and why it could not be read."""
    try:
        return extract_parsed(msg), None
    except UnreadableInput as e:
        return None, f"the message could not be read: {e}"


def _read(raw: bytes) -> tuple[Reading, float, float]:
    """In a reading process: one message read, and the CPU seconds its extraction and its
    text took (the text is for replies, not extraction, and is counted apart)."""
    began = time.process_time()
    try:
        msg = parse_message(raw)
    except UnreadableInput as e:
        return Reading(None, f"the message could not be read: {e}", ""), time.process_time() - began, 0.0
    extraction, problem = _extract(msg)
    extracted = time.process_time()
    text = body_text(msg)
    return Reading(extraction, problem, text), extracted - began, time.process_time() - extracted


def _follow_parent() -> None:
    """In a reading process: leave as soon as the worker that started it is gone. A SIGKILL
    gives the worker no chance to stop its pool; the fork server that is this process's
    parent then ends, and this process is handed to another parent."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
