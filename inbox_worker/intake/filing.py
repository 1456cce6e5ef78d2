"""File away: move finished messages out of the watched folder, after their records are on disk.

A message leaves the folder only once its row, its application and its answer are committed
and `Database.make_durable` has put them on the disk: until then a crash (or a power cut)
leaves it where it was, to be read again. Messages are moved a group at a time (one IMAP
command and one wait for the disk for the group); a message recorded but not yet moved is
exactly what `unfiled` finds after a crash or an outage, so the grouping loses nothing.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from inbox_worker.config import ImapSettings
from inbox_worker.mail.mailbox import Mailbox, MailboxError, MessageRef
from inbox_worker.store.database import Database
from inbox_worker.store.models import IncomingMessage, IncomingState

log = logging.getLogger(__name__)
# Finished messages moved out of the watched folder by one IMAP command.
GROUP = 50


class Filer:
    """Collects finished messages and moves them to their folders, GROUP at a time."""

    def __init__(self, db: Database, mailbox: Mailbox, imap: ImapSettings, *, dry_run: bool) -> None:
        self.db, self.mailbox, self.imap, self.dry_run = db, mailbox, imap, dry_run
        self._waiting: list[int] = []
        self.filed = 0
        self.problems: list[str] = []

    def add(self, row_id: int) -> None:
        self._waiting.append(row_id)
        if len(self._waiting) >= GROUP:
            self.flush()

    def flush(self) -> None:
        """Move every message collected so far."""
        waiting, self._waiting = self._waiting, []
        if not waiting or self.dry_run:
            return
        groups: dict[tuple[str, str, int], list[tuple[int, MessageRef]]] = {}
        with self.db.unit_of_work() as s:
            for row in s.scalars(select(IncomingMessage).where(IncomingMessage.id.in_(waiting))):
                target = self.imap.review_folder if row.state == IncomingState.REVIEW else self.imap.processed_folder
                ref = MessageRef(row.folder, row.uidvalidity, row.uid, row.size, row.message_id)
                groups.setdefault((target, row.folder, row.uidvalidity), []).append((row.id, ref))
        # Once moved, a message is never read again: its record must be on the disk first.
        self.db.make_durable()
        for (target, _folder, _validity), rows in groups.items():
            refs = [ref for _id, ref in rows]
            try:
                self.mailbox.move_many(refs, target)
            except MailboxError as e:
                # Recorded already; the move is tried again at the next poll.
                self.problems.append(f"could not file {len(refs)} message(s) to {target}: {e}")
                continue
            for ref in refs:
                log.debug("intake: UID %s moved to %s", ref.uid, target)
            with self.db.unit_of_work() as s:
                for row in s.scalars(select(IncomingMessage).where(IncomingMessage.id.in_([i for i, _ in rows]))):
                    row.filed_to = target
            self.filed += len(rows)


def unfiled(db: Database, account: str, folder: str) -> list[int]:
    """Messages of the folder finished with but not moved out (a crash, an outage)."""
    with db.unit_of_work() as s:
        return list(s.scalars(select(IncomingMessage.id).where(
            IncomingMessage.account == account, IncomingMessage.folder == folder,
            IncomingMessage.state != IncomingState.NEW, IncomingMessage.filed_to.is_(None))
            .order_by(IncomingMessage.id)))
