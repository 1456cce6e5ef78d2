"""Hostile files are refused quickly and in bounded memory, with a reason a person can act on;
what gets past the readers' own caps is stopped by the reading processes' limits.

The bombs are built at test time in a temporary directory (they are big
when expanded, small on disk), then handed to the readers. The documents
that stay inside every cap but exhaust a reader's memory or time are made by
tests/fixtures/heavy/make_heavy.py, and go through the running worker.
"""
from __future__ import annotations

import importlib.util
import io
import os
import signal
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from intake_world import acks, addressed_to, application
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from workers import WorkerProcess, run_once_measured, session_processes, worker_env

from inbox_worker.extract import limits
from inbox_worker.extract.docx import read_docx
from inbox_worker.extract.html import read_html
from inbox_worker.extract.odt import read_odt
from inbox_worker.extract.pdf import read_pdf
from inbox_worker.extract.sniff import sniff
from inbox_worker.extract.text import read_text
from inbox_worker.record import RefusedInput
from inbox_worker.store.database import Database
from inbox_worker.store.models import IncomingMessage

SECONDS = 5
PEAK_BYTES = 100 * 1024 * 1024
CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="xml" ContentType="application/xml"/></Types>')


def refused_quickly(reader, data: bytes, source: str) -> RefusedInput:
    """Run a reader on hostile data; it must refuse within SECONDS and PEAK_BYTES."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(RefusedInput) as info:
            reader(data, source)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"took {elapsed:.1f}s"
    assert peak < PEAK_BYTES, f"peak {peak / 2**20:.0f} MB"
    return info.value


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> bytes:
    """A .docx whose document.xml is 1 GB of zeros, about 1 MB on disk."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.docx"
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(1024):
                fh.write(chunk)
    return path.read_bytes()


@pytest.fixture(scope="module")
def many_members(tmp_path_factory) -> bytes:
    """A .docx-looking zip with 100,000 empty members."""
    path = tmp_path_factory.mktemp("many") / "many.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", b"<w:document/>")
        for i in range(100_000):
            z.writestr(f"word/media/{i}.xml", b"")
    return path.read_bytes()


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> bytes:
    """A 5,000-page PDF of blank pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5_000):
        writer.add_blank_page(612, 792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_zip_bomb_docx_is_refused(zip_bomb):
    """A Word file that expands to a gigabyte is refused as a zip bomb, without expanding it."""
    assert len(zip_bomb) < 5 * 1024 * 1024
    assert sniff(zip_bomb) == "docx"
    error = refused_quickly(read_docx, zip_bomb, "bomb.docx")
    assert "zip bomb" in str(error)


def test_zip_bomb_odt_is_refused(zip_bomb):
    """The same bomb given to the OpenDocument reader is refused too."""
    assert "zip bomb" in str(refused_quickly(read_odt, zip_bomb, "bomb.odt"))


def test_zip_with_100k_members_is_refused(many_members):
    """A zip of 100,000 members is refused from its directory count, before zipfile lists them."""
    error = refused_quickly(read_docx, many_members, "many.docx")
    assert "100,001 files" in str(error)
    refused_quickly(read_odt, many_members, "many.odt")


def test_high_ratio_member_is_refused():
    """One member that expands hundreds of times over is refused even under the total cap."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", b" " * (20 * 1024 * 1024))
    error = refused_quickly(read_docx, buf.getvalue(), "ratio.docx")
    assert "times" in str(error)


def test_read_member_never_reads_past_its_cap():
    """A member is read a chunk at a time and stops at the cap whatever its header claims."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("content.xml", b"x" * 300_000)
    zf = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with pytest.raises(RefusedInput):
        limits.read_member(zf, "content.xml", "OpenDocument file", cap=100_000)
    assert len(limits.read_member(zf, "content.xml", "OpenDocument file")) == 300_000


def test_5000_page_pdf_is_refused(long_pdf):
    """A PDF of 5,000 pages is refused from its page count before any page is read."""
    error = refused_quickly(read_pdf, long_pdf, "long.pdf")
    assert "5,000 pages" in str(error)


def test_oversized_inputs_are_refused():
    """Inputs over the byte or character caps are refused, not read."""
    huge_pdf = b"%PDF-1.4\n" + b"0" * (limits.PDF_MAX_BYTES + 1)
    refused_quickly(read_pdf, huge_pdf, "huge.pdf")
    refused_quickly(read_text, b"a" * (limits.MAX_TEXT_CHARS + 1), "body")
    refused_quickly(read_text, b"x\n" * (limits.MAX_LINES + 10), "body")


def test_deeply_nested_html_is_read_or_refused():
    """HTML nested a hundred thousand deep neither hangs nor crashes."""
    data = b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000
    started = time.monotonic()
    try:
        doc = read_html(data, "body")
        assert len(doc.lines) <= 1
    except RefusedInput:
        pass
    assert time.monotonic() - started < SECONDS


def test_caps_are_far_above_a_real_form():
    """The caps leave room for any real application and mark what the message walker must enforce."""
    assert limits.ZIP_MAX_MEMBERS >= 1_000
    assert limits.PDF_MAX_PAGES >= 20
    assert 5 <= limits.MAX_MIME_DEPTH <= 20


# ---------------------------------------------------------------- the worker, against documents past its limits
HEAVY = Path(__file__).parent / "fixtures" / "heavy"
_spec = importlib.util.spec_from_file_location("make_heavy", HEAVY / "make_heavy.py")
make_heavy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_heavy)
PEAK_MB = 800
# Seconds a message may take to read in these runs: the default is 30; a form takes milliseconds.
READER_SECONDS = "5"
BAD = {"memory": ("a Word file whose XML inflates past the memory limit", make_heavy.inflating_docx_message,
                  "more memory than the 512 MB allowed"),
       "time": ("a PDF whose 50 pages share one heavy content stream", lambda: (
           HEAVY / "heavy-pages-pdf.eml").read_bytes(), "longer than the 5 seconds allowed")}


@pytest.mark.servers
@pytest.mark.parametrize("limit", sorted(BAD))
def test_one_run_answers_the_applications_behind_a_message_past_a_limit(dovecot, imap_user, smtp_server, tmp_path,
                                                                          database_url, limit):
    """A message that exhausts its reader's memory, or never finishes reading, ahead of three
    applications: one `run --once` answers the three, sets the bad one aside with its reason
    after two tries, and neither the worker nor any process it started goes past 800 MB.

    Measured: the worker and its reading processes together (sampled every 20 ms), and the
    largest of them alone (exactly, from the kernel), since the reading processes are the ones
    limited and the worker hands them the message."""
    _what, make, reason = BAD[limit]
    dovecot.append(imap_user, make())
    for n in range(3):
        dovecot.append(imap_user, application(n))
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url,
                     INBOX_WORKER_WORKER__READER_SECONDS=READER_SECONDS, INBOX_WORKER_SCHEDULE__DIGEST="off")

    code, output, together_mb, largest_mb = run_once_measured(env)

    assert code == 0, output[-3000:]
    assert len(acks(smtp_server)) == 3
    db = Database(database_url)
    with db.unit_of_work() as s:
        bad, *good = s.scalars(select(IncomingMessage).order_by(IncomingMessage.uid)).all()
    db.dispose()
    assert bad.state == "review" and bad.filed_to and bad.attempts == 2
    assert reason in bad.reason, bad.reason
    assert [r.state for r in good] == ["processed"] * 3
    notices = addressed_to(smtp_server.received, "coordinator@example.org")
    assert len(notices) == 1
    print(f"\n{limit}: peak {together_mb:.0f} MB together, {largest_mb:.0f} MB the largest process")
    assert together_mb < PEAK_MB and largest_mb < PEAK_MB


@pytest.mark.servers
def test_a_message_read_while_the_worker_is_killed_twice_is_set_aside_and_the_rest_go_on(
        dovecot, imap_user, smtp_server, tmp_path, database_url):
    """A message being read each time the worker is SIGKILLed (as the system's out-of-memory
    killer would): after two such tries the next run sets it aside unread, with the reason, and
    answers the application behind it."""
    dovecot.append(imap_user, (HEAVY / "heavy-pages-pdf.eml").read_bytes())
    dovecot.append(imap_user, application(1))
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url,
                     INBOX_WORKER_WORKER__READER_SECONDS="600", INBOX_WORKER_SCHEDULE__DIGEST="off")
    db = Database(database_url)

    def tries() -> int:
        try:
            with db.unit_of_work() as s:
                return s.scalar(select(IncomingMessage.attempts).order_by(IncomingMessage.uid).limit(1)) or 0
        except DBAPIError:  # the worker has not made the tables yet
            return 0

    for kill in range(2):
        worker = WorkerProcess(env, tmp_path / f"killed-{kill}.log")
        # Killed once the message is being read: its try is counted and a reading process holds it.
        assert worker.wait_for(lambda kill=kill: tries() == kill + 1, timeout=60), worker.log()[-3000:]
        time.sleep(0.5)
        worker.kill()
    code, output, _together, _largest = run_once_measured(env)
    assert code == 0, output[-3000:]
    with db.unit_of_work() as s:
        stopped, behind = s.scalars(select(IncomingMessage).order_by(IncomingMessage.uid)).all()
    db.dispose()
    assert stopped.state == "review" and stopped.attempts == 2
    assert "the worker stopped while reading it" in stopped.reason
    assert behind.state == "processed" and len(acks(smtp_server)) == 1


@pytest.mark.servers
def test_no_process_the_worker_started_outlives_it(dovecot, imap_user, smtp_server, tmp_path, database_url):
    """`inbox-worker run` killed alone (SIGKILL to its process, not its group) in the middle of a
    backlog, while its reading processes are at work: 5 seconds later nothing it started is alive."""
    dovecot.append(imap_user, (HEAVY / "heavy-pages-pdf.eml").read_bytes())
    for n in range(30):
        dovecot.append(imap_user, application(n))
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, database_url,
                     INBOX_WORKER_WORKER__EXTRACTION_PROCESSES="2")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        assert worker.wait_for(lambda: len(_reading(worker.proc.pid)) == 2, timeout=60), worker.log()[-3000:]
        started = session_processes(worker.proc.pid)
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(timeout=10)
        time.sleep(5)
        left = session_processes(worker.proc.pid)
    finally:
        worker.kill()
    assert len(started) >= 3  # the worker and its two reading processes, at least
    assert left == {}, left


def _reading(worker_pid: int) -> list[int]:
    """The worker's reading processes alive now."""
    return [pid for pid, cmd in session_processes(worker_pid).items() if "inbox_worker.intake.reader" in cmd]
