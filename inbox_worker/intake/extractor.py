"""Reading messages for forms in other processes, under limits: the `Extractor` intake uses.

Extraction runs the readers of Word, PDF, OpenDocument and HTML files on whatever strangers
send. So it runs in reading processes (`reader`), never in the worker, not even for one message:
neither limit could hold there (an address-space limit would be the whole worker's, and a thread
cannot be stopped). Each reading process limits its own memory (RLIMIT_AS); a message that takes
longer than the time allowed is failed and its process killed; a process that goes over either
limit is replaced by a new one for the next message. Processes are started on demand with
`subprocess` (no fork server, no resource tracker), fed over a pipe by a thread each, and die
with the worker.

`ReadingProcesses.submit` hands a message to a free reading process (waiting for one if none
is) and returns without waiting for the reading, so intake hands out the next message before
it records the current one: the two run side by side.
"""
from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from inbox_worker.intake import reader
from inbox_worker.record import Extraction


@dataclass(frozen=True)
class Reading:
    """A message read in a reading process.

    `extraction` is None when the message could not be read, and `problem` says why; `text` is
    its body's text, where replies to the program's mail are read. For a message with no
    application, which a coordinator will read, mail-parser adds the rules of email it breaks
    (`defects`) and its attachments as (file name, type).
    """

    extraction: Extraction | None
    problem: str | None = None
    text: str = ""
    defects: tuple[str, ...] = ()
    attachments: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_answer(cls, answer: dict) -> Reading:
        return cls(
            extraction=Extraction.model_validate(answer["extraction"]) if answer.get("extraction") else None,
            problem=answer.get("problem"), text=answer.get("text") or "",
            defects=tuple(answer.get("defects") or ()),
            attachments=tuple((name, kind) for name, kind in answer.get("attachments") or ()))


class ReadingFailed(Exception):
    """The message could not be read within the limits, or its reading process died; the
    message says which, in plain words."""


# How long a new reading process may take to load its readers and say it is ready.
STARTING_SECONDS = 60.0


class ReadersUnavailable(Exception):
    """No reading process can start: not the message's fault, so it waits for the next poll."""


class Extractor(Protocol):
    """Reads messages for forms: `submit` one and get its `Reading` (or `ReadingFailed`) later."""

    @property
    def capacity(self) -> int:
        """How many messages it reads at once: how far ahead it is worth handing them out."""
        ...

    def submit(self, raw: bytes, *, starting: Callable[[], None] | None = None,
               read: Callable[[], None] | None = None) -> Future[Reading]:
        """Hand `raw` to a reader as soon as one is free (waiting for it, at most one reading's
        time). `starting` is called on the caller's thread just before (if it raises, the message
        is not handed out and the error is raised here); `read`, on another thread, once the
        message has been read without failing."""
        ...

    def close(self) -> None: ...


class ReadingProcesses:
    """The `Extractor` of the worker: up to `processes` reading processes, each limited to
    `memory_mb` of address space and `seconds` a message. Nothing starts before the first `submit`."""

    def __init__(self, processes: int, memory_mb: int, seconds: float) -> None:
        self.processes = max(1, processes)
        self.memory_mb, self.seconds = memory_mb, seconds
        # Readers started and waiting for a message (or that could not start: they say why).
        self._free: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._slots: list[_Slot] = []
        self._closed = False
        self._done: ThreadPoolExecutor | None = None

    @property
    def capacity(self) -> int:
        return self.processes

    def __enter__(self) -> ReadingProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, raw: bytes, *, starting: Callable[[], None] | None = None,
               read: Callable[[], None] | None = None) -> Future[Reading]:
        if self._closed:
            raise RuntimeError("the reading processes were closed")
        if self._free.empty() and len(self._slots) < self.processes:
            # Another reading process only when every one there is busy: a message or two (push)
            # starts one, a backlog all of them.
            self._slots.append(_Slot(self))
        slot = self._free.get()
        future: Future[Reading] = Future()
        if slot.unavailable is not None:
            self._free.put(slot)
            future.set_exception(slot.unavailable)
            return future
        try:
            if starting is not None:
                starting()
        except BaseException:
            self._free.put(slot)
            raise
        if read is not None:
            future.add_done_callback(lambda done: done.cancelled() or done.exception() or self._after(read))
        slot.jobs.put((raw, future))
        return future

    def _after(self, read: Callable[[], None]) -> None:
        """Run `read` on the pool's own thread for it, so no reading process waits on it."""
        if self._closed:
            return
        if self._done is None:
            self._done = ThreadPoolExecutor(1, thread_name_prefix="reading-done")
        self._done.submit(read)

    def close(self) -> None:
        """Stop every reading process now; messages not yet read fail."""
        self._closed = True
        for slot in self._slots:
            slot.stop()
            slot.jobs.put(None)
        for slot in self._slots:
            slot.thread.join(timeout=10)
        self._slots = []
        if self._done is not None:
            self._done.shutdown(wait=True)
            self._done = None

    def pids(self) -> list[int]:
        """The reading processes alive now (for the tests and the benchmarks)."""
        return [slot.process.pid for slot in self._slots if slot.process and slot.process.poll() is None]


class _Slot:
    """One reading process and the thread that starts and feeds it, one message at a time.

    The process is started from this thread, which lives as long as the pool: the kernel's
    parent-death signal follows the thread that started a process, not the whole worker."""

    def __init__(self, pool: ReadingProcesses) -> None:
        self.pool = pool
        self.process: subprocess.Popen | None = None
        self.unavailable: ReadersUnavailable | None = None
        self.jobs: queue.SimpleQueue[tuple[bytes, Future[Reading]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name="reading-process", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while not self.pool._closed:
                try:
                    process = self._start()
                except ReadersUnavailable as e:
                    self.unavailable = e
                    self.pool._free.put(self)
                    return
                self.pool._free.put(self)
                job = self.jobs.get()
                if job is None:
                    return
                raw, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(self._read(process, raw))
                except ReadingFailed as e:
                    future.set_exception(e)
                except Exception as e:  # the pipe itself failed: the message fails, the worker goes on
                    self._end()
                    future.set_exception(ReadingFailed(f"the reading process could not be used ({e})"))
        finally:
            self._end()

    def _start(self) -> subprocess.Popen:
        """The reading process, started if need be, once it says it is ready."""
        with self._lock:
            if self.process is not None:
                return self.process
            self.process = process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
                [sys.executable, "-m", "inbox_worker.intake.reader", "--parent", str(os.getpid()),
                 "--memory-mb", str(self.pool.memory_mb)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, close_fds=True)
        try:
            head = _read_exact(process.stdout.fileno(), reader.FRAME_HEAD, time.monotonic() + STARTING_SECONDS)
            ready = head and _read_exact(process.stdout.fileno(), reader.frame_length(head), time.monotonic() + 1)
        except TimeoutError:
            ready = b""
        if ready != reader.READY:
            code = self._end()
            raise ReadersUnavailable(f"a reading process could not start (exit code {code}; its error is in the "
                                     "worker's log)")
        return process

    def _read(self, process: subprocess.Popen, raw: bytes) -> Reading:
        deadline = time.monotonic() + self.pool.seconds
        try:
            reader.write_frame(process.stdin, raw)
            head = _read_exact(process.stdout.fileno(), reader.FRAME_HEAD, deadline)
            answer = head and _read_exact(process.stdout.fileno(), reader.frame_length(head), deadline)
        except TimeoutError:
            self._end()
            raise ReadingFailed(f"reading it took longer than the {self.pool.seconds:g} seconds allowed") from None
        except (BrokenPipeError, ConnectionError):
            answer = None
        if not answer:
            code = self._end()
            raise ReadingFailed("the reading process stopped while reading it"
                                + (f" (killed by signal {-code}: out of memory?)" if code and code < 0 else ""))
        decoded = json.loads(answer)
        if decoded.get("over_limit") == "memory":
            self._end()
            raise ReadingFailed(f"reading it needed more memory than the {self.pool.memory_mb} MB allowed")
        return Reading.from_answer(decoded)

    def _end(self) -> int | None:
        """Kill the reading process (if any) and reap it: its exit code."""
        with self._lock:
            process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        code = process.wait()
        for pipe in (process.stdin, process.stdout):
            pipe.close()
        return code

    def stop(self) -> None:
        """Kill the process now, from another thread: a reading under way fails at once."""
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.kill()


def _read_exact(fd: int, n: int, deadline: float) -> bytes:
    """`n` bytes from the pipe, b"" if it ends first; TimeoutError at the deadline."""
    parts, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        piece = os.read(fd, min(n - got, 1 << 20))
        if not piece:
            return b""
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)
