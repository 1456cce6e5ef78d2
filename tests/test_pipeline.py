"""The intake pipeline, whole, on a Maildir: the fast tier's proof that the path works.

GIVEN messages delivered to a local Maildir (`mail/maildir.py`), a real database and real
reading processes, the emails written to a folder instead of sent
WHEN the worker runs a cycle (`run_cycle`, as `run --once` does)
THEN each message is recorded and filed as it should be, answered at most once, and a message
that cannot be read, or stalls its reader, is set aside with its reason while the rest go on.
The same path against the real Dovecot and aiosmtpd is in test_intake_e2e.py and the others.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from intake_world import COORDINATOR, EXPECTED, FIXTURES, NOW, MaildirWorld, application
from sqlalchemy import select

from inbox_worker.intake import ledger
from inbox_worker.mail.maildir import MaildirMailbox
from inbox_worker.store.models import Application, IncomingMessage
from inbox_worker.worker import MailSource

pytestmark = pytest.mark.fast

HEAVY = Path(__file__).parent / "fixtures" / "heavy"
PROCESSED, REVIEW = "inbox-worker/processed", "inbox-worker/review"
# Seconds a message may take to read here: far above what a form takes, far below the default.
READER_SECONDS = 2.0


@pytest.fixture
def box(tmp_path, database_url):
    world = MaildirWorld(tmp_path, database_url, reader_seconds=READER_SECONDS)
    yield world
    world.close()


def rows(box: MaildirWorld) -> list[IncomingMessage]:
    with box.app.db.unit_of_work() as s:
        return s.scalars(select(IncomingMessage).order_by(IncomingMessage.id)).all()


def test_each_message_ends_as_its_kind_says(box):
    """Applications are recorded and acknowledged once each, as replies to their message; machine
    mail is filed unanswered; a question is set aside with one notice; INBOX is emptied."""
    for name in EXPECTED:
        box.deliver((FIXTURES / name).read_bytes())

    summary = box.cycle()

    assert summary.problems == []
    applications = {w["applicant"]: name for name, w in EXPECTED.items() if w["outcome"] == "application"}
    for applicant, name in applications.items():
        [ack] = box.sent_to(applicant)
        original = (FIXTURES / name).read_bytes()
        assert ack["In-Reply-To"] and ack["In-Reply-To"].encode() in original
        assert ack["Auto-Submitted"] == "auto-replied"
    reviews = [n for n, w in EXPECTED.items() if w["outcome"] == "review"]
    assert len(box.sent_to(COORDINATOR)) == len(reviews)
    assert len(box.sent()) == len(applications) + len(reviews)
    assert box.folder("INBOX") == []
    assert len(box.folder(REVIEW)) == len(reviews)
    assert len(box.folder(PROCESSED)) == len(EXPECTED) - len(reviews)
    assert {r.state for r in rows(box)} == {"processed", "ignored", "review"}

    again = box.cycle(NOW + timedelta(minutes=5))
    assert again.poll.seen == 0 and len(box.sent()) == len(applications) + len(reviews)


def test_a_changed_resubmission_is_an_update_and_an_unchanged_one_is_only_recorded(box):
    """The same applicant sending a new phone number gets an update note and a second version;
    sending the same form again changes nothing and gets no answer."""
    raw = (FIXTURES / "03-protege-missing-phone.eml").read_bytes()
    box.deliver(raw)
    box.cycle()
    changed = raw.replace(b"<intake-03@sublette.example>", b"<intake-03b@sublette.example>").replace(
        b"City: Pinedale", b"Phone: 307-555-0140\r\nCity: Pinedale")
    box.deliver(changed)
    box.cycle(NOW + timedelta(hours=1))
    box.deliver(changed.replace(b"<intake-03b@sublette.example>", b"<intake-03c@sublette.example>"))
    summary = box.cycle(NOW + timedelta(hours=2))

    assert summary.poll.unchanged == 1
    with box.app.db.unit_of_work() as s:
        [app] = s.scalars(select(Application)).all()
        assert (app.version, app.record["phone"], app.missing) == (2, "307-555-0140", [])
    subjects = [m["Subject"] for m in box.sent_to("icarvalho@sublette.example")]
    assert len(subjects) == 2 and "updated" in subjects[1]


def test_copies_of_one_message_are_answered_once(box):
    """Three copies of one message (one Message-ID) in one poll: one answer, two duplicates, all filed."""
    raw = (FIXTURES / "01-protege-inline.eml").read_bytes()
    for _ in range(3):
        box.deliver(raw)
    summary = box.cycle()
    assert (summary.poll.applications, summary.poll.duplicates) == (1, 2)
    assert len(box.sent()) == 1
    assert [r.state for r in rows(box)] == ["processed", "duplicate", "duplicate"]
    assert box.folder("INBOX") == []


def test_a_message_over_the_size_limit_is_set_aside_with_its_raw_copy(tmp_path, database_url):
    """A message over imap.max_message_bytes is not read: it is set aside for review with the
    reason, and its bytes are in the raw-mail store, copied a piece at a time."""
    box = MaildirWorld(tmp_path, database_url)
    box.settings.imap.max_message_bytes = 2_000
    try:
        big = application(3) + b"\r\n" + b"x" * 5_000 + b"\r\n"
        box.deliver(big)
        box.deliver(application(4))
        box.cycle()
        first, second = rows(box)
        assert first.state == "review" and "too large to read" in first.reason
        assert first.raw_sha256 == hashlib.sha256(big).hexdigest()
        assert box.app.raw_store.get(first.raw_sha256) == big
        assert second.state == "processed"
    finally:
        box.close()


def test_a_message_that_is_no_email_is_set_aside_with_its_reason(box):
    """Bytes with no headers at all are set aside for review, saying so, and filed."""
    box.deliver((Path(__file__).parent / "fixtures" / "hostile" / "binary-garbage.eml").read_bytes())
    box.deliver(application(1))
    box.cycle()
    garbage, good = rows(box)
    assert garbage.state == "review" and garbage.reason and garbage.filed_to == REVIEW
    assert good.state == "processed"


def test_a_message_that_stalls_its_reader_is_set_aside_after_two_tries_in_one_poll(box):
    """The PDF whose pages share one heavy content stream: two tries of two seconds each, then it
    is set aside with the reason, and the applications behind it are answered in the same cycle."""
    box.deliver((HEAVY / "heavy-pages-pdf.eml").read_bytes())
    for n in range(3):
        box.deliver(application(n))
    summary = box.cycle()
    stalled, *others = rows(box)
    assert stalled.state == "review" and stalled.attempts == 2
    assert "reading it failed 2 times (reading it took longer than the 2 seconds allowed)" in stalled.reason
    assert [r.state for r in others] == ["processed"] * 3
    assert summary.poll.applications == 3 and len(box.sent_to(COORDINATOR)) == 1


def test_a_message_whose_reading_stopped_the_worker_twice_is_set_aside_unread(box):
    """A message with two tries already counted and never finished (the worker died while it was
    read) is set aside at once, without a third reading, and the next one is answered."""
    box.deliver(application(1))
    box.deliver(application(2))
    # What two workers killed while reading the first message leave behind: its row, two tries.
    _uidvalidity, refs = MaildirMailbox(box.path).scan("INBOX")
    first = ledger.register(box.app.db, MailSource(maildir=box.path).account(box.settings), refs[0], NOW)
    for _ in range(2):
        ledger.count_attempt(box.app.db, first.row_id, NOW)
    box.cycle()
    stopped, answered = rows(box)
    assert stopped.state == "review" and stopped.attempts == 2
    assert "reading it failed 2 times (the worker stopped while reading it)" in stopped.reason
    assert answered.state == "processed"


def test_a_dry_run_changes_nothing(box):
    """--dry-run leaves the Maildir and the database as they were and writes the mail to a folder."""
    box.deliver(application(1))
    box.deliver((FIXTURES / "12-question.eml").read_bytes())
    box.cycle(dry_run=True)
    assert len(box.folder("INBOX")) == 2
    assert rows(box) == []
    assert len(box.sent()) == 2


def test_a_renumbered_folder_is_reconciled_by_message_id(box):
    """When the folder's UIDVALIDITY changes, messages already processed are recognised by their
    Message-ID: recorded as duplicates and not answered again."""
    box.deliver(application(1))
    box.cycle()
    # The same message again, in a folder the server renumbered (as after a migration).
    (box.path / "inbox-worker-uidvalidity").write_text("1")
    box.deliver(application(1))
    summary = box.cycle(NOW + timedelta(minutes=5))
    assert summary.poll.duplicates == 1 and len(box.sent()) == 1


def test_a_value_read_by_guess_is_asked_to_be_confirmed(box):
    """A town split from its street by guess is kept, and the acknowledgement asks the applicant to
    confirm it by the form's label; values read beyond doubt are not questioned."""
    box.deliver((Path(__file__).parent / "fixtures" / "kinds" / "20-town-split-by-guess.eml").read_bytes())

    box.cycle()

    [ack] = box.sent_to("gfeather@example.net")
    text = ack.get_body(("plain",)).get_content()
    assert "City: Billings   (please confirm)" in text
    assert "Name: Garrett Feather   (please confirm)" not in text
    assert "Please reply to confirm them" in text
