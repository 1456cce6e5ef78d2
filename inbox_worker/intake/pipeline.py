"""Intake: the straight path one message walks from the mailbox to its answer.

    fetch -> classify -> extract -> decide -> store (+ outbox) -> file away

In a large backlog the extract step of the next few messages runs ahead in
other processes (`readahead`); every other step stays here, in order.

Each message is one unit of work: its row, its application and the email
that answers it are committed together, and only then is the message moved
out of the folder being watched. A crash at any point leaves the message
either untouched (it is processed again) or recorded with its answer queued
(it is only filed away again): never lost, never answered twice. The
record's commit does not wait for the disk: `Database.make_durable` does,
before any message is moved or answered. So a power cut may undo the last
few records, whose messages are then still in the folder, untouched.

A message that cannot be processed is retried a bounded number of times and
then set aside for review, so it never blocks the ones behind it.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.extract.message import parse_headers, parse_message
from inbox_worker.intake.classify import classify
from inbox_worker.intake.decide import Decision, decide, merge_records
from inbox_worker.intake.readahead import ReadAhead, Reading
from inbox_worker.mail.bounces import bounced_message_ids, failed_recipients
from inbox_worker.mail.headers import header, sender_address
from inbox_worker.mail.mailbox import Mailbox, MailboxError, MessageRef
from inbox_worker.outbound import outbox
from inbox_worker.outbound.blank_form import write_form
from inbox_worker.outbound.contexts import acknowledgement_context, review_notice_context
from inbox_worker.outbound.emails import (
    Attachment,
    Envelope,
    Templates,
    address_domain,
    build_message,
    message_id_for,
    valid_address,
)
from inbox_worker.program import replies
from inbox_worker.record import ApplicationRecord, Extraction, UnreadableInput
from inbox_worker.store.database import Database
from inbox_worker.store.models import (
    Application,
    ApplicationVersion,
    Event,
    IncomingMessage,
    OutgoingMessage,
    SuppressedAddress,
    WorkerState,
)
from inbox_worker.store.rawstore import RawStore

log = logging.getLogger(__name__)
# Finished messages moved out of the watched folder by one IMAP command.
FILE_BATCH = 50


@dataclass
class PollSummary:
    seen: int = 0
    applications: int = 0
    updates: int = 0
    ignored: int = 0
    review: int = 0
    # Replies to the program's own mail that were handled (commands, assessment answers).
    replies: int = 0
    duplicates: int = 0
    retry_later: int = 0
    filed: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Intake:
    """Everything one poll needs, built once by `bootstrap` and handed in."""

    settings: Settings
    db: Database
    mailbox: Mailbox
    raw_store: RawStore | None
    templates: Templates
    account: str
    # With dry_run the mailbox is left exactly as it was.
    dry_run: bool = False
    # Renews this worker's lease on the mailbox; False means another worker took over.
    keep_lease: Callable[[], bool] = lambda: True

    # ------------------------------------------------------------ the poll
    def poll(self, now: datetime) -> PollSummary:
        """Process every new message in the watched folder, then file away what is done."""
        summary = PollSummary()
        folder = self.settings.imap.folder
        self._file_pending(summary)
        last_validity, last_uid = self._position(folder)
        uidvalidity, refs = self.mailbox.scan(folder, after_uid=0 if last_validity is None else last_uid)
        if last_validity is not None and uidvalidity != last_validity:
            # The server renumbered the folder: old UIDs mean nothing now. Rescan
            # everything; Message-IDs tell which messages were already processed.
            log.warning("intake: %s changed UIDVALIDITY (%s -> %s); reconciling by Message-ID",
                        folder, last_validity, uidvalidity)
            uidvalidity, refs = self.mailbox.scan(folder, after_uid=0)
        done_upto = 0 if uidvalidity != last_validity else last_uid
        blocked = False
        # Finished messages are moved out in groups, one IMAP command for each group. Until
        # then they are recorded and unfiled, which is exactly what `_file_pending` picks up
        # after a crash, so grouping the moves changes nothing about what survives one.
        to_file: list[int] = []
        # Messages are registered (a row each, in state "new") a group at a time, one transaction
        # for the group; Message-IDs finished during this poll tell a later copy it is a duplicate.
        registered: dict[int, _Registration] = {}
        finished_ids: dict[str, int] = {}
        with ReadAhead(self.mailbox, refs, self.settings.imap.max_message_bytes,
                       self.settings.worker.extraction_processes, self.raw_store) as ahead:
            for i, ref in enumerate(refs):
                if not self.keep_lease():
                    summary.problems.append("another worker took over the mailbox; stopping this poll")
                    break
                summary.seen += 1
                if ref.uid not in registered:
                    registered = self._register(refs[i:i + FILE_BATCH], now)
                finished, row_id = self._process(ref, registered[ref.uid], finished_ids, now, summary, ahead)
                if finished and ref.message_id and row_id is not None:
                    finished_ids.setdefault(ref.message_id, row_id)
                if row_id is not None:
                    to_file.append(row_id)
                    if len(to_file) >= FILE_BATCH:
                        self._file(to_file, summary)
                        to_file = []
                if finished and not blocked:
                    done_upto = max(done_upto, ref.uid)
                blocked = blocked or not finished
        self._file(to_file, summary)
        self._save_position(folder, uidvalidity, done_upto, now)
        return summary

    # ------------------------------------------------------------ one message
    def _register(self, refs: list[MessageRef], now: datetime) -> dict[int, _Registration]:
        """Rows for these messages (one folder's), made where missing; copies of messages
        finished before are marked duplicates at once."""
        with self.db.unit_of_work() as s:
            # Every message of a backlog is registered here: statements, not the ORM's objects.
            rows = {row.uid: row for row in s.execute(_REGISTERED, {
                "account": self.account, "folder": refs[0].folder, "uidvalidity": refs[0].uidvalidity,
                "uids": [ref.uid for ref in refs]})}
            new = [ref for ref in refs if ref.uid not in rows]
            if new:
                rows |= {row.uid: row for row in s.execute(_REGISTER, [{
                    "account": self.account, "folder": ref.folder, "uidvalidity": ref.uidvalidity,
                    "uid": ref.uid, "message_id": ref.message_id, "size": ref.size, "state": "new",
                    "attempts": 0, "received_at": now, "updated_at": now} for ref in new])}
            fresh = [row for row in rows.values() if row.state == "new" and row.message_id]
            earlier: dict[str, int] = {}
            if fresh:
                for row in s.execute(_FINISHED_WITH_IDS, {
                        "account": self.account, "message_ids": list({r.message_id for r in fresh})}):
                    earlier.setdefault(row.message_id, row.id)
            duplicates = set()
            for row in fresh:
                if (original := earlier.get(row.message_id)) is not None:
                    self._mark_duplicate(s.get(IncomingMessage, row.id), s.get(IncomingMessage, original),
                                         now)
                    duplicates.add(row.uid)
            return {uid: _Registration(row.id, "duplicate" if uid in duplicates else row.state, row.filed_to,
                                       row.received_at, uid in duplicates)
                    for uid, row in rows.items()}

    @staticmethod
    def _mark_duplicate(row: IncomingMessage, original: IncomingMessage, now: datetime) -> None:
        row.state, row.reason = "duplicate", f"same Message-ID as message {original.id}"
        row.classification = original.classification
        row.updated_at = now

    def _process(self, ref: MessageRef, registration: _Registration, finished_ids: dict[str, int],
                 now: datetime, summary: PollSummary, ahead: ReadAhead) -> tuple[bool, int | None]:
        """Walk one message down the path: (finished with it?, its row if it is to be filed away)."""
        row_id, state, filing = registration.row_id, registration.state, registration.filed_to
        if state == "new" and ref.message_id in finished_ids:
            # A copy of a message finished earlier in this poll, after the registration.
            with self.db.unit_of_work() as s:
                self._mark_duplicate(s.get(IncomingMessage, row_id),
                                     s.get(IncomingMessage, finished_ids[ref.message_id]), now)
            summary.duplicates += 1
            return True, row_id
        if registration.duplicate:
            summary.duplicates += 1
            return True, row_id
        if state != "new":
            return True, (row_id if filing is None else None)
        try:
            outcome = self._walk(registration, ref, now, ahead)
            log.debug("intake: UID %s committed (%s)", ref.uid, outcome)
        except Exception as e:  # a bug or an outage on one message must not stop the queue
            log.exception("intake: message UID %s failed", ref.uid)
            return self._count_failure(row_id, ref, now, e, summary)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        return True, row_id

    def _walk(self, registration: _Registration, ref: MessageRef, now: datetime, ahead: ReadAhead) -> str:
        row_id = registration.row_id
        limit = self.settings.imap.max_message_bytes
        if ref.size > limit:
            return self._set_aside(row_id, now, "the message is too large to read "
                                   f"({ref.size:,} bytes; the limit is {limit:,})")
        raw = ahead.fetch(ref, limit)
        log.debug("intake: UID %s fetched (%s bytes)", ref.uid, len(raw))
        keeping = None
        if self.raw_store is not None:
            # Being written since the message was handed out to be read ahead, or from now.
            keeping = ahead.keeping(ref) or self.raw_store.keep(raw)
        try:
            # Who sent it and what kind of mail it is need only the headers.
            msg = parse_headers(raw)
        except UnreadableInput as e:
            return self._set_aside(row_id, now, f"the message could not be read: {e}",
                                   sha=keeping and keeping.sha256())
        classification = classify(msg, self._own_addresses())
        if classification.kind == "bounce" or (classification.from_person and not ahead.holds(ref)):
            # Read here, whole. Parsed once: its text and its extraction read this one copy, so a
            # message with a large attachment is never held parsed twice.
            msg = parse_message(raw)
        del raw
        extraction: Extraction | None = None
        reading: Reading | None = None
        if classification.from_person:
            # Read before the transaction opens, so no other writer waits on the reading.
            reading = ahead.read(ref, msg)
            extraction = reading.extraction
            log.debug("intake: UID %s extracted", ref.uid)
        # The message's file is on disk before the record of it is committed.
        sha = keeping.sha256() if keeping is not None else None
        sender = sender_address(msg)
        incoming = _Incoming(row_id, registration.received_at, raw_sha256=sha,
                             sender=_sender(sender, extraction), subject=header(msg, "Subject")[:2000])
        # Not waiting for the disk here: the message is moved, and its answer sent, only after
        # `make_durable()`; a power cut before that leaves it in the folder, to be read again.
        with self.db.unit_of_work(durable=False) as s:
            # Replies to the program's own mail (a coordinator's APPROVE/REJECT to a digest, a
            # participant's answer to an assessment reminder) are handled by `replies`, and what
            # was read from them as a form is set aside.
            if reading is not None and (
                    handled := self._route_reply(s, incoming, msg, reading.text, sender, now)):
                return handled
            applicant = _applicant_key(extraction, sender) if extraction and extraction.record else ""
            existing = self._application_for(s, applicant)
            decision = decide(classification, extraction, problem=reading.problem if reading else None,
                              known_applicant=existing is not None)
            incoming.classification = classification.kind
            incoming.state = {"application": "processed", "ignored": "ignored",
                              "review": "review"}[decision.outcome]
            incoming.reason = decision.reason
            if decision.outcome == "application":
                app = self._store_application(s, incoming, extraction, existing, applicant, now)
                incoming.application_id = app.id
                self._queue_acknowledgement(s, incoming, app, decision, msg, now)
                incoming.write(s, now)
                return "updates" if existing is not None else "applications"
            incoming.write(s, now)
            if decision.template == "review_notice":
                self._queue_review_notice(s, incoming, decision.reason, now)
            if classification.kind == "bounce":
                self._record_bounce(s, incoming, msg, now)
            return "review" if decision.outcome == "review" else "ignored"

    def _record_bounce(self, s: Session, row: _Incoming, msg: Message, now: datetime) -> None:
        """A hard bounce of our own mail: stop mailing that address and tell the coordinators."""
        ours = bounced_message_ids(msg)
        if not ours or s.scalar(select(OutgoingMessage.id).where(OutgoingMessage.message_id.in_(ours))) is None:
            return  # not a report about mail this program sent
        for failed in failed_recipients(msg):
            if not failed.permanent or s.get(SuppressedAddress, failed.address) is not None:
                continue
            reason = f"an email to {failed.address} could not be delivered ({failed.status} {failed.diagnostic})"
            s.add(SuppressedAddress(address=failed.address, reason=reason.strip(), at=now,
                                    incoming_message_id=row.id))
            s.add(Event(at=now, actor="mail system", action="address_undeliverable", subject=failed.address,
                        detail={"incoming_message": row.id, "status": failed.status}))
            self._queue_review_notice(s, row, f"{reason.strip()}: no more automatic mail goes to that address",
                                      now, key=f"undeliverable:{failed.address}")

    def _route_reply(self, s: Session, incoming: _Incoming, msg: Message, text: str, sender: str,
                     now: datetime) -> str | None:
        """A reply the program handles: recorded with what it caused; else None."""
        outcome = replies.route(s, msg, text, sender, self.settings, self.templates, now)
        if outcome is None:
            return None
        incoming.sender = _sender(sender, None)
        incoming.classification, incoming.state, incoming.reason = outcome.kind, outcome.state, outcome.reason
        incoming.write(s, now)
        if outcome.notify:
            self._queue_review_notice(s, incoming, outcome.reason, now)
        return "review" if outcome.state == "review" else "replies"

    def _set_aside(self, row_id: int, now: datetime, reason: str, sha: str | None = None) -> str:
        with self.db.unit_of_work() as s:
            row = s.get(IncomingMessage, row_id)
            row.state, row.reason, row.updated_at = "review", reason, now
            row.raw_sha256 = sha or row.raw_sha256
            self._queue_review_notice(s, row, reason, now)
        return "review"

    def _count_failure(self, row_id: int, ref: MessageRef, now: datetime, error: Exception,
                       summary: PollSummary) -> tuple[bool, int | None]:
        if isinstance(error, MailboxError):
            # The mailbox itself is failing: not this message's fault; try again next poll.
            summary.problems.append(f"mailbox problem at message UID {ref.uid}: {error}")
            summary.retry_later += 1
            return False, None
        with self.db.unit_of_work() as s:
            row = s.get(IncomingMessage, row_id)
            row.attempts += 1
            row.updated_at = now
            attempts = row.attempts
        if attempts >= self.settings.worker.max_process_attempts:
            reason = (f"processing failed {attempts} times ({type(error).__name__}: {error}); "
                      "set aside so the messages behind it can go on")
            self._set_aside(row_id, now, reason)
            summary.review += 1
            summary.problems.append(f"message UID {ref.uid} set aside: {reason}")
            return True, row_id
        summary.retry_later += 1
        summary.problems.append(f"message UID {ref.uid} failed (try {attempts}); it will be tried again")
        return False, None

    # ------------------------------------------------------------ filing
    def _file(self, row_ids: list[int], summary: PollSummary) -> None:
        """Move finished messages to their folders; remember which moved."""
        if not row_ids:
            return
        groups: dict[tuple[str, str, int], list[tuple[int, MessageRef]]] = {}
        with self.db.unit_of_work() as s:
            for row in s.scalars(select(IncomingMessage).where(IncomingMessage.id.in_(row_ids))):
                target = (self.settings.imap.review_folder if row.state == "review"
                          else self.settings.imap.processed_folder)
                ref = MessageRef(row.folder, row.uidvalidity, row.uid, row.size, row.message_id)
                groups.setdefault((target, row.folder, row.uidvalidity), []).append((row.id, ref))
        if self.dry_run:
            return
        # Once moved, a message is never read again: its record must be on the disk first.
        self.db.make_durable()
        for (target, _folder, _validity), rows in groups.items():
            refs = [ref for _id, ref in rows]
            try:
                self.mailbox.move_many(refs, target)
            except MailboxError as e:
                # Recorded already; the move is tried again at the next poll.
                summary.problems.append(f"could not file {len(refs)} message(s) to {target}: {e}")
                continue
            if log.isEnabledFor(logging.DEBUG):
                for ref in refs:
                    log.debug("intake: UID %s moved to %s", ref.uid, target)
            with self.db.unit_of_work() as s:
                filed = [row_id for row_id, _ref in rows]
                s.execute(update(IncomingMessage).where(IncomingMessage.id.in_(filed)).values(filed_to=target))
            summary.filed += len(rows)

    def _file_pending(self, summary: PollSummary) -> None:
        """Messages recorded earlier whose move did not happen (a crash, an outage)."""
        with self.db.unit_of_work() as s:
            pending = s.scalars(
                select(IncomingMessage.id).where(
                    IncomingMessage.account == self.account,
                    IncomingMessage.folder == self.settings.imap.folder,
                    IncomingMessage.state != "new",
                    IncomingMessage.filed_to.is_(None),
                ).order_by(IncomingMessage.id)
            ).all()
        for i in range(0, len(pending), FILE_BATCH):
            self._file(list(pending[i:i + FILE_BATCH]), summary)

    # ------------------------------------------------------------ store
    # Every application of a backlog is written here, with statements built once (below the
    # class) rather than through the ORM's unit of work, which cost several times the SQL itself.
    def _application_for(self, s: Session, applicant: str) -> Row | None:
        """The application already kept for this applicant's address (`_applicant_key`), if any."""
        return s.execute(_APPLICATION_BY_EMAIL, {"email": applicant}).first() if applicant else None

    def _store_application(self, s: Session, row: _Incoming, extraction: Extraction,
                           existing: Row | None, applicant: str, now: datetime) -> StoredApplication:
        record = extraction.record
        data = record.contract_dict() if existing is None else merge_records(existing.record, record)
        merged = ApplicationRecord(**data)
        missing = merged.missing()
        values = {"record": merged.contract_dict(), "role": merged.role, "name": merged.name,
                  "missing": missing, "status": "incomplete" if missing else "received", "updated_at": now}
        if existing is None:
            app = StoredApplication(0, applicant, values["record"], missing, version=1)
            app.id = s.execute(_INSERT_APPLICATION, values | {
                "email": app.email, "version": app.version, "created_at": now}).inserted_primary_key[0]
        else:
            app = StoredApplication(existing.id, existing.email, values["record"], missing,
                                    version=existing.version + 1)
            s.execute(_UPDATE_APPLICATION, values | {"application_id": app.id, "version": app.version})
        s.execute(_INSERT_VERSION, {
            "application_id": app.id, "version": app.version, "record": app.record,
            "incoming_message_id": row.id, "created_at": now,
            "provenance": {k: r.model_dump() for k, r in extraction.readings.items()}
            | {"part": extraction.part}})
        s.execute(_INSERT_EVENT, {
            "at": now, "actor": row.sender or "applicant", "subject": f"application:{app.id}",
            "action": "application_updated" if existing is not None else "application_received",
            "detail": {"incoming_message": row.id, "version": app.version, "missing": missing}})
        return app

    # ------------------------------------------------------------ answers
    def _queue_acknowledgement(self, s: Session, row: _Incoming, app: StoredApplication, decision: Decision,
                               msg: Message, now: datetime) -> None:
        attachments = _blank_form() if app.missing else []
        context = acknowledgement_context(self.settings.program, app.record, app.missing, bool(attachments))
        key = f"ack:{row.id}"
        rendered = self.templates.render(decision.template, context)
        their_id = header(msg, "Message-ID")
        envelope = Envelope(from_address=self.settings.smtp.from_address, from_name=self.settings.smtp.from_name,
                            to=[app.email], in_reply_to=their_id or None,
                            references=_references(msg))
        message = build_message(rendered, envelope, date=now, attachments=attachments,
                                message_id=message_id_for(key, address_domain(self.settings.smtp.from_address)))
        outbox.queue(s, key=key, template=decision.template, message=message, now=now,
                     application_id=app.id, incoming_message_id=row.id,
                     daily_cap=self.settings.worker.max_replies_per_address_per_day)

    def _queue_review_notice(self, s: Session, row: IncomingMessage | _Incoming, reason: str, now: datetime,
                             key: str | None = None) -> None:
        coordinators = self.settings.program.coordinators
        if not coordinators:
            log.warning("intake: message %s set aside for review, but no coordinators are configured "
                        "to tell ([program] coordinators)", row.id)
            return
        context = review_notice_context(
            self.settings.program, self.settings.imap.review_folder, sender=row.sender, subject=row.subject,
            received=row.received_at.strftime("%Y-%m-%d %H:%M"), reason=reason)
        key = key or f"review:{row.id}"
        rendered = self.templates.render("review_notice", context)
        envelope = Envelope(from_address=self.settings.smtp.from_address, from_name=self.settings.smtp.from_name,
                            to=list(coordinators), auto_submitted="auto-generated")
        message = build_message(rendered, envelope, date=now,
                                message_id=message_id_for(key, address_domain(self.settings.smtp.from_address)))
        outbox.queue(s, key=key, template="review_notice", message=message, now=now, incoming_message_id=row.id)

    # ------------------------------------------------------------ bookkeeping
    def _own_addresses(self) -> frozenset[str]:
        return frozenset(a.lower() for a in (self.settings.smtp.from_address,
                                             self.settings.program.mailbox_address) if a)

    def _position(self, folder: str) -> tuple[int | None, int]:
        with self.db.unit_of_work() as s:
            row = s.get(WorkerState, f"position:{self.account}:{folder}")
        if row is None:
            return None, 0
        validity, _, uid = row.value.partition(":")
        return int(validity), int(uid)

    def _save_position(self, folder: str, uidvalidity: int, uid: int, now: datetime) -> None:
        with self.db.unit_of_work() as s:
            s.merge(WorkerState(key=f"position:{self.account}:{folder}", value=f"{uidvalidity}:{uid}"))
            s.merge(WorkerState(key="last_poll_at", value=now.isoformat()))


@dataclass
class _Incoming:
    """A message's row as its transaction leaves it, written by one UPDATE."""

    id: int
    received_at: datetime
    raw_sha256: str | None
    sender: str
    subject: str
    classification: str | None = None
    state: str = "new"
    reason: str | None = None
    application_id: int | None = None

    def write(self, s: Session, now: datetime) -> None:
        s.execute(_UPDATE_INCOMING, {
            "row_id": self.id, "raw_sha256": self.raw_sha256, "sender": self.sender, "subject": self.subject,
            "classification": self.classification, "state": self.state, "reason": self.reason,
            "application_id": self.application_id, "updated_at": now})


@dataclass
class StoredApplication:
    """An application as this message left it."""

    id: int
    email: str
    record: dict
    missing: list[str]
    version: int


# Table columns, not the mapped class's attributes: a statement naming those goes through the
# ORM's bulk-update path, which cost three times the SQL itself.
_INCOMING = IncomingMessage.__table__
_UPDATE_INCOMING = update(_INCOMING).where(_INCOMING.c.id == bindparam("row_id"))
# A message's row as `_register` finds or makes it.
_REGISTERED_COLUMNS = (_INCOMING.c.id, _INCOMING.c.uid, _INCOMING.c.message_id, _INCOMING.c.state,
                       _INCOMING.c.filed_to, _INCOMING.c.received_at)
_REGISTERED = select(*_REGISTERED_COLUMNS).where(
    _INCOMING.c.account == bindparam("account"), _INCOMING.c.folder == bindparam("folder"),
    _INCOMING.c.uidvalidity == bindparam("uidvalidity"), _INCOMING.c.uid.in_(bindparam("uids", expanding=True)))
_REGISTER = insert(_INCOMING).returning(*_REGISTERED_COLUMNS, sort_by_parameter_order=True)
# Messages with these Message-IDs already finished with (the earliest first).
_FINISHED_WITH_IDS = select(_INCOMING.c.id, _INCOMING.c.message_id).where(
    _INCOMING.c.account == bindparam("account"),
    _INCOMING.c.message_id.in_(bindparam("message_ids", expanding=True)),
    _INCOMING.c.state != "new").order_by(_INCOMING.c.id)
_APPLICATIONS = Application.__table__
_APPLICATION_BY_EMAIL = select(_APPLICATIONS.c.id, _APPLICATIONS.c.email, _APPLICATIONS.c.record,
                               _APPLICATIONS.c.version).where(_APPLICATIONS.c.email == bindparam("email"))
_INSERT_APPLICATION = insert(_APPLICATIONS)
_UPDATE_APPLICATION = update(_APPLICATIONS).where(_APPLICATIONS.c.id == bindparam("application_id"))
_INSERT_VERSION = insert(ApplicationVersion.__table__)
_INSERT_EVENT = insert(Event.__table__)


@dataclass(frozen=True)
class _Registration:
    """A message's row as the poll found or made it."""

    row_id: int
    state: str
    filed_to: str | None
    received_at: datetime
    # Marked a duplicate of an earlier message just now, by the registration.
    duplicate: bool = False


def _applicant_key(extraction: Extraction, sender: str) -> str:
    """Who the application belongs to: the address on the form, else the original sender.

    Only a plain single address is ever used: it becomes a recipient.
    """
    for candidate in (extraction.record.email if extraction.record else None, extraction.sender,
                      sender):
        if candidate and valid_address(candidate.strip()):
            return candidate.strip().lower()
    return ""


def _sender(sender: str, extraction: Extraction | None) -> str:
    """Who sent the message (its From address, from `sender_address`), for its record."""
    return (sender or (extraction.sender if extraction else "") or "")[:320]


def _references(msg: Message) -> list[str]:
    refs = header(msg, "References").split()
    return [r for r in refs if r.startswith("<") and r.endswith(">")][-10:]


def _blank_form() -> list[Attachment]:
    """The program's form, attached when an acknowledgement asks for missing fields."""
    return [Attachment("WLA-mentoring-application.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       _blank_form_docx())]


@functools.cache
def _blank_form_docx() -> bytes:
    # The same bytes every time, and building them takes a tenth of a second: once a process is enough.
    return write_form("docx")
