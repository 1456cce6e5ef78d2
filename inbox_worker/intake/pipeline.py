"""Intake: the path one message walks from the mailbox to its answer, step by step, in order.

    fetch -> parse -> classify -> extract -> decide -> record and queue -> file

`Intake.poll` takes each new message of the watched folder down this path. Each step is a
function below that takes the value the step before it made (`stages`) and returns the next.

One unit of work per message: its row, its application and the email that answers it are
committed together, and only then, once `Database.make_durable` has put them on the disk, is
the message moved out of the watched folder (`filing`). A crash at any point leaves the message
either untouched (it is processed again) or recorded with its answer queued (it is only filed
away again): never lost, never answered twice. Messages are known by (account, folder,
UIDVALIDITY, UID) and by Message-ID, so a copy, or the same message in a renumbered folder, is
recorded as a duplicate and not answered again.

Reading a message for its form (`extract`) happens in reading processes under a memory and a
time limit (`extractor`). A try is committed before a message is handed to one (and given back
when the reading ends well), so a message that kills or hangs its reader, or is being read when
the whole worker dies, is set aside for review with its reason after
`worker.max_process_attempts` tries, and the messages behind it go on. The next few
messages are handed out before the current one is recorded, so they are read meanwhile.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.extract.message import parse_headers, parse_message
from inbox_worker.intake import applicant_replies, ledger, loops, notify
from inbox_worker.intake.classify import Classification, Kind, classify
from inbox_worker.intake.decide import (
    Caps,
    Changes,
    Circumstances,
    Decision,
    applicant_key,
    changes,
    decide,
    merge_records,
    notice_for,
)
from inbox_worker.intake.extractor import Extractor, ReadersUnavailable, Reading, ReadingFailed
from inbox_worker.intake.filing import Filer, unfiled
from inbox_worker.intake.stages import (
    Classified,
    Fetched,
    Notice,
    Outcome,
    Parsed,
    PollSummary,
    Read,
    Recorded,
    Registered,
    Tally,
    Turn,
)
from inbox_worker.mail.headers import header, raw_header, sender_address
from inbox_worker.mail.mailbox import Mailbox, MailboxError, MessageRef, MessageTooLarge
from inbox_worker.outbound.emails import Templates
from inbox_worker.program import replies
from inbox_worker.record import Extraction, UnreadableInput
from inbox_worker.store.database import Database
from inbox_worker.store.models import Application, IncomingState
from inbox_worker.store.rawstore import RawStore

log = logging.getLogger(__name__)
# While a reading is waited for, the mailbox's lease is renewed this often (seconds).
LEASE_RENEWAL_SECONDS = 5.0


class LeaseLost(Exception):
    """Another worker took the mailbox over while this one waited: the rest is theirs."""


@dataclass
class Intake:
    """Everything one poll needs, built by the worker and handed in."""

    settings: Settings
    db: Database
    mailbox: Mailbox
    raw_store: RawStore | None
    templates: Templates
    account: str
    extractor: Extractor
    # With dry_run the mailbox is left exactly as it was.
    dry_run: bool = False
    # Renews this worker's lease on the mailbox; False means another worker took over.
    keep_lease: Callable[[], bool] = lambda: True

    def poll(self, now: datetime) -> PollSummary:
        """Take every new message of the watched folder down the path, in order."""
        summary = PollSummary()
        folder = self.settings.imap.folder
        filer = Filer(self.db, self.mailbox, self.settings.imap, dry_run=self.dry_run)
        for row_id in unfiled(self.db, self.account, folder):
            filer.add(row_id)
        filer.flush()
        uidvalidity, refs, done_upto = self.scan(folder)
        if refs:
            ledger.clear_old_tallies(self.db, now)
        # Each message is begun (fetched, parsed, classified and handed to a reading process) up to
        # `capacity` messages before its turn, and finished (read, decided, recorded) in order.
        ahead: deque[Turn] = deque()
        begun_ids: set[str] = set()
        blocked = False
        for i, ref in enumerate(refs):
            if not self.keep_lease():
                summary.problems.append("another worker took over the mailbox; stopping this poll")
                break
            summary.seen += 1
            # A second copy in this poll is not read ahead: by its turn the first may be finished with.
            turn = self.begin(ref, now, read_ahead=ref.message_id not in begun_ids)
            ahead.append(turn)
            begun_ids.add(ref.message_id or "")
            # A message whose reading failed or was cut short before is read alone: what is read
            # beside it cannot be counted a try for its fault (a worker killed for its memory).
            alone = turn.suspect
            while len(ahead) > self.extractor.capacity or (ahead and (alone or i == len(refs) - 1)):
                turn = ahead.popleft()
                finished = self.finish(turn, now, summary, filer)
                if finished and not blocked:
                    done_upto = max(done_upto, turn.ref.uid)
                blocked = blocked or not finished
        filer.flush()
        summary.filed, summary.problems = filer.filed, summary.problems + filer.problems
        ledger.save_position(self.db, self.account, folder, uidvalidity, done_upto, now)
        return summary

    def scan(self, folder: str) -> tuple[int, list[MessageRef], int]:
        """The folder's UIDVALIDITY, its messages not finished with, and the UID up to which all are."""
        last_validity, last_uid = ledger.position(self.db, self.account, folder)
        uidvalidity, refs = self.mailbox.scan(folder, after_uid=0 if last_validity is None else last_uid)
        if last_validity is not None and uidvalidity != last_validity:
            # The server renumbered the folder: old UIDs mean nothing now. Rescan everything;
            # Message-IDs tell which messages were already processed.
            log.warning("intake: %s changed UIDVALIDITY (%s -> %s); reconciling by Message-ID",
                        folder, last_validity, uidvalidity)
            uidvalidity, refs = self.mailbox.scan(folder, after_uid=0)
        return uidvalidity, refs, 0 if uidvalidity != last_validity else last_uid

    # ------------------------------------------------------------------ one message's journey
    def begin(self, ref: MessageRef, now: datetime, *, read_ahead: bool) -> Turn:
        """The steps that may run ahead of the message's turn: fetch, parse, classify, and hand
        it to a reading process."""
        turn = Turn(ref)
        try:
            turn.row = row = ledger.register(self.db, self.account, ref, now)
            turn.attempts = turn.tries_before = row.attempts
            if row.state is not IncomingState.NEW:
                return turn  # finished with before: at most to be filed away
            fetched = self.fetch(ref, row)
            log.debug("intake: UID %s fetched (%s bytes)", ref.uid, ref.size)
            turn.classified = classify_step(parse(fetched, self.settings.imap.max_message_bytes), self.own_addresses)
            # A copy is not read: after a folder is renumbered, every message may be one. A second
            # copy in this poll is looked at again at its turn, when the first may be finished with.
            turn.copy_of, turn.recheck = row.copy_of, not read_ahead
            if row.copy_of is None and read_ahead and not turn.suspect:
                self.start_reading(turn, now)
        except Exception as e:  # met again at the message's turn, in order
            turn.error = e
        return turn

    def fetch(self, ref: MessageRef, row: Registered) -> Fetched:
        """The message's bytes, and their copy in the raw-mail store. A message over the size limit
        is not read: it is only copied to the store, a piece at a time."""
        limit = self.settings.imap.max_message_bytes
        try:
            raw = self.mailbox.fetch(ref, limit) if ref.size <= limit else None
        except MessageTooLarge:  # bigger than the server said
            raw = None
        if raw is None:
            sha = self.raw_store.put_stream(self.mailbox.stream(ref)) if self.raw_store is not None else None
            return Fetched(ref, row, None, sha)
        return Fetched(ref, row, raw, self.raw_store.put(raw) if self.raw_store is not None else None)

    def start_reading(self, turn: Turn, now: datetime) -> None:
        """Hand a person's message to a reading process as soon as one is free. A try is committed
        just before, and given back once the reading ends well: so a message's tries are the
        readings of it that failed, or that the worker did not live to see end."""
        classified = turn.classified
        if (classified is None or classified.reading is not None or classified.parsed.problem
                or not classified.classification.from_person
                or turn.attempts >= self.settings.worker.max_process_attempts):
            return
        row_id = classified.parsed.fetched.row.row_id

        def count_the_try() -> None:
            turn.attempts = ledger.count_attempt(self.db, row_id, now)

        # (A dry run has one database session, for this thread only; and keeps no tries anyway.)
        reading = self.extractor.submit(classified.parsed.fetched.raw, starting=count_the_try,
                                        read=None if self.dry_run else lambda: ledger.give_back_try(self.db, row_id))
        turn.classified = Classified(classified.parsed, classified.classification, reading)

    def finish(self, turn: Turn, now: datetime, summary: PollSummary, filer: Filer) -> bool:
        """The steps taken in order: extract, decide, record and queue, file. Whether the message
        is finished with (else it stays in the folder for the next poll)."""
        if turn.row is not None and turn.row.state is not IncomingState.NEW:
            if turn.row.filed_to is None:
                filer.add(turn.row.row_id)
            return True
        try:
            if turn.error is not None:
                raise turn.error
            recorded = self.record_duplicate(turn, now) or self.record_and_queue(self.extract(turn, now), now)
        except (MailboxError, ReadersUnavailable, LeaseLost) as e:
            # The mailbox or the reading processes are failing, or the mailbox is another worker's
            # now: not this message's fault.
            summary.problems.append(f"message UID {turn.ref.uid} not processed: {e}")
            summary.count(Outcome.RETRY)
            return False
        except Exception as e:  # a bug or an outage on one message must not stop the queue
            log.exception("intake: message UID %s failed", turn.ref.uid)
            recorded = self.count_failure(turn, now, e, summary)
        if recorded is None:
            return False
        log.debug("intake: UID %s committed (%s)", turn.ref.uid, recorded.outcome)
        summary.count(recorded.outcome)
        filer.add(recorded.row_id)
        return True

    def record_duplicate(self, turn: Turn, now: datetime) -> Recorded | None:
        """A copy of a message finished with (the same Message-ID) is recorded as such, unread and
        unanswered; None for any other message."""
        if turn.copy_of is None and not turn.recheck:
            return None
        parsed = turn.classified.parsed
        with self.db.unit_of_work(durable=False) as s:
            original = turn.copy_of or ledger.earlier_copy(s, self.account, turn.ref.message_id, turn.row.row_id)
            if original is None:
                return None
            ledger.finish(s, turn.row.row_id, state=IncomingState.DUPLICATE, now=now, sender=parsed.sender,
                          reason=f"same Message-ID as message {original}", subject=parsed.subject,
                          raw_sha256=parsed.fetched.raw_sha256)
        return Recorded(turn.row.row_id, Outcome.DUPLICATE, IncomingState.DUPLICATE)

    def extract(self, turn: Turn, now: datetime) -> Read:
        """The message read for its form; tried again in a fresh reading process when the reading
        fails, until the tries are used up."""
        classified = turn.classified
        parsed = classified.parsed
        if parsed.problem is not None:
            return Read(classified, None, parsed.problem)
        if classified.classification.kind is Kind.BOUNCE:
            return Read(classified, None, report=parse_message(parsed.fetched.raw))
        if not classified.classification.from_person:
            return Read(classified, None)
        last = parsed.fetched.row.reason or "the worker stopped while reading it"
        while True:
            self.start_reading(turn, now)
            if turn.classified.reading is None:
                return Read(turn.classified, None, f"reading it failed {turn.attempts} times ({last}); set aside so "
                            "the messages behind it can go on")
            try:
                reading = self.wait_for(turn.classified.reading)
            except ReadingFailed as e:
                last = str(e)
                ledger.note_failure(self.db, parsed.fetched.row.row_id, last, now)
                turn.classified = Classified(parsed, classified.classification)
                continue
            log.debug("intake: UID %s extracted", turn.ref.uid)
            return Read(turn.classified, reading)

    def wait_for(self, reading: Future[Reading]) -> Reading:
        """A reading's result, the mailbox's lease renewed meanwhile (a reading may take a while)."""
        while True:
            try:
                return reading.result(timeout=LEASE_RENEWAL_SECONDS)
            except TimeoutError:
                if not self.keep_lease():
                    raise LeaseLost("another worker took over the mailbox while a message was read") from None

    def record_and_queue(self, read: Read, now: datetime) -> Recorded:
        """Decide, and carry the decision out in one unit of work: the message's row, its
        application, its answer and what the coordinators hear, committed together."""
        # Not waiting for the disk here: the message is moved, and its answer sent, only after
        # `make_durable()`; a power cut before that leaves it in the folder, to be read again.
        with self.db.unit_of_work(durable=False) as s:
            facts, app = self.circumstances(s, read, now)
            if read.reading is not None and (handled := self.route_reply(s, read, facts, now)) is not None:
                return handled
            decision = decide(read.classified.classification, read.reading, read.problem, facts, self.caps)
            if facts.reply is not None and (decision.by_reply or (decision.linked and app is None)):
                app = s.get(Application, facts.reply.matched.application_id)
            return self.carry_out(s, read, facts, decision, now, app=app)

    def circumstances(self, s: Session, read: Read, now: datetime) -> tuple[Circumstances, Application | None]:
        """What the database knows that the decision needs, and the application kept for the
        applicant, if there is one."""
        parsed = read.classified.parsed
        if read.reading is None:
            return Circumstances(parsed.sender, ledger.sender_day(s, parsed.sender, now)), None
        extraction = read.reading.extraction
        record = extraction.record if extraction is not None else None
        applicant = applicant_key(extraction, parsed.sender) if record is not None else ""
        app = ledger.application_for(s, applicant)
        existing = app.record if app is not None else None
        named = ledger.our_mail(s, loops.named_ids(parsed.headers))
        recent = [] if named else ledger.answers_to(s, parsed.sender, now - timedelta(days=1))
        matched = ledger.application_answered(s, loops.named_ids(parsed.headers), parsed.sender)
        return Circumstances(
            sender=parsed.sender, today=ledger.sender_day(s, parsed.sender, now), applicant=applicant,
            existing=existing, changes=changes(existing, record) if record else Changes(),
            answers_to_applicant=ledger.answers_since(s, applicant, now - timedelta(days=1)),
            answering=loops.answering(named, recent, read.reading.text, parsed.headers, now),
            reply=applicant_replies.read_reply(matched, read.reading.text, extraction) if matched else None), app

    def route_reply(self, s: Session, read: Read, facts: Circumstances, now: datetime) -> Recorded | None:
        """A reply the program handles itself (a coordinator's command, an answer to a check-in),
        recorded with what it caused; None for anything else."""
        parsed = read.classified.parsed
        outcome = replies.route(s, parsed.headers, read.reading.text, parsed.sender, self.settings, self.templates,
                                now)
        if outcome is None:
            return None
        state = IncomingState(outcome.state)
        decision = Decision(state, Outcome.REVIEW if state is IncomingState.REVIEW else Outcome.REPLY, outcome.reason)
        if outcome.notify:
            notice, tally = notice_for(facts.today, self.caps)
            decision = Decision(decision.state, decision.outcome, decision.reason, notice=notice, tallies=(tally,))
        return self.carry_out(s, read, facts, decision, now, classification=outcome.kind)

    def carry_out(self, s: Session, read: Read, facts: Circumstances, decision: Decision, now: datetime, *,
                  app: Application | None = None, classification: str | None = None) -> Recorded:
        """Record the decision and queue what answers it."""
        parsed = read.classified.parsed
        fetched = parsed.fetched
        row_id = fetched.row.row_id
        extraction = read.reading.extraction if read.reading is not None else None
        their_id = (raw_header(parsed.headers, "Message-ID") or "").strip() if parsed.headers else ""
        changed = facts.reply.changes if decision.by_reply else facts.changes
        if decision.by_reply:
            corrected = applicant_replies.corrected(app.record, facts.reply)
            app = ledger.store_application(s, row_id, None, app, app.email, corrected, changed, parsed.sender, now,
                                           applicant_replies.provenance(facts.reply, their_id))
        elif decision.store:
            merged = merge_records(app.record, extraction.record) if app else extraction.record.contract_dict()
            app = ledger.store_application(s, row_id, extraction, app, facts.applicant, merged, facts.changes,
                                           parsed.sender, now)
        elif decision.outcome is Outcome.UNCHANGED:
            ledger.note_unchanged(s, row_id, app, parsed.sender, now)
        linked = app is not None and (decision.store or decision.linked or decision.outcome is Outcome.UNCHANGED)
        sender = parsed.sender or (extraction.sender if extraction else None)
        ledger.finish(s, row_id, state=decision.state, reason=decision.reason, now=now,
                      classification=classification or ("correction" if decision.by_reply
                                                        else read.classified.classification.kind), sender=sender,
                      subject=parsed.subject, raw_sha256=fetched.raw_sha256, application_id=app.id if linked else None)
        tallies = ledger.add_tallies(s, parsed.sender, now, decision.tallies)
        if decision.answer is not None:
            notify.acknowledge(s, self.settings, self.templates, row_id=row_id, app=app, answer=decision.answer,
                                their_id=their_id, changes=changed, by_reply=decision.by_reply,
                                their_references=(raw_header(parsed.headers, "References") or "").split(), now=now,
                                uncertain=[] if decision.by_reply else _still_uncertain(extraction, app.record))
        if decision.notice is Notice.EACH:
            notify.review_notice(s, self.settings, self.templates, row_id=row_id, sender=sender,
                                  subject=parsed.subject, received=fetched.row.received_at, reason=decision.reason,
                                  now=now, command=decision.command)
        elif decision.notice is Notice.COUNTED:
            notify.count_held(s, self.settings, self.templates, sender=parsed.sender, now=now,
                               count=tallies[Tally.NOTICE_HELD], noticed=self.caps.notices_per_sender)
        # A hard bounce of our own mail: no more automatic mail to that address, and the coordinators told.
        for address, why in ledger.record_bounce(s, row_id, read.report, now) if read.report is not None else ():
            notify.review_notice(s, self.settings, self.templates, row_id=row_id, sender=sender,
                                  subject=parsed.subject, received=fetched.row.received_at, now=now,
                                  key=f"undeliverable:{address}", reason=f"{why}: no more automatic mail goes to it")
        return Recorded(row_id, decision.outcome, decision.state, decision.reason)

    def count_failure(self, turn: Turn, now: datetime, error: Exception, summary: PollSummary) -> Recorded | None:
        """A message that failed for a reason of its own: tried again at the next poll, or, after
        too many tries, set aside so the messages behind it can go on."""
        if turn.row is None:  # not even registered (the database is failing): nothing to count
            summary.problems.append(f"message UID {turn.ref.uid} failed ({type(error).__name__}: {error})")
            summary.count(Outcome.RETRY)
            return None
        row_id = turn.row.row_id
        why = f"{type(error).__name__}: {error}"
        attempts = ledger.count_attempt(self.db, row_id, now, reason=why)
        if attempts < self.settings.worker.max_process_attempts:
            summary.problems.append(f"message UID {turn.ref.uid} failed (try {attempts}); it will be tried again")
            summary.count(Outcome.RETRY)
            return None
        reason = f"processing failed {attempts} times ({why}); set aside so the messages behind it can go on"
        summary.problems.append(f"message UID {turn.ref.uid} set aside: {reason}")
        parsed = turn.classified.parsed if turn.classified is not None else None
        sender, subject = (parsed.sender, parsed.subject) if parsed else (None, None)
        with self.db.unit_of_work() as s:
            ledger.finish(s, row_id, state=IncomingState.REVIEW, reason=reason, now=now, sender=sender, subject=subject,
                          raw_sha256=parsed.fetched.raw_sha256 if parsed else None)
            notify.review_notice(s, self.settings, self.templates, row_id=row_id, sender=sender, subject=subject,
                                  received=turn.row.received_at, reason=reason, now=now)
        return Recorded(row_id, Outcome.REVIEW, IncomingState.REVIEW, reason)

    @property
    def caps(self) -> Caps:
        return Caps.of(self.settings.worker)

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(a.lower() for a in (self.settings.smtp.from_address,
                                             self.settings.program.mailbox_address) if a)




def parse(fetched: Fetched, max_bytes: int) -> Parsed:
    """Its headers: who sent it and what kind of mail it is need nothing else."""
    if fetched.raw is None:
        return Parsed(fetched, None, "", "", problem=f"the message is too large to read ({fetched.ref.size:,} "
                      f"bytes; the limit is {max_bytes:,}); a copy of it is kept")
    try:
        headers = parse_headers(fetched.raw)
    except UnreadableInput as e:
        return Parsed(fetched, None, "", "", problem=f"the message could not be read: {e}")
    return Parsed(fetched, headers, sender_address(headers), header(headers, "Subject")[:2000])


def classify_step(parsed: Parsed, own_addresses: frozenset[str]) -> Classified:
    """Who wrote it: a person, or a machine (which is never answered)."""
    if parsed.headers is None:
        # Too large or not an email at all: for a person to look at, whoever sent it.
        return Classified(parsed, Classification(Kind.PERSON, ""))
    return Classified(parsed, classify(parsed.headers, own_addresses))


def _still_uncertain(extraction: Extraction | None, record: dict) -> list[str]:
    """The fields this message's reading was unsure of that the stored record still holds as read
    (a value kept from an earlier version is not this reading's to question)."""
    if extraction is None or extraction.record is None:
        return []
    read = extraction.record.contract_dict()
    return [k for k in extraction.uncertain_fields() if record.get(k) == read.get(k)]

