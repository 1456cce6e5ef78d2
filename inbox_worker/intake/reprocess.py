"""Read a message set aside for review again: `inbox-worker review reprocess`.

A message is set aside for a reason that may since have gone: a setting held it (a size limit,
a cap), its reader failed, or the reader has been improved. Reprocessing takes its copy from the
raw-mail store down the same path a new message walks (`pipeline`: parse, classify, extract,
decide, record and queue), as the message it is, not as a copy of itself. Its answer and notices
keep their keys, so nothing is sent twice: a review notice already sent is not sent again.
"""
from __future__ import annotations

from datetime import datetime

from inbox_worker.intake.pipeline import Intake, classify_step, parse
from inbox_worker.intake.stages import Fetched, Recorded, Registered, Turn
from inbox_worker.mail.mailbox import MessageRef
from inbox_worker.store.models import IncomingMessage, IncomingState

# What may be read again: what is waiting for a coordinator, or was dealt with by one.
REPROCESSABLE = (IncomingState.REVIEW, IncomingState.DONE)


class CannotReprocess(Exception):
    """The message cannot be read again; the message says why."""


def reprocess(intake: Intake, row_id: int, now: datetime) -> Recorded:
    """The stored message taken down the intake path again: what it was recorded as this time."""
    with intake.db.unit_of_work() as s:
        row = s.get(IncomingMessage, row_id)
        if row is None:
            raise CannotReprocess(f"there is no message {row_id}; `inbox-worker review list` shows the open ones")
        if row.state not in REPROCESSABLE:
            raise CannotReprocess(f"message {row_id} was not set aside for review (it is {row.state}); only "
                                  "messages set aside can be read again")
        if not row.raw_sha256 or intake.raw_store is None:
            raise CannotReprocess(f"no copy of message {row_id} was kept, so it cannot be read again; "
                                  "forward it to the program's mailbox instead")
        sha, size = row.raw_sha256, row.size
        ref = MessageRef(row.folder, row.uidvalidity, row.uid, size, row.message_id)
        # Its tries start afresh: the reason it failed before may be gone.
        registered = Registered(row.id, IncomingState.NEW, 0, row.filed_to, row.received_at)
        row.attempts = 0
    try:
        raw = intake.raw_store.get(sha)
    except OSError as e:
        raise CannotReprocess(f"the kept copy of message {row_id} cannot be read ({e})") from None
    ref = MessageRef(ref.folder, ref.uidvalidity, ref.uid, len(raw), ref.message_id)
    fetched = Fetched(ref, registered, raw if len(raw) <= intake.settings.imap.max_message_bytes else None, sha)
    turn = Turn(ref, row=registered, classified=classify_step(parse(fetched, intake.settings.imap.max_message_bytes),
                                                               intake.own_addresses))
    return intake.record_and_queue(intake.extract(turn, now), now)
