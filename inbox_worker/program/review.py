"""The review queue: messages set aside for a coordinator, until one has dealt with them.

A message intake could not settle by itself (a question, a form it could not read, a reply it
could not place) is set aside: its row is in state `review` and the message is moved to the
review folder. It stays open until a coordinator says it is dealt with (`review done`, with a
note kept in an event), or moves it out of the review folder in their mail program: at each
run the worker looks which open items are no longer in that folder (by Message-ID) and closes
them (`settle_moved_out`). The `status` command and the digest count open items only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import select

from inbox_worker.extract.bodies import body_text
from inbox_worker.extract.message import parse_message
from inbox_worker.mail.mailbox import Mailbox
from inbox_worker.outbound.emails import header_text
from inbox_worker.outbound.words import time_for_people
from inbox_worker.record import UnreadableInput
from inbox_worker.store.database import Database
from inbox_worker.store.models import Event, IncomingMessage, IncomingState
from inbox_worker.store.rawstore import RawStore

log = logging.getLogger(__name__)
# The longest text `review show` prints of a message (the rest is in the review folder).
SHOWN_CHARS = 20_000


class ReviewError(Exception):
    """The item cannot be acted on as asked; the message says why and what to do."""


def _item(m: IncomingMessage, zone: tzinfo = UTC) -> dict:
    return {"id": m.id, "from": m.sender or "(unknown sender)", "subject": header_text(m.subject or "") or
            "(no subject)", "reason": m.reason or "", "received": time_for_people(m.received_at, zone=zone),
            "received_at": m.received_at.isoformat(), "application": m.application_id, "state": m.state}


def list_open(db: Database, zone: tzinfo = UTC) -> list[dict]:
    """The open items, oldest first: number, from, subject, reason, received, linked application."""
    with db.unit_of_work() as s:
        return [_item(m, zone) for m in s.scalars(select(IncomingMessage).where(
            IncomingMessage.state == IncomingState.REVIEW).order_by(IncomingMessage.id))]


def _get(s, item_id: int) -> IncomingMessage:
    row = s.get(IncomingMessage, item_id)
    if row is None:
        raise ReviewError(f"there is no message {item_id}; `inbox-worker review list` shows the open ones")
    return row


def show_item(db: Database, raw_store: RawStore, item_id: int, zone: tzinfo = UTC) -> dict:
    """One item with the message's own text and the names of its attachments, from the raw-mail store."""
    with db.unit_of_work() as s:
        row = _get(s, item_id)
        item, sha = _item(row, zone), row.raw_sha256
    item["text"], item["attachments"] = "", []
    if not sha:
        item["text"] = "(no copy of this message was kept; it is in the mailbox's review folder)"
        return item
    try:
        msg = parse_message(raw_store.get(sha))
    except (OSError, UnreadableInput) as e:
        item["text"] = f"(the kept copy cannot be read: {e})"
        return item
    text = body_text(msg)
    item["text"] = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "\n[... the rest is in the message]"
    try:
        item["attachments"] = [header_text(p.get_filename() or "") or "(a file with no name)"
                               for p in msg.iter_attachments()] if msg.is_multipart() else []
    except Exception:  # a broken part: the names that could be read are enough
        log.debug("review: attachments of message %s not all readable", item_id)
    return item


def mark_done(db: Database, item_id: int, *, by: str, note: str | None, now: datetime) -> dict:
    """A coordinator has dealt with the item: it leaves the queue, and the note is kept."""
    with db.unit_of_work() as s:
        row = _get(s, item_id)
        if row.state != IncomingState.REVIEW:
            raise ReviewError(f"message {item_id} is not waiting for review (it is {row.state}); "
                              "`inbox-worker review list` shows the open ones")
        row.state, row.updated_at = IncomingState.DONE, now
        s.add(Event(at=now, actor=by, action="review_done", subject=f"incoming:{item_id}",
                    detail={"note": note or "", "how": "review done"}))
        return _item(row)


@dataclass(frozen=True)
class Settled:
    """Open items found gone from the review folder, now closed."""

    closed: list[int]


def settle_moved_out(db: Database, mailbox: Mailbox, account: str, review_folder: str, now: datetime) -> Settled:
    """Close the open items a coordinator moved out of the review folder in their mail program.

    Known by Message-ID: an item with none, or not yet filed, is left for `review done`.
    """
    with db.unit_of_work() as s:
        waiting = {m.id: m.message_id for m in s.scalars(select(IncomingMessage).where(
            IncomingMessage.account == account, IncomingMessage.state == IncomingState.REVIEW,
            IncomingMessage.filed_to == review_folder, IncomingMessage.message_id.is_not(None)))}
    if not waiting:
        return Settled([])
    _validity, refs = mailbox.scan(review_folder, after_uid=0)
    present = {r.message_id for r in refs if r.message_id}
    gone = [i for i, message_id in waiting.items() if message_id not in present]
    if gone:
        with db.unit_of_work() as s:
            for row in s.scalars(select(IncomingMessage).where(IncomingMessage.id.in_(gone))):
                row.state, row.updated_at = IncomingState.DONE, now
                s.add(Event(at=now, actor="mail program", action="review_done", subject=f"incoming:{row.id}",
                            detail={"note": "", "how": f"moved out of {review_folder}"}))
    return Settled(gone)


def file_out_of_review(db: Database, mailbox: Mailbox, item_id: int, review_folder: str, to_folder: str) -> bool:
    """Move a message no longer for review from the review folder to `to_folder`: whether it was found there."""
    with db.unit_of_work() as s:
        row = _get(s, item_id)
        message_id = row.message_id
    if not message_id:
        return False
    _validity, refs = mailbox.scan(review_folder, after_uid=0)
    found = [r for r in refs if r.message_id == message_id]
    if not found:
        return False
    mailbox.move_many(found, to_folder)
    with db.unit_of_work() as s:
        s.get(IncomingMessage, item_id).filed_to = to_folder
    return True
