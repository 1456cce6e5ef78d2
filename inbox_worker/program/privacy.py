"""Forgetting people: on request (`inbox-worker forget EMAIL`) and after the retention period.

The program keeps personal data only while it needs it. Forgetting a
person removes everything that says who they are or what they wrote: their
application and its versions, the raw mail they sent (from the raw-mail
store), the email we queued or sent them, their assessment answers. What
is left is anonymous (a role, a library type, dates), so the program's
counts and reports still add up. The messages' positions in the mailbox are
kept, without sender or subject, so the worker never processes them again.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from inbox_worker.program import lifecycle
from inbox_worker.store.database import Database
from inbox_worker.store.models import (
    Application,
    ApplicationVersion,
    AssessmentAnswer,
    AutoReply,
    Event,
    IncomingMessage,
    MentoringRelationship,
    OutgoingMessage,
    RelationshipState,
    SuppressedAddress,
    WorkerState,
)
from inbox_worker.store.rawstore import RawStore

log = logging.getLogger(__name__)

# What an erased application keeps: enough to count, nothing to identify.
KEPT_KEYS = ("role", "library_type", "protege_categories", "mentor_categories")


@dataclass
class ForgetReport:
    applications: int = 0
    messages: int = 0
    raw_files: int = 0
    emails: int = 0
    answers: int = 0
    # Mailbox copies the program cannot delete (it never deletes mail): for a person to remove.
    mailbox_copies: list[str] = field(default_factory=list)
    # The other person of each relationship that ended because one of the pair was erased.
    partners_not_told: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"erased: {self.applications} application(s), {self.messages} incoming message(s) "
               f"({self.raw_files} raw file(s)), {self.emails} outgoing email(s), {self.answers} assessment "
               "answer(s)"]
        if self.partners_not_told:
            out.append("their running mentoring relationship ended, and its mail not yet sent was withdrawn; "
                       "the program does not write to the other person about it, so tell them yourself: "
                       + ", ".join(self.partners_not_told))
        if self.mailbox_copies:
            out.append("copies are still in the mailbox; delete them there by hand: "
                       + ", ".join(self.mailbox_copies))
        return out


def forget(db: Database, raw_store: RawStore, address: str, now: datetime, actor: str) -> ForgetReport:
    """Erase one person, found by their email address (on the form or as a sender)."""
    address = address.strip().lower()
    report = ForgetReport()
    with db.unit_of_work() as s:
        apps = s.scalars(select(Application).where(Application.email == address)).all()
        # A relationship cannot go on with one of the pair erased: no reminder may go to an
        # address that no longer exists, nor name a person who asked to be forgotten.
        ids = {a.id for a in apps}
        for rel in s.scalars(select(MentoringRelationship).where(
                MentoringRelationship.state.in_(lifecycle.RUNNING_STATES),
                or_(MentoringRelationship.protege_id.in_(ids), MentoringRelationship.mentor_id.in_(ids)))):
            lifecycle.stop(s, rel, now, actor, "one of the pair asked to be erased")
            partner = s.get(Application, rel.mentor_id if rel.protege_id in ids else rel.protege_id)
            report.partners_not_told.append(partner.email)
        shas = _erase(s, apps, {address}, report)
        s.add(Event(at=now, actor=actor, action="person_forgotten", subject=_fingerprint(address),
                    detail={"applications": report.applications, "messages": report.messages}))
    _remove_raw(db, raw_store, shas, report)
    return report


def purge_expired(db: Database, raw_store: RawStore, now: datetime, retention_days: int) -> ForgetReport:
    """Forget both people of every relationship that ended more than `retention_days` ago.

    A match withdrawn before its introduction does not count: its protégé waits for a mentor again.
    """
    report = ForgetReport()
    cutoff = now - timedelta(days=retention_days)
    with db.unit_of_work() as s:
        ended = s.scalars(select(MentoringRelationship).where(
            MentoringRelationship.state.in_((RelationshipState.CLOSED, RelationshipState.ENDED_EARLY)),
            MentoringRelationship.closed_at.is_not(None), MentoringRelationship.closed_at < cutoff)).all()
        ids = {r.protege_id for r in ended} | {r.mentor_id for r in ended}
        live = {i for r in s.scalars(select(MentoringRelationship).where(MentoringRelationship.closed_at.is_(None)))
                for i in (r.protege_id, r.mentor_id)}
        ids -= live  # someone in a later, live relationship is still needed
        apps = [a for a in s.scalars(select(Application).where(Application.id.in_(ids)))
                if not a.email.endswith(ERASED_DOMAIN)]
        shas = _erase(s, apps, {a.email for a in apps}, report)
        if apps:
            s.add(Event(at=now, actor="retention", action="retention_purge",
                        detail={"applications": report.applications, "older_than_days": retention_days}))
    _remove_raw(db, raw_store, shas, report)
    return report


def purge_if_due(db: Database, raw_store: RawStore, now: datetime, retention_days: int) -> ForgetReport | None:
    """Run the retention purge at most once a day."""
    with db.unit_of_work() as s:
        last = s.get(WorkerState, "last_retention_purge")
        if last is not None and datetime.fromisoformat(last.value) > now - timedelta(days=1):
            return None
        s.merge(WorkerState(key="last_retention_purge", value=now.isoformat()))
        # The daily cap looks back one day only: older counts identify people for nothing.
        s.execute(delete(AutoReply).where(AutoReply.at < now - timedelta(days=1)))
    report = purge_expired(db, raw_store, now, retention_days)
    unnamed = purge_unnamed_raw(db, raw_store, now)
    if unnamed:
        log.info("retention: removed %s raw-mail file(s) that no message's record names", unnamed)
    return report


# A message's raw file is written before the record naming it is committed; a file is left this
# long before it may count as named by nothing, so a message being recorded is never caught between.
UNNAMED_RAW_GRACE = timedelta(days=1)
# Files checked against the database a batch at a time.
UNNAMED_RAW_BATCH = 500


def purge_unnamed_raw(db: Database, raw_store: RawStore, now: datetime) -> int:
    """Remove raw-mail files that no message's record names: how many were removed.

    A crash between writing a message's file and committing its record leaves one, and so does
    a copy of a message already recorded that came with other bytes. Nothing would ever erase
    such a file, nor the personal data in it.
    """
    cutoff = (now - UNNAMED_RAW_GRACE).replace(tzinfo=UTC).timestamp()
    removed, batch = 0, []
    for path in raw_store.files_older_than(cutoff):
        batch.append(path)
        if len(batch) >= UNNAMED_RAW_BATCH:
            removed += _remove_unnamed(db, batch, cutoff)
            batch = []
    return removed + _remove_unnamed(db, batch, cutoff)


def _remove_unnamed(db: Database, paths: list[Path], cutoff: float) -> int:
    # A kept message's file is <sha256>.eml; anything else listed is a half-written leftover.
    kept = {p.stem for p in paths if p.suffix == ".eml"}
    named = set()
    if kept:
        with db.unit_of_work() as s:
            named = set(s.scalars(select(IncomingMessage.raw_sha256)
                                  .where(IncomingMessage.raw_sha256.in_(kept))))
    removed = 0
    for path in paths:
        if path.suffix == ".eml" and path.stem in named:
            continue
        with contextlib.suppress(FileNotFoundError):
            # Touched since it was listed: a message being recorded now is about to name it.
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


ERASED_DOMAIN = "@erased.invalid"


def _erase(s: Session, apps: list[Application], addresses: set[str], report: ForgetReport) -> set[str]:
    """Anonymise the applications and remove what identifies the people; return raw files to delete."""
    app_ids = [a.id for a in apps]
    for app in apps:
        app.record = {k: app.record.get(k) for k in KEPT_KEYS}
        app.email = f"erased-{app.id}{ERASED_DOMAIN}"
        app.name = None
        app.missing = []
        # Counted still, but never matched, suggested, reminded or written to again.
        app.status = "erased"
        report.applications += 1
    for version in s.scalars(select(ApplicationVersion).where(ApplicationVersion.application_id.in_(app_ids))):
        s.delete(version)
    for rel in s.scalars(select(MentoringRelationship).where(or_(
            MentoringRelationship.protege_id.in_(app_ids), MentoringRelationship.mentor_id.in_(app_ids)))):
        rel.explanation = {}
        rel.end_reason = None if rel.end_reason is None else "(erased)"
    for answer in s.scalars(select(AssessmentAnswer).where(AssessmentAnswer.participant.in_(addresses))):
        s.delete(answer)
        report.answers += 1
    erased_emails = []
    for row in s.scalars(select(OutgoingMessage)):
        if row.application_id in app_ids or addresses & {r.lower() for r in row.recipients}:
            if row.state == "pending":
                row.state = "failed"  # never send it now
            row.raw, row.subject, row.recipients = b"", "(erased)", []
            erased_emails.append(row.id)
            report.emails += 1
    s.execute(delete(AutoReply).where(or_(AutoReply.address.in_(addresses),
                                          AutoReply.outgoing_message_id.in_(erased_emails))))
    shas = set()
    incoming = s.scalars(select(IncomingMessage).where(or_(
        IncomingMessage.sender.in_(addresses), IncomingMessage.application_id.in_(app_ids)))).all()
    for msg in incoming:
        if msg.raw_sha256:
            shas.add(msg.raw_sha256)
        if msg.filed_to:
            report.mailbox_copies.append(f"{msg.filed_to} (Message-ID {msg.message_id})")
        msg.sender, msg.subject, msg.raw_sha256, msg.reason = None, None, None, "erased on request"
        report.messages += 1
    for row in s.scalars(select(SuppressedAddress).where(SuppressedAddress.address.in_(addresses))):
        s.delete(row)
    for event in s.scalars(select(Event).where(Event.subject.in_(addresses))):
        event.subject = _fingerprint(event.subject)
    return shas


def _remove_raw(db: Database, raw_store: RawStore, shas: set[str], report: ForgetReport) -> None:
    """Delete raw files nobody else's message shares."""
    with db.unit_of_work() as s:
        still = set(s.scalars(select(IncomingMessage.raw_sha256).where(IncomingMessage.raw_sha256.in_(shas))))
    for sha in shas - still:
        path = raw_store.path(sha)
        if path.exists():
            path.unlink()
            report.raw_files += 1


def _fingerprint(address: str) -> str:
    """Stands for an address in the audit log without revealing it."""
    return "sha256:" + hashlib.sha256(address.encode("utf-8")).hexdigest()[:16]
