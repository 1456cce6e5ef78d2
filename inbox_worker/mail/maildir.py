"""The program mailbox over a local Maildir, for the bundled demo: no server, no password."""
from __future__ import annotations

import json
import mailbox as stdlib_mailbox
import time
from collections.abc import Iterator
from pathlib import Path

from inbox_worker.mail.mailbox import MailboxError, MessageRef, MessageTooLarge, parse_message_id


class MaildirMailbox:
    """A `Mailbox` over a local Maildir, for the demo: no server and no credentials.

    Folders are Maildir++ subfolders ("inbox-worker/processed" becomes
    ".inbox-worker.processed"); "INBOX" is the Maildir itself. Stable UIDs
    live in `inbox-worker-uids.json` and the UIDVALIDITY in
    `inbox-worker-uidvalidity`, both beside the messages.
    """

    INDEX = "inbox-worker-uids.json"
    VALIDITY = "inbox-worker-uidvalidity"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.root = stdlib_mailbox.Maildir(self.path, create=True)

    def __enter__(self) -> MaildirMailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def _folder(self, folder: str, create: bool = False) -> stdlib_mailbox.Maildir:
        if folder.upper() == "INBOX":
            return self.root
        name = folder.replace("/", ".")
        try:
            return self.root.get_folder(name)
        except stdlib_mailbox.NoSuchMailboxError:
            if not create:
                raise MailboxError(f"the folder {folder!r} does not exist in {self.path}") from None
            return self.root.add_folder(name)

    def _uidvalidity(self, md: stdlib_mailbox.Maildir) -> int:
        f = Path(md._path) / self.VALIDITY
        if not f.exists():
            f.write_text(str(int(time.time())))
        return int(f.read_text().strip())

    def _index(self, md: stdlib_mailbox.Maildir) -> dict[str, int]:
        """{key: uid}, giving new keys the next UIDs in arrival order; saved when it grows."""
        f = Path(md._path) / self.INDEX
        state = json.loads(f.read_text()) if f.exists() else {"next": 1, "uids": {}}
        uids: dict[str, int] = state["uids"]
        keys = set(md.keys())
        new = sorted(keys - uids.keys(), key=lambda k: (md.get_message(k).get_date(), k))
        for key in new:
            uids[key] = state["next"]
            state["next"] += 1
        # Forget moved messages; their UIDs are never reused ("next" only grows).
        gone = uids.keys() - keys
        for key in gone:
            del uids[key]
        if new or gone or not f.exists():
            tmp = f.with_suffix(".tmp")
            tmp.write_text(json.dumps(state))
            tmp.replace(f)
        return uids

    def scan(self, folder: str, after_uid: int = 0) -> tuple[int, list[MessageRef]]:
        md = self._folder(folder)
        validity = self._uidvalidity(md)
        refs = []
        for key, uid in sorted(self._index(md).items(), key=lambda kv: kv[1]):
            if uid > after_uid:
                raw = md.get_bytes(key)
                end = raw.find(b"\n\n")
                refs.append(MessageRef(folder, validity, uid, len(raw),
                                       parse_message_id(raw if end < 0 else raw[:end + 1])))
        return validity, refs

    def _key(self, md: stdlib_mailbox.Maildir, ref: MessageRef) -> str:
        if self._uidvalidity(md) != ref.uidvalidity:
            raise MailboxError(f"the folder {ref.folder!r} has a new UIDVALIDITY; scan it again")
        for key, uid in self._index(md).items():
            if uid == ref.uid:
                return key
        raise MailboxError(f"message UID {ref.uid} is no longer in {ref.folder!r}; scan again")

    def fetch(self, ref: MessageRef, max_bytes: int) -> bytes:
        if ref.size > max_bytes:
            raise MessageTooLarge(ref, max_bytes)
        md = self._folder(ref.folder)
        return md.get_bytes(self._key(md, ref))

    def stream(self, ref: MessageRef, chunk: int = 1024 * 1024) -> Iterator[bytes]:
        """The message's bytes a chunk at a time, whatever its size."""
        md = self._folder(ref.folder)
        with md.get_file(self._key(md, ref)) as fh:
            while piece := fh.read(chunk):
                yield piece

    def fetch_many(self, refs: list[MessageRef], max_bytes: int) -> dict[int, bytes]:
        out = {}
        for ref in refs:
            try:
                out[ref.uid] = self.fetch(ref, max_bytes)
            except MailboxError:
                continue  # left to `fetch`, at its turn
        return out

    def move(self, ref: MessageRef, to_folder: str) -> None:
        src = self._folder(ref.folder)
        key = self._key(src, ref)
        dst = self._folder(to_folder, create=True)
        # The stdlib Maildir has no rename between folders: add a copy, then remove the original.
        # Adding the bytes (not a Message) keeps them exactly as they arrived.
        dst.add(src.get_bytes(key))
        src.remove(key)
        self._index(src)

    def move_many(self, refs: list[MessageRef], to_folder: str) -> None:
        for ref in refs:
            self.move(ref, to_folder)

    def idle_wait(self, folder: str, timeout: float) -> bool:
        time.sleep(timeout)
        return True
