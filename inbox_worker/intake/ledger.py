"""What intake reads from the database and writes to it for one message, through the ORM.

A message's row is keyed on (account, folder, UIDVALIDITY, UID) and carries its Message-ID,
so a message is recognised again however the folder is renumbered. Its state, its application
(one per applicant, every version kept), the tallies of what its sender's mail caused, and the
folder's position are all written here, inside the unit of work `pipeline` opens.
"""
from __future__ import annotations

import email
import email.policy
from datetime import date, datetime, timedelta
from email.message import Message

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from inbox_worker.intake import loops
from inbox_worker.intake.decide import Changes, Matched, SenderDay
from inbox_worker.intake.stages import Registered, Tally
from inbox_worker.mail.bounces import bounced_message_ids, failed_recipients
from inbox_worker.mail.mailbox import MessageRef
from inbox_worker.record import ApplicationRecord, Extraction
from inbox_worker.store.database import Database
from inbox_worker.store.models import (
    Application,
    AutoReply,
    Event,
    IncomingMessage,
    IncomingState,
    OutgoingMessage,
    SenderTally,
    SuppressedAddress,
    WorkerState,
)

# Our emails a reply may answer, in words (by the start of their outbox key).
WHAT_OURS_ARE = {"ack": "acknowledgement", "review": "review notice", "command": "command result",
                 "assessment": "check-in reminder", "closing": "closing email", "introduction": "introduction",
                 "supervisor": "notice to a supervisor", "digest": "digest"}


def register(db: Database, account: str, ref: MessageRef, now: datetime) -> Registered:
    """The message's row, made if it is new, and the message it is a copy of, if any."""
    # Not waiting for the disk: a row lost to a power cut is made again at the next poll.
    with db.unit_of_work(durable=False) as s:
        row = s.scalar(select(IncomingMessage).where(
            IncomingMessage.account == account, IncomingMessage.folder == ref.folder,
            IncomingMessage.uidvalidity == ref.uidvalidity, IncomingMessage.uid == ref.uid))
        if row is None:
            row = IncomingMessage(account=account, folder=ref.folder, uidvalidity=ref.uidvalidity, uid=ref.uid,
                                  message_id=ref.message_id, size=ref.size, state=IncomingState.NEW, attempts=0,
                                  received_at=now, updated_at=now)
            s.add(row)
            s.flush()
        copy_of = earlier_copy(s, account, ref.message_id, row.id) if row.state == IncomingState.NEW else None
        return Registered(row.id, IncomingState(row.state), row.attempts, row.filed_to, row.received_at, row.reason,
                          copy_of)


def count_attempt(db: Database, row_id: int, now: datetime, reason: str | None = None) -> int:
    """One more try of the message, committed before the try (a reading that ends well gives it
    back): its tries so far."""
    values = {"attempts": IncomingMessage.attempts + 1, "updated_at": now} | ({"reason": reason} if reason else {})
    with db.unit_of_work(durable=False) as s:
        return s.execute(update(IncomingMessage).where(IncomingMessage.id == row_id).values(values)
                         .returning(IncomingMessage.attempts)).scalar_one()


def give_back_try(db: Database, row_id: int) -> None:
    """The message's reading ended well: the try counted for it is not held against it."""
    with db.unit_of_work(durable=False) as s:
        s.execute(update(IncomingMessage).where(
            IncomingMessage.id == row_id, IncomingMessage.state == IncomingState.NEW, IncomingMessage.attempts > 0)
            .values(attempts=IncomingMessage.attempts - 1))


def note_failure(db: Database, row_id: int, reason: str, now: datetime) -> None:
    """Why the last try failed, kept for the message's next turn."""
    with db.unit_of_work() as s:
        row = s.get(IncomingMessage, row_id)
        row.reason, row.updated_at = reason[:2000], now


def earlier_copy(s: Session, account: str, message_id: str | None, row_id: int) -> int | None:
    """The first message finished with under the same Message-ID, if there is one."""
    if not message_id:
        return None
    return s.scalar(select(IncomingMessage.id).where(
        IncomingMessage.account == account, IncomingMessage.message_id == message_id,
        IncomingMessage.state != IncomingState.NEW, IncomingMessage.id != row_id).order_by(IncomingMessage.id)
        .limit(1))


def finish(s: Session, row_id: int, *, state: IncomingState, reason: str | None, now: datetime,
           classification: str | None = None, sender: str | None = None, subject: str | None = None,
           raw_sha256: str | None = None, application_id: int | None = None) -> None:
    """The message's row as its unit of work leaves it (what is None is left as it was)."""
    given = {"classification": classification, "sender": sender[:320] if sender else None, "subject": subject,
             "raw_sha256": raw_sha256, "application_id": application_id}
    s.execute(update(IncomingMessage).where(IncomingMessage.id == row_id).values(
        {"state": state, "reason": reason, "updated_at": now} | {k: v for k, v in given.items() if v is not None}))


def application_for(s: Session, applicant: str) -> Application | None:
    return s.scalar(select(Application).where(Application.email == applicant)) if applicant else None


def store_application(s: Session, row_id: int, extraction: Extraction | None, existing: Application | None,
                      applicant: str, merged: dict, changes: Changes, actor: str, now: datetime,
                      provenance: dict | None = None) -> Application:
    """The application as this message leaves it, with a version for the message. The version's
    provenance is where the form's values were read, or `provenance` when the message was no form
    (a correction by reply says so, and which words each value came from)."""
    record = ApplicationRecord(**merged)
    missing = record.missing()
    if existing is None:
        app = Application(email=applicant, version=0, created_at=now)
        s.add(app)
    else:
        app = existing
    if provenance is None:
        provenance = {k: r.model_dump() for k, r in extraction.readings.items()} | {"part": extraction.part}
    s.add(app.new_version(record.contract_dict(), missing, now=now, provenance=provenance, incoming_message_id=row_id))
    s.flush()
    s.add(Event(at=now, actor=actor or "applicant", subject=f"application:{app.id}",
                action="application_updated" if existing is not None else "application_received",
                detail={"incoming_message": row_id, "version": app.version, "missing": missing,
                        "changed": changes.keys} | ({"via": provenance["via"]} if "via" in provenance else {})))
    return app


def application_answered(s: Session, message_ids: list[str], sender: str) -> Matched | None:
    """The application a reply is about: the one our email it names was about (nearest first), or, when
    it names none of our mail, its sender's. None for a reply to our mail about no application (a
    notice to the coordinators, a digest), and for an application erased on request."""
    ours = dict(s.execute(select(OutgoingMessage.message_id, OutgoingMessage.application_id)
                          .where(OutgoingMessage.message_id.in_(message_ids))).all()) if message_ids else {}
    for message_id in message_ids:
        if ours.get(message_id) is not None:
            app = s.get(Application, ours[message_id])
            if app is None or app.status == "erased":
                return None
            return Matched(app.id, app.email, dict(app.record), "it answers the program's email to the applicant",
                           message_id)
    if ours:
        return None
    app = application_for(s, (sender or "").strip().lower())
    if app is None or app.status == "erased":
        return None
    return Matched(app.id, app.email, dict(app.record), "it comes from the applicant's address")


def record_bounce(s: Session, row_id: int, report: Message, now: datetime) -> list[tuple[str, str]]:
    """A delivery report: the addresses our own mail could not reach for good, marked so that no
    more automatic mail goes to them: (address, why) for each newly marked one."""
    ours = bounced_message_ids(report)
    if not ours or s.scalar(select(OutgoingMessage.id).where(OutgoingMessage.message_id.in_(ours)).limit(1)) is None:
        return []  # not a report about mail this program sent
    reasons = []
    for failed in failed_recipients(report):
        if not failed.permanent or s.get(SuppressedAddress, failed.address) is not None:
            continue
        reason = f"an email to {failed.address} could not be delivered ({failed.status} {failed.diagnostic})".strip()
        s.add(SuppressedAddress(address=failed.address, reason=reason, at=now, incoming_message_id=row_id))
        s.add(Event(at=now, actor="mail system", action="address_undeliverable", subject=failed.address,
                    detail={"incoming_message": row_id, "status": failed.status}))
        reasons.append((failed.address, reason))
    return reasons


def note_unchanged(s: Session, row_id: int, app: Application, actor: str, now: datetime) -> None:
    s.add(Event(at=now, actor=actor or "applicant", subject=f"application:{app.id}",
                action="application_sent_unchanged", detail={"incoming_message": row_id}))


# ---------------------------------------------------------------- tallies of a sender's mail
def sender_day(s: Session, sender: str, now: datetime) -> SenderDay:
    """What the sender's mail caused today, their quick answers this week, and whether they
    were recognised lately as a machine."""
    today = now.date()
    since = (now - max(loops.QUICK_WINDOW, loops.MACHINE_REMEMBERED)).date()
    counts: dict[tuple[date, str], int] = {
        (day, kind): count for day, kind, count in s.execute(
            select(SenderTally.day, SenderTally.kind, SenderTally.count)
            .where(SenderTally.address == sender, SenderTally.day >= since))}

    def total(kind: Tally, window: timedelta | None = None) -> int:
        first = today if window is None else (now - window).date()
        return sum(n for (day, k), n in counts.items() if k == kind and day >= first)

    return SenderDay(notices=total(Tally.NOTICE) + total(Tally.NOTICE_HELD),
                     forms_for_others=total(Tally.FORM_FOR_OTHER) + total(Tally.FORM_HELD),
                     quick_replies=total(Tally.QUICK_REPLY, loops.QUICK_WINDOW),
                     machine=total(Tally.MACHINE, loops.MACHINE_REMEMBERED) > 0)


def add_tallies(s: Session, sender: str, now: datetime, tallies: tuple[Tally, ...]) -> dict[Tally, int]:
    """Count these for the sender today: the day's new counts."""
    out = {}
    for kind in tallies:
        row = s.get(SenderTally, (sender, now.date(), str(kind)))
        if row is None:
            row = SenderTally(address=sender, day=now.date(), kind=str(kind), count=0)
            s.add(row)
        row.count += 1
        out[kind] = row.count
    return out


def clear_old_tallies(db: Database, now: datetime) -> None:
    """Tallies older than anything still counts: they name people, so they are not kept."""
    before = (now - max(loops.QUICK_WINDOW, loops.MACHINE_REMEMBERED) - timedelta(days=1)).date()
    with db.unit_of_work() as s:
        s.execute(delete(SenderTally).where(SenderTally.day < before))


def answers_since(s: Session, address: str, since: datetime) -> int:
    """Automatic answers to this address since then."""
    if not address:
        return 0
    return s.scalar(select(func.count()).select_from(AutoReply).where(AutoReply.address == address,
                                                                      AutoReply.at > since)) or 0


# ---------------------------------------------------------------- our own mail
def our_mail(s: Session, message_ids: list[str]) -> list[loops.OurMail]:
    """Our emails with these Message-IDs, in the order given."""
    if not message_ids:
        return []
    rows = {r.message_id: r for r in s.scalars(select(OutgoingMessage).where(
        OutgoingMessage.message_id.in_(message_ids)))}
    return [_ours(rows[i], with_text=False) for i in message_ids if i in rows]


def answers_to(s: Session, address: str, since: datetime) -> list[loops.OurMail]:
    """Our automatic answers to this address since then, newest first, with their text."""
    if not address:
        return []
    rows = s.scalars(select(OutgoingMessage).join(AutoReply, AutoReply.outgoing_message_id == OutgoingMessage.id)
                     .where(AutoReply.address == address, AutoReply.at > since)
                     .order_by(OutgoingMessage.id.desc()).limit(10))
    return [_ours(row, with_text=True) for row in rows]


def _ours(row: OutgoingMessage, *, with_text: bool) -> loops.OurMail:
    what = WHAT_OURS_ARE.get(row.idempotency_key.partition(":")[0], "email")
    text = ""
    if with_text:
        body = email.message_from_bytes(row.raw, policy=email.policy.default).get_body(("plain",))
        text = body.get_content() if body is not None else ""
    return loops.OurMail(row.message_id, what, row.sent_at or row.created_at, text)


# ---------------------------------------------------------------- the folder's position
def position(db: Database, account: str, folder: str) -> tuple[int | None, int]:
    """(UIDVALIDITY, the UID up to which every message is finished with) as last saved."""
    with db.unit_of_work() as s:
        row = s.get(WorkerState, f"position:{account}:{folder}")
    if row is None:
        return None, 0
    validity, _, uid = row.value.partition(":")
    return int(validity), int(uid)


def save_position(db: Database, account: str, folder: str, uidvalidity: int, uid: int, now: datetime) -> None:
    with db.unit_of_work() as s:
        s.merge(WorkerState(key=f"position:{account}:{folder}", value=f"{uidvalidity}:{uid}"))
        s.merge(WorkerState(key="last_poll_at", value=now.isoformat()))
