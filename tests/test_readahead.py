"""Reading a backlog ahead in other processes: the same records as reading it here, and a
reading process that dies costs its messages a retry, never the worker.

Real processes, real messages from the fixture corpus, a real Maildir (for the
unit) and a real Dovecot and aiosmtpd (for the whole path).
"""
from __future__ import annotations

import os
import shutil
import signal
from datetime import datetime
from multiprocessing import forkserver
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_worker.config import (
    DatabaseSettings,
    ProgramSettings,
    ScheduleSettings,
    Settings,
    WorkerSettings,
)
from inbox_worker.extract import extract_message
from inbox_worker.extract.bodies import body_text
from inbox_worker.extract.message import parse_message
from inbox_worker.intake import readahead
from inbox_worker.intake.readahead import ExtractionLost, ReadAhead
from inbox_worker.mail.maildir import MaildirMailbox
from inbox_worker.store.models import Application, IncomingMessage, OutgoingMessage
from inbox_worker.worker import MailSource, bootstrap, run_cycle

APPLICATIONS = Path(__file__).parent / "fixtures" / "applications"
# Enough messages for a poll to read ahead, of every kind the corpus has.
CORPUS = sorted(APPLICATIONS.glob("*.eml"))[:readahead.MIN_BACKLOG + 5]
NOW = datetime(2026, 4, 10, 9, 0)


def maildir_with(tmp_path: Path, files: list[Path]) -> MaildirMailbox:
    new = tmp_path / "mail" / "new"
    for d in ("new", "cur", "tmp"):
        (tmp_path / "mail" / d).mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(files):
        shutil.copy(f, new / f"{1700000000 + i}.M{i}P1.host")
    return MaildirMailbox(tmp_path / "mail")


def test_records_read_ahead_are_the_records_read_here(tmp_path: Path):
    """Every message of a backlog, read by a reading process, gives exactly what reading it here gives."""
    mailbox = maildir_with(tmp_path, CORPUS)
    _, refs = mailbox.scan("INBOX")
    with ReadAhead(mailbox, refs, max_bytes=10_000_000, processes=1) as ahead:
        for ref, path in zip(refs, CORPUS, strict=True):
            raw = ahead.fetch(ref, 10_000_000)
            assert raw == path.read_bytes()
            # Each message after the first was handed out while the one before it was fetched;
            # a reading process's answer needs no parsed copy from here.
            assert ahead.holds(ref) == (ref is not refs[0]), path.name
            got = ahead.read(ref, None if ahead.holds(ref) else parse_message(raw))
            assert got.extraction.model_dump() == extract_message(raw).model_dump(), path.name
            assert got.text == body_text(parse_message(raw)), path.name
            assert not ahead.holds(ref)
        assert ahead.busy_seconds > 0 and ahead.text_seconds > 0



def test_a_message_handed_out_is_written_to_the_raw_store_meanwhile(tmp_path: Path):
    """A message handed out to be read ahead has its raw file written from then on, so it is on
    disk by its turn; the first message, never handed out, is left to intake."""
    import hashlib

    from inbox_worker.store.rawstore import RawStore

    mailbox = maildir_with(tmp_path, CORPUS)
    store = RawStore(tmp_path / "raw")
    _, refs = mailbox.scan("INBOX")
    with ReadAhead(mailbox, refs, max_bytes=10_000_000, processes=1, raw_store=store) as ahead:
        for ref, path in zip(refs, CORPUS, strict=True):
            raw = ahead.fetch(ref, 10_000_000)
            keeping = ahead.keeping(ref)
            if ref is refs[0]:
                assert keeping is None
            else:
                assert keeping.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()
                assert store.get(keeping.sha256()) == raw
            ahead.read(ref, None if ahead.holds(ref) else parse_message(raw))
            assert ahead.keeping(ref) is None  # its turn is over
    assert len(list((tmp_path / "raw").rglob("*.eml"))) == len({p.read_bytes() for p in CORPUS[1:]})

def test_a_small_poll_starts_no_process(tmp_path: Path):
    """Fewer messages than MIN_BACKLOG are read in the worker itself: no process is started."""
    mailbox = maildir_with(tmp_path, CORPUS[:3])
    _, refs = mailbox.scan("INBOX")
    with ReadAhead(mailbox, refs, max_bytes=10_000_000, processes=2) as ahead:
        for ref in refs:
            raw = ahead.fetch(ref, 10_000_000)
            got = ahead.read(ref, parse_message(raw)).extraction
            assert got.model_dump() == extract_message(raw).model_dump()
        assert _readers() == []


def test_a_reading_process_that_dies_fails_only_what_it_held(tmp_path: Path):
    """Killing the reading process makes the messages it held raise ExtractionLost (a retry for
    intake); the messages after them are read here, correctly, and nothing raises anything else."""
    mailbox = maildir_with(tmp_path, CORPUS)
    _, refs = mailbox.scan("INBOX")
    lost, read_here = [], []
    with ReadAhead(mailbox, refs, max_bytes=10_000_000, processes=1) as ahead:
        first = ahead.fetch(refs[0], 10_000_000)
        readers = _readers()
        assert len(readers) == 1
        for pid in readers:
            os.kill(pid, signal.SIGKILL)
        for i, ref in enumerate(refs):
            raw = first if i == 0 else ahead.fetch(ref, 10_000_000)
            try:
                got = ahead.read(ref, parse_message(raw)).extraction
            except ExtractionLost as e:
                assert f"UID {ref.uid}" in str(e)
                lost.append(ref.uid)
                continue
            assert got.model_dump() == extract_message(raw).model_dump()
            read_here.append(ref.uid)
    # Only messages handed out before the kill are lost: at most two windows of them.
    assert 1 <= len(lost) <= 2 * readahead.WINDOW
    assert len(lost) + len(read_here) == len(refs)


class _NoProcesses:
    """A pool that cannot start a process, as when the host refuses one (fork: EAGAIN)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def submit(self, *args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    def shutdown(self, *args, **kwargs) -> None:
        pass


def test_when_no_process_can_start_every_message_is_read_here(tmp_path: Path, monkeypatch, caplog):
    """A host that refuses new processes costs nothing but the speed: each message is still read,
    here, correctly, and the log says once why reading ahead stopped."""
    monkeypatch.setattr(readahead, "ProcessPoolExecutor", _NoProcesses)
    mailbox = maildir_with(tmp_path, CORPUS)
    _, refs = mailbox.scan("INBOX")
    with caplog.at_level("ERROR", logger="inbox_worker.intake.readahead"), \
            ReadAhead(mailbox, refs, max_bytes=10_000_000, processes=1) as ahead:
        for ref in refs:
            raw = ahead.fetch(ref, 10_000_000)
            got = ahead.read(ref, parse_message(raw)).extraction
            assert got.model_dump() == extract_message(raw).model_dump()
    assert [r.getMessage() for r in caplog.records] == [
        f"intake: reading ahead stopped at message UID {refs[1].uid} (BlockingIOError: [Errno 11] Resource "
        "temporarily unavailable); reading the rest here"]


def run_backlog(dovecot, smtp_server, workdir: Path, database_url: str, processes: int) -> dict:
    """The corpus through a real mailbox and SMTP server: what was recorded and sent."""
    user = dovecot.add_user()
    for path in CORPUS:
        dovecot.append(user, path.read_bytes())
    settings = Settings(
        imap=dovecot.imap_settings_for(user), smtp=smtp_server.smtp_settings(),
        database=DatabaseSettings(url=database_url),
        program=ProgramSettings(coordinators=["coordinator@example.org"], raw_store_dir=str(workdir / "raw")),
        worker=WorkerSettings(outbox_dir=str(workdir / "outbox"), extraction_processes=processes,
                              max_replies_per_address_per_day=100),
        schedule=ScheduleSettings(digest="off"))
    app = bootstrap(settings)
    try:
        summary = run_cycle(app, MailSource(), NOW)
        with app.db.unit_of_work() as s:
            return {
                "summary": summary,
                "left": dovecot.list_folder(user),
                "messages": sorted((r.message_id, r.state, r.filed_to) for r in s.scalars(select(IncomingMessage))),
                "records": sorted((a.email, a.version, a.missing, a.record) for a in s.scalars(select(Application))),
                "sent": sorted((o.idempotency_key.split(":")[0], o.state, tuple(o.recipients))
                               for o in s.scalars(select(OutgoingMessage))),
            }
    finally:
        app.db.dispose()


@pytest.mark.servers
def test_a_backlog_read_ahead_is_recorded_and_answered_as_without(dovecot, smtp_server, tmp_path, database_url):
    """Through real Dovecot and aiosmtpd: with a reading process, the backlog gives exactly the rows,
    records and emails it gives without one; INBOX is emptied and no reading process is left."""
    ahead = run_backlog(dovecot, smtp_server, tmp_path / "ahead", database_url, processes=1)
    assert _readers() == []
    here = run_backlog(dovecot, smtp_server, tmp_path / "here", f"sqlite:///{tmp_path / 'here.sqlite3'}",
                       processes=0)
    poll = ahead["summary"].poll
    assert poll.seen == len(CORPUS) and poll.retry_later == 0 and poll.applications > readahead.MIN_BACKLOG // 2
    assert ahead["left"] == {} and all(filed for _id, _state, filed in ahead["messages"])
    for key in ("messages", "records", "sent"):
        assert ahead[key] == here[key], key
    assert len(smtp_server.received) == 2 * sum(1 for _k, state, _r in ahead["sent"] if state == "sent")


def _readers() -> list[int]:
    """Living reading processes: the children of this process's fork server."""
    server = forkserver._forkserver._forkserver_pid
    if server is None:
        return []
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == server and fields[0] != "Z":
            found.append(int(entry.name))
    return found
