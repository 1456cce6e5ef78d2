"""Confidentiality: a person can be forgotten, and old relationships are purged, keeping counts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, timedelta
from pathlib import Path

from intake_world import NOW
from sqlalchemy import func, select

from inbox_worker.program import lifecycle, privacy
from inbox_worker.store.models import (
    Application,
    ApplicationVersion,
    AutoReply,
    IncomingMessage,
    MentoringRelationship,
    OutgoingMessage,
)
from inbox_worker.worker import MailSource, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
APPLICANT = "rokafor@campbellcounty.example"


def _two_applications_recorded(world) -> list[Path]:
    """A protégé's and a mentor's applications, delivered and recorded: their raw-mail files."""
    dovecot, user, _smtp, settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    dovecot.append(user, (FIXTURES / "02-mentor-inline.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)
    return sorted(Path(settings.program.raw_store_dir).rglob("*.eml"))


def test_forget_erases_a_person_and_keeps_the_count(world):
    """After `forget`, nothing names the person, the raw mail is gone, and the application still counts."""
    _dovecot, _user, smtp, settings, app = world
    assert len(_two_applications_recorded(world)) == 2

    report = privacy.forget(app.db, app.raw_store, APPLICANT, NOW, actor="test")

    assert report.applications == 1 and report.raw_files == 1 and report.emails == 1
    assert len(list(Path(settings.program.raw_store_dir).rglob("*.eml"))) == 1
    with app.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 2
        erased = s.scalar(select(Application).where(Application.email.like("erased-%")))
        assert erased.record == {"role": "protege", "library_type": "public",
                                 "protege_categories": ["new_to_library"], "mentor_categories": []}
        assert s.scalars(select(ApplicationVersion).where(
            ApplicationVersion.application_id == erased.id)).all() == []
        dump = json.dumps([[m.sender, m.subject] for m in s.scalars(select(IncomingMessage))])
        dump += repr([(o.recipients, o.raw) for o in s.scalars(select(OutgoingMessage))])
        dump += repr([r.address for r in s.scalars(select(AutoReply))])
        # The other applicant's answer still counts against the daily cap.
        assert s.scalar(select(func.count()).select_from(AutoReply)) == 1
    assert APPLICANT not in dump and "Okafor" not in dump
    # The erased message is not processed again.
    assert run_cycle(app, MailSource(), NOW + timedelta(minutes=5)).poll.seen == 0
    # The erased protégé is counted, but waits for no one: never suggested, never written to.
    with app.db.unit_of_work() as s:
        assert erased.id not in {a.id for a in lifecycle.waiting_proteges(s)}
        assert s.get(Application, erased.id).status == "erased"
    run_cycle(app, MailSource(), NOW + timedelta(days=200))  # the waiting-list note would be due
    assert not any(a.endswith(privacy.ERASED_DOMAIN) for r in smtp.received for a in r.recipients)


def test_retention_purges_relationships_closed_long_ago(world):
    """A relationship closed longer ago than the retention period loses both people's details."""
    *_, app = world
    _a_relationship(world, state="closed", closed_at=NOW, starts_on=date(2026, 4, 10),
                    ends_on=date(2027, 4, 10), explanation={"why": "x"})

    assert privacy.purge_expired(app.db, app.raw_store, NOW + timedelta(days=700), 730).applications == 0
    report = privacy.purge_expired(app.db, app.raw_store, NOW + timedelta(days=731), 730)
    assert report.applications == 2
    with app.db.unit_of_work() as s:
        emails = s.scalars(select(Application.email)).all()
        assert all(e.endswith("@erased.invalid") for e in emails)
        assert s.scalar(select(func.count()).select_from(MentoringRelationship)) == 1


def test_forget_from_the_command_line(world):
    """`inbox-worker forget EMAIL --yes` erases and says what it did, and where copies remain."""
    dovecot, user, _smtp, settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env["INBOX_WORKER_DATABASE__URL"] = settings.database.url
    env["INBOX_WORKER_PROGRAM__RAW_STORE_DIR"] = settings.program.raw_store_dir
    done = subprocess.run([sys.executable, "-m", "inbox_worker", "forget", APPLICANT, "--yes"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "erased: 1 application(s)" in done.stdout
    assert "delete them there by hand" in done.stdout


def test_the_raw_mail_store_is_private(world):
    """Raw messages are stored readable by their owner only."""
    dovecot, user, _smtp, settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)
    files = list(Path(settings.program.raw_store_dir).rglob("*.eml"))
    assert files and all(f.stat().st_mode & 0o077 == 0 for f in files)
    assert all(d.stat().st_mode & 0o077 == 0 for d in {f.parent for f in files})


def test_retention_keeps_a_protege_whose_match_was_withdrawn(world):
    """A match withdrawn before its introduction is no ended relationship: its protégé, waiting
    for a mentor again, is not purged with the old records."""
    *_, app = world
    protege_id = _a_relationship(world, state="withdrawn", closed_at=NOW, explanation={})
    assert privacy.purge_expired(app.db, app.raw_store, NOW + timedelta(days=731), 730).applications == 0
    with app.db.unit_of_work() as s:
        assert protege_id in {a.id for a in lifecycle.waiting_proteges(s)}


def _a_relationship(world, **fields) -> int:
    """A protégé and a mentor read from the intake fixtures, and a relationship of theirs with
    `fields`; returns the protégé's application id."""
    dovecot, user, _smtp, _settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    dovecot.append(user, (FIXTURES / "02-mentor-inline.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)
    with app.db.unit_of_work() as s:
        protege = s.scalar(select(Application).where(Application.role == "protege"))
        mentor = s.scalar(select(Application).where(Application.role == "mentor"))
        s.add(MentoringRelationship(protege_id=protege.id, mentor_id=mentor.id, suggested_at=NOW,
                                    updated_at=NOW, **fields))
        return protege.id


def test_raw_files_no_record_names_are_removed_after_a_day(world):
    """The daily clean-up removes a raw-mail file no message's record names (a crash between the
    file and its record leaves one) and a half-written leftover, once a day old; files that
    records name, and recent files, stay."""
    *_, app = world
    named = _two_applications_recorded(world)
    assert len(named) == 2
    unnamed = app.raw_store.path(app.raw_store.put(b"From: nobody@example.org\r\n\r\nnever recorded\r\n"))
    recent = app.raw_store.path(app.raw_store.put(b"From: nobody@example.org\r\n\r\nrecorded soon\r\n"))
    leftover = unnamed.with_suffix(".tmp4242")
    leftover.write_bytes(b"From: half")
    later = NOW + timedelta(days=3)
    two_days_before = (later - timedelta(days=2)).replace(tzinfo=UTC).timestamp()
    for path in [*named, unnamed, leftover]:
        os.utime(path, (two_days_before, two_days_before))
    os.utime(recent, ((later - timedelta(hours=2)).replace(tzinfo=UTC).timestamp(),) * 2)

    assert privacy.purge_if_due(app.db, app.raw_store, later, 730) is not None

    assert not unnamed.exists() and not leftover.exists()
    assert all(p.exists() for p in named) and recent.exists()
    # At most once a day.
    os.utime(recent, (two_days_before, two_days_before))
    assert privacy.purge_if_due(app.db, app.raw_store, later + timedelta(hours=1), 730) is None
    assert recent.exists()
    assert privacy.purge_unnamed_raw(app.db, app.raw_store, later) == 1 and not recent.exists()
