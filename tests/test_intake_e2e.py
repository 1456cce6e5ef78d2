"""The whole intake path against a real Dovecot and a real aiosmtpd.

GIVEN messages appended to the INBOX of a real IMAP server
WHEN the worker runs a cycle (in-process, and as the `inbox-worker` command)
THEN each application is acknowledged exactly once over real SMTP, machine
mail is never answered, questions go to the coordinators, and INBOX is empty.
"""
from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from intake_world import COORDINATOR, EXPECTED, FIXTURES, NOW, addressed_to, append_all, parsed
from sqlalchemy import select

from inbox_worker.store.models import Application, IncomingMessage, OutgoingMessage
from inbox_worker.worker import MailSource, run_cycle


def test_each_application_is_acknowledged_once_and_inbox_is_emptied(world):
    """Applications get one acknowledgement each; machine mail none; questions reach the coordinators."""
    dovecot, user, smtp, settings, app = world
    append_all(dovecot, user)

    summary = run_cycle(app, MailSource(), NOW)

    assert summary.problems == []
    for name, want in EXPECTED.items():
        if want["outcome"] == "application":
            acks = addressed_to(smtp.received, want["applicant"])
            assert len(acks) == 1, f"{name}: {len(acks)} acknowledgements"
            ack = email.message_from_bytes(acks[0].data, policy=email.policy.default)
            assert ack["Auto-Submitted"] == "auto-replied"
            original = email.message_from_bytes((FIXTURES / name).read_bytes(), policy=email.policy.default)
            assert ack["In-Reply-To"] == original["Message-ID"]
            assert ack["Message-ID"].endswith("@example.org>")
            assert ack.get_content_type() in ("multipart/alternative", "multipart/mixed")
            text = ack.get_body(("plain",)).get_content()
            for missing in want.get("missing", []):
                assert "Please reply to this email with them" in text, name
                assert {"phone": "Phone number"}[missing] in text
        else:
            sender = email.message_from_bytes((FIXTURES / name).read_bytes(), policy=email.policy.default)
            address = sender["From"].addresses[0].addr_spec
            assert addressed_to(smtp.received, address) == [], f"{name} was answered"
    notices = addressed_to(smtp.received, COORDINATOR)
    reviews = [n for n, w in EXPECTED.items() if w["outcome"] == "review"]
    assert len(notices) == len(reviews)
    assert "Question about mentoring" in parsed(notices)[0]["Subject"] or \
        "Question about mentoring" in parsed(notices)[0].get_body(("plain",)).get_content()
    apps = sum(1 for w in EXPECTED.values() if w["outcome"] == "application")
    assert len(smtp.received) == apps + len(reviews)

    assert dovecot.list_folder(user, "INBOX") == {}
    assert len(dovecot.list_folder(user, settings.imap.processed_folder)) == len(EXPECTED) - len(reviews)
    assert len(dovecot.list_folder(user, settings.imap.review_folder)) == len(reviews)

    again = run_cycle(app, MailSource(), NOW + timedelta(minutes=5))
    assert again.poll.seen == 0
    assert len(smtp.received) == apps + len(reviews)


def test_a_resubmission_updates_the_record_and_is_acknowledged_as_an_update(world):
    """The same applicant sending again keeps one application, with history, and gets an update note."""
    dovecot, user, smtp, _settings, app = world
    raw = (FIXTURES / "03-protege-missing-phone.eml").read_bytes()
    dovecot.append(user, raw)
    run_cycle(app, MailSource(), NOW)
    again = raw.replace(b"<intake-03@sublette.example>", b"<intake-03b@sublette.example>").replace(
        b"City: Pinedale", b"Phone: 307-555-0140\r\nCity: Pinedale")
    dovecot.append(user, again)
    run_cycle(app, MailSource(), NOW + timedelta(hours=1))

    with app.db.unit_of_work() as s:
        apps = s.scalars(select(Application)).all()
        assert len(apps) == 1
        assert apps[0].version == 2
        assert apps[0].record["phone"] == "307-555-0140"
        assert apps[0].missing == []
        assert [v.version for v in apps[0].versions] == [1, 2]
    subjects = [m["Subject"] for m in parsed(smtp.received)]
    assert len(subjects) == 2
    assert "updated" in subjects[1]


def test_uidvalidity_change_causes_no_reprocessing(world):
    """When the server renumbers the folder, messages already processed are recognised by Message-ID."""
    dovecot, user, smtp, _settings, app = world
    append_all(dovecot, user, ["01-protege-inline.eml", "02-mentor-inline.eml"])
    run_cycle(app, MailSource(), NOW)
    assert len(smtp.received) == 2
    before = dovecot.uidvalidity(user)

    # The same messages reappear in a renumbered INBOX (as after a server migration).
    dovecot.renumber(user, "INBOX")
    append_all(dovecot, user, ["01-protege-inline.eml", "02-mentor-inline.eml"])
    assert dovecot.uidvalidity(user) != before

    summary = run_cycle(app, MailSource(), NOW + timedelta(minutes=5))
    assert summary.poll.duplicates == 2
    assert len(smtp.received) == 2
    assert dovecot.list_folder(user, "INBOX") == {}


def test_copies_of_one_message_in_one_poll_are_answered_once(world):
    """The same message delivered three times (one Message-ID) before a poll: the first copy is
    read and answered, the other two are recorded as its duplicates, and all three are filed."""
    dovecot, user, smtp, _settings, app = world
    append_all(dovecot, user, ["01-protege-inline.eml", "01-protege-inline.eml", "02-mentor-inline.eml",
                               "01-protege-inline.eml"])

    summary = run_cycle(app, MailSource(), NOW)

    assert (summary.poll.applications, summary.poll.duplicates) == (2, 2)
    assert len(smtp.received) == 2
    with app.db.unit_of_work() as s:
        rows = s.scalars(select(IncomingMessage).order_by(IncomingMessage.uid)).all()
        assert [r.state for r in rows] == ["processed", "duplicate", "processed", "duplicate"]
        assert {r.reason for r in rows if r.state == "duplicate"} == {f"same Message-ID as message {rows[0].id}"}
        assert all(r.filed_to for r in rows)
    assert dovecot.list_folder(user, "INBOX") == {}


def test_temporary_smtp_failure_is_retried_and_delivered_once(world):
    """A 451 defers the email; the next cycle after the backoff delivers it, once."""
    dovecot, user, smtp, _settings, app = world
    append_all(dovecot, user, ["01-protege-inline.eml"])
    smtp.fail_next(1)

    first = run_cycle(app, MailSource(), NOW)
    assert first.drain.deferred == 1
    assert smtp.received == []

    early = run_cycle(app, MailSource(), NOW + timedelta(seconds=10))
    assert early.drain.sent == 0  # not due yet: the backoff is honoured

    later = run_cycle(app, MailSource(), NOW + timedelta(minutes=2))
    assert later.drain.sent == 1
    assert len(smtp.received) == 1
    run_cycle(app, MailSource(), NOW + timedelta(hours=1))
    assert len(smtp.received) == 1


def test_permanent_smtp_failure_is_recorded_with_the_servers_reply(world):
    """A 550 marks the email failed with the server's words, and it is not tried again."""
    dovecot, user, smtp, _settings, app = world
    smtp.refuse("rokafor@campbellcounty.example")
    append_all(dovecot, user, ["01-protege-inline.eml"])

    summary = run_cycle(app, MailSource(), NOW)
    assert summary.drain.failed == 1
    with app.db.unit_of_work() as s:
        row = s.scalar(select(OutgoingMessage))
        assert row.state == "failed"
        assert "550" in row.last_error
    run_cycle(app, MailSource(), NOW + timedelta(hours=1))
    assert smtp.received == []


def test_dry_run_changes_nothing(world, tmp_path):
    """--dry-run leaves the mailbox and the database as they were and writes the mail to a folder."""
    dovecot, user, smtp, settings, app = world
    append_all(dovecot, user, ["01-protege-inline.eml", "12-question.eml"])

    run_cycle(app, MailSource(), NOW, dry_run=True)

    assert len(dovecot.list_folder(user, "INBOX")) == 2
    assert smtp.received == []
    written = sorted(Path(settings.worker.outbox_dir).glob("*.eml"))
    assert len(written) == 2
    with app.db.unit_of_work() as s:
        assert s.scalars(select(IncomingMessage)).all() == []
        assert s.scalars(select(OutgoingMessage)).all() == []


def test_run_once_from_the_command_line_configured_by_environment(dovecot, imap_user, smtp_server, tmp_path,
                                                                  database_url):
    """`inbox-worker run --once` configured only by INBOX_WORKER_* variables does the whole job."""
    append_all(dovecot, imap_user)
    imap = dovecot.imap_settings_for(imap_user)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env.update({
        "INBOX_WORKER_IMAP__HOST": "127.0.0.1", "INBOX_WORKER_IMAP__PORT": str(imap.port),
        "INBOX_WORKER_IMAP__USERNAME": imap_user,
        "INBOX_WORKER_IMAP__PASSWORD": imap.password.get_secret_value(),
        "INBOX_WORKER_IMAP__SECURITY": "none",
        "INBOX_WORKER_SMTP__HOST": "127.0.0.1", "INBOX_WORKER_SMTP__PORT": str(smtp_server.port),
        "INBOX_WORKER_SMTP__SECURITY": "none", "INBOX_WORKER_SMTP__FROM_ADDRESS": "program@example.org",
        "INBOX_WORKER_DATABASE__URL": database_url,
        "INBOX_WORKER_PROGRAM__COORDINATORS": json.dumps([COORDINATOR]),
        "INBOX_WORKER_PROGRAM__RAW_STORE_DIR": str(tmp_path / "raw"),
        "INBOX_WORKER_SCHEDULE__DIGEST": "off",
    })
    done = subprocess.run([sys.executable, "-m", "inbox_worker", "run", "--once"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert imap.password.get_secret_value() not in done.stdout + done.stderr
    apps = sum(1 for w in EXPECTED.values() if w["outcome"] == "application")
    reviews = sum(1 for w in EXPECTED.values() if w["outcome"] == "review")
    assert len(smtp_server.received) == apps + reviews
    assert dovecot.list_folder(imap_user, "INBOX") == {}

    again = subprocess.run([sys.executable, "-m", "inbox_worker", "run", "--once"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert len(smtp_server.received) == apps + reviews


def test_a_message_over_the_size_limit_is_kept_whole_from_the_server_and_set_aside(world):
    """Over IMAP, a message bigger than imap.max_message_bytes is not read: it is copied to the
    raw-mail store a chunk at a time (chunks far smaller than it), set aside with the reason, and
    the message behind it is answered."""
    import hashlib

    dovecot, user, smtp, settings, app = world
    settings.imap.max_message_bytes = 20_000
    settings.imap.fetch_chunk_bytes = 4_096
    big = (FIXTURES / "01-protege-inline.eml").read_bytes().replace(
        b"Thanks,", b"P.S. " + b"My notes, at length. " * 3_000 + b"\r\n\r\nThanks,")
    dovecot.append(user, big)
    dovecot.append(user, (FIXTURES / "02-mentor-inline.eml").read_bytes())

    run_cycle(app, MailSource(), NOW)

    with app.db.unit_of_work() as s:
        first, second = s.scalars(select(IncomingMessage).order_by(IncomingMessage.uid)).all()
    kept = app.raw_store.get(first.raw_sha256)
    assert first.state == "review" and "too large to read" in first.reason
    assert [kept] == list(dovecot.list_folder(user, settings.imap.review_folder).values())
    assert first.raw_sha256 == hashlib.sha256(kept).hexdigest() and len(kept) > 60_000
    assert second.state == "processed"
    assert len(addressed_to(smtp.received, COORDINATOR)) == 1
