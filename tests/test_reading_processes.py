"""Reading processes: the same readings as reading here, under a memory and a time limit, and
none outlives the worker.

Real processes (`python -m inbox_worker.intake.reader`) on real message files: the fixture
corpus, the hostile corpus, and the heavy documents of tests/fixtures/heavy/. No server.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inbox_worker.extract import extract_message
from inbox_worker.extract.bodies import body_text
from inbox_worker.extract.message import parse_message
from inbox_worker.intake.extractor import ReadersUnavailable, ReadingFailed, ReadingProcesses

pytestmark = pytest.mark.fast

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = sorted((FIXTURES / "applications").glob("*.eml"))[:40]
HEAVY = FIXTURES / "heavy"
_spec = importlib.util.spec_from_file_location("make_heavy", HEAVY / "make_heavy.py")
make_heavy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_heavy)
# Far below the defaults, so a test waits seconds, not minutes; far above what a form needs.
SECONDS = 2.0
MEMORY_MB = 256


@pytest.fixture(scope="module")
def readers():
    with ReadingProcesses(1, MEMORY_MB, SECONDS) as pool:
        yield pool


def alive(pid: int) -> bool:
    """Whether the process is running (a zombie, dead but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_the_heavy_pdf_matches_its_generator():
    """The committed heavy PDF message is exactly what make_heavy.py makes."""
    assert make_heavy.main(["--check"]) == 0


def test_a_message_read_in_a_reading_process_reads_as_it_does_here(readers):
    """Every message of the corpus gives, from a reading process, exactly the extraction and the
    text that reading it in this process gives."""
    futures = [readers.submit(path.read_bytes()) for path in CORPUS]
    for path, future in zip(CORPUS, futures, strict=True):
        raw = path.read_bytes()
        reading = future.result()
        assert reading.extraction.model_dump() == extract_message(raw).model_dump(), path.name
        assert reading.text == body_text(parse_message(raw)), path.name


@pytest.mark.parametrize(("name", "defects", "attachments"), [
    ("hostile/mime-unterminated-boundary.eml", ("CloseBoundaryNotFoundDefect", "InvalidBase64PaddingDefect"),
     (("form.pdf", "application/pdf"),)),
    ("hostile/mime-missing-boundary.eml", ("MultipartInvariantViolationDefect", "NoBoundaryInMultipartDefect"), ()),
    ("hostile/truncated-docx.eml", (), (("form.docx", "application/vnd.openxmlformats-officedocument."
                                          "wordprocessingml.document"),)),
    # An application is not for a coordinator to read: no detail is gathered for it.
    ("applications/079-odt-typed-form.eml", (), ()),
])
def test_mail_parser_says_what_is_attached_and_how_a_message_is_broken(readers, name, defects, attachments):
    """For a message with no application, a reading gives mail-parser's list of the message's
    defects and its attachments, for the reasons a coordinator reads."""
    reading = readers.submit((FIXTURES / name).read_bytes()).result()
    assert (reading.defects, reading.attachments) == (defects, attachments)


def test_a_message_that_needs_too_much_memory_fails_and_the_next_is_read():
    """The Word file whose XML inflates past the limit fails with the memory reason (given all the
    time it needs: a loaded machine is slow to fill its memory); its process is replaced, and the next
    message is read as usual."""
    with ReadingProcesses(1, MEMORY_MB, 120) as readers:
        readers.submit(CORPUS[0].read_bytes()).result()
        before = readers.pids()
        with pytest.raises(ReadingFailed, match=f"more memory than the {MEMORY_MB} MB allowed"):
            readers.submit(make_heavy.inflating_docx_message()).result()
        after = readers.submit(CORPUS[0].read_bytes()).result()
        assert after.extraction.kind == "application"
        assert readers.pids() and readers.pids() != before


def test_a_message_that_takes_too_long_fails_at_the_limit_and_the_next_is_read(readers):
    """The PDF whose pages share one heavy content stream fails at the time limit, not minutes
    later; its process is killed and the next message is read by a new one."""
    began = time.monotonic()
    with pytest.raises(ReadingFailed, match=f"longer than the {SECONDS:g} seconds allowed"):
        readers.submit((HEAVY / "heavy-pages-pdf.eml").read_bytes()).result()
    assert time.monotonic() - began < SECONDS + 3
    assert readers.submit(CORPUS[1].read_bytes()).result().extraction.kind == "application"


def test_a_reading_process_killed_fails_only_its_message(readers):
    """A reading process killed by the system (SIGKILL) fails the message it held, in words; the
    worker goes on and the next message is read."""
    readers.submit(CORPUS[0].read_bytes()).result()  # a process is up
    hanging = readers.submit((HEAVY / "heavy-pages-pdf.eml").read_bytes())
    time.sleep(0.5)
    (pid,) = readers.pids()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(ReadingFailed, match="stopped while reading it"):
        hanging.result(timeout=SECONDS)
    assert readers.submit(CORPUS[2].read_bytes()).result().extraction.kind == "application"


def test_a_try_is_counted_before_the_reading_starts_and_a_failed_count_stops_it(readers):
    """`starting` runs on the caller's thread once a reader is free, before it is given the
    message; if it fails, the message is not handed out, and the reader stays free for the next."""
    calls = []
    readers.submit(CORPUS[0].read_bytes(), starting=lambda: calls.append(threading.get_ident())).result()
    assert calls == [threading.get_ident()]

    def refuse() -> None:
        raise RuntimeError("the database is away")

    with pytest.raises(RuntimeError, match="database is away"):
        readers.submit(CORPUS[0].read_bytes(), starting=refuse)
    assert readers.submit(CORPUS[1].read_bytes()).result(timeout=SECONDS).extraction.kind == "application"


def test_nothing_starts_before_a_message_and_nothing_is_left_after_close():
    """A pool never given a message starts no process; closing one stops its processes."""
    pool = ReadingProcesses(2, MEMORY_MB, SECONDS)
    assert pool.pids() == []
    pool.submit(CORPUS[0].read_bytes()).result()
    pids = pool.pids()
    assert len(pids) >= 1
    pool.close()
    time.sleep(0.2)
    assert not any(alive(pid) for pid in pids)


def test_a_reader_that_cannot_start_is_not_the_messages_fault(monkeypatch):
    """When no reading process can start (here: a Python that exits at once), the message's reading
    fails with ReadersUnavailable, which intake treats as an outage, not as the message's try."""
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with ReadingProcesses(1, MEMORY_MB, SECONDS) as pool, pytest.raises(ReadersUnavailable):
        pool.submit(CORPUS[0].read_bytes()).result()


WORKER = """
import sys, time
from pathlib import Path
from inbox_worker.intake.extractor import ReadingProcesses
pool = ReadingProcesses(1, 512, 600)
pool.submit(Path(sys.argv[1]).read_bytes())
while not pool.pids():
    time.sleep(0.05)
print(pool.pids()[0], flush=True)
time.sleep(600)
"""


def test_a_reading_process_dies_with_its_worker():
    """A process that started a reader (busy with a message that takes minutes) is SIGKILLed
    alone, not its group: the reader is gone within 5 seconds."""
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(HEAVY / "heavy-pages-pdf.eml")],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        reader_pid = int(worker.stdout.readline())
        time.sleep(0.5)
        assert alive(reader_pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while alive(reader_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(reader_pid)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.stdout.close()


def test_a_reading_that_ends_well_is_told_and_one_that_fails_is_not(readers):
    """`read` is called once a message has been read without failing, on another thread than
    the caller's (no reading process waits for it), and not for a reading that failed."""
    told: list[tuple[str, int]] = []
    readers.submit(CORPUS[3].read_bytes(), read=lambda: told.append(("good", threading.get_ident()))).result()
    with pytest.raises(ReadingFailed):
        readers.submit((HEAVY / "heavy-pages-pdf.eml").read_bytes(), read=lambda: told.append(("bad", 0))).result()
    deadline = time.monotonic() + 5
    while not told and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [what for what, _thread in told] == ["good"]
    assert told[0][1] != threading.get_ident()
