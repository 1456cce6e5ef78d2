"""The mailbox edge: list, read and file away messages in the program mailbox.

Everything else sees a `Mailbox` of a few methods and `MessageRef` values
keyed on (folder, UIDVALIDITY, UID), the key the store records as processed.
`ImapMailbox` talks IMAP to the real mailbox (Gmail, or any IMAP4rev1 server
with UIDPLUS); `MaildirMailbox` does the same over a local Maildir, for the
bundled demo. Folder names are written with "/" between levels, as Gmail
shows them; on a server with another hierarchy delimiter (Dovecot's Maildir
uses ".") the adapter translates. Nothing here ever marks a message \\Seen
or deletes a message other than the one being moved.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Protocol

# Messages whose size and Message-ID are asked for in one FETCH.
SCAN_BATCH = 500


class MailboxError(Exception):
    """The mailbox could not be used; the message says why and what to try next."""


class MessageTooLarge(MailboxError):
    """The message is bigger than the configured limit, so it was not downloaded."""

    def __init__(self, ref: MessageRef, limit: int) -> None:
        super().__init__(f"message UID {ref.uid} in {ref.folder} is {ref.size} bytes, over the "
                         f"limit of {limit} bytes (imap.max_message_bytes); it was not downloaded")
        self.ref = ref
        self.limit = limit


@dataclass(frozen=True)
class MessageRef:
    folder: str
    uidvalidity: int
    uid: int
    size: int
    message_id: str | None


class Mailbox(Protocol):
    def scan(self, folder: str, after_uid: int = 0) -> tuple[int, list[MessageRef]]: ...
    def fetch(self, ref: MessageRef, max_bytes: int) -> bytes: ...
    def fetch_many(self, refs: list[MessageRef], max_bytes: int) -> dict[int, bytes]: ...
    def stream(self, ref: MessageRef) -> Iterator[bytes]: ...
    def move(self, ref: MessageRef, to_folder: str) -> None: ...
    def move_many(self, refs: list[MessageRef], to_folder: str) -> None: ...
    def idle_wait(self, folder: str, timeout: float) -> bool: ...


def parse_message_id(header_block: bytes) -> str | None:
    """The Message-ID from a block of header lines, unfolded and stripped, or None."""
    value = BytesHeaderParser().parsebytes(header_block).get("Message-ID")
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


