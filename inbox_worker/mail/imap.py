"""The program mailbox over IMAP: Gmail, or any IMAP4rev1 server with UIDPLUS.

Folder names are written with "/" between levels, as Gmail shows them; on a
server with another hierarchy delimiter (Dovecot's Maildir uses ".") the
adapter translates. Nothing here ever marks a message \\Seen or deletes a
message other than the one being moved. Errors become `MailboxError` with
plain words and no secret in them.
"""
from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterator

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from inbox_worker.config import ImapSettings
from inbox_worker.mail.mailbox import SCAN_BATCH, MailboxError, MessageRef, MessageTooLarge, parse_message_id
from inbox_worker.mail.oauth2 import oauth2_access_token, scrub
from inbox_worker.mail.tls import CaFileError, certificate_refused, client_context

log = logging.getLogger(__name__)


def _server_words(e: BaseException) -> str:
    text = str(e)
    for prefix in ("b'", 'b"'):
        if text.startswith(prefix):
            text = text[2:-1]
    return text.strip() or e.__class__.__name__


def _closed(client: IMAPClient) -> bool:
    """Whether the server has closed the connection (a read would return end-of-file)."""
    try:
        return client.socket().recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _wants_tls_first(client: IMAPClient, e: LoginError) -> bool:
    """Whether a refused plain-text login was refused for want of TLS (RFC 3501 LOGINDISABLED)."""
    if "PRIVACYREQUIRED" in _server_words(e).upper():
        return True
    try:
        return bool(client.has_capability("LOGINDISABLED"))
    except (OSError, IMAPClientError):
        return False



class ImapMailbox:
    """A `Mailbox` over IMAP: connects on `__enter__`, logs out on `__exit__`."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._client: IMAPClient | None = None
        self._delimiter = "/"
        # (folder, read-only?, uidvalidity) of the folder now selected.
        self._selected: tuple[str, bool, int] | None = None
        # Folders known to exist on this connection.
        self._folders: set[str] = set()
        self._secrets: tuple[str, ...] = (settings.password.get_secret_value(),)

    # connection ------------------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        try:
            return client_context(self.settings.ca_file, "imap")
        except CaFileError as e:
            raise MailboxError(str(e)) from None

    def connect(self) -> None:
        s = self.settings
        if s.security == "none" and s.host not in ("127.0.0.1", "::1", "localhost"):
            log.warning("imap.security is none: the login to %s crosses the network unencrypted", s.host)
        ctx = self._ssl_context() if s.security != "none" else None
        try:
            client = IMAPClient(s.host, s.port, ssl=s.security == "ssl", ssl_context=ctx,
                                timeout=s.timeout_seconds)
            if s.security == "starttls":
                client.starttls(ctx)
        except ssl.SSLCertVerificationError as e:
            raise MailboxError(certificate_refused(e, self._where(), "imap")) from None
        except (OSError, IMAPClientError) as e:
            raise MailboxError(f"could not connect to {self._where()} ({s.security}): {_server_words(e)}; "
                               f"check imap.host, imap.port and imap.security") from None
        self._client = client
        try:
            self._login(client)
            self._delimiter = self._find_delimiter(client)
        except BaseException:
            self.close()
            raise

    def _login(self, client: IMAPClient) -> None:
        s = self.settings
        try:
            if s.auth == "oauth2":
                token = oauth2_access_token(s.oauth2, s.timeout_seconds)
                self._secrets += (token,)
                client.oauth2_login(s.username, token)
            else:
                client.login(s.username, s.password.get_secret_value())
        except LoginError as e:
            if s.security == "none" and _wants_tls_first(client, e):
                # The password was never checked: the server takes logins only over TLS.
                hint = "the server takes logins only over TLS: set imap.security to ssl or starttls"
            elif s.auth == "oauth2":
                hint = "check imap.oauth2 (the token may lack the https://mail.google.com/ scope)"
            else:
                hint = "check INBOX_WORKER_IMAP__PASSWORD (for Gmail, an app password, not the account's)"
            raise MailboxError(scrub(f"could not log in to {s.host} as {s.username}: the server said "
                                      f"{_server_words(e)!r}; {hint}", *self._secrets)) from None
        except (OSError, IMAPClientError) as e:
            raise MailboxError(scrub(f"the connection to {self._where()} failed while logging in: "
                                      f"{_server_words(e)}; try again later", *self._secrets)) from None

    @staticmethod
    def _find_delimiter(client: IMAPClient) -> str:
        # LIST "" "" answers with the hierarchy delimiter and no folders.
        listing = client.list_folders("", "")
        delim = listing[0][1] if listing else b"/"
        return delim.decode() if isinstance(delim, bytes) else (delim or "/")

    def close(self) -> None:
        client, self._client, self._selected = self._client, None, None
        self._folders = set()
        if client is None:
            return
        try:
            client.logout()
        except (OSError, IMAPClientError):
            # Already gone; nothing to tidy.
            client.shutdown()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise MailboxError("the IMAP mailbox is not open; use it in a `with` block")
        return self._client

    # folders ---------------------------------------------------------------------------------

    def _server_name(self, folder: str) -> str:
        if folder.upper() == "INBOX" or self._delimiter == "/":
            return folder
        return folder.replace("/", self._delimiter)

    def _select(self, folder: str, readonly: bool) -> int:
        # A read-write selection serves reads too (they only PEEK), so fetching and moving
        # messages one after another does not switch between EXAMINE and SELECT each time.
        if self._selected and self._selected[0] == folder and (readonly or not self._selected[1]):
            return self._selected[2]
        try:
            info = self.client.select_folder(self._server_name(folder), readonly=readonly)
        except IMAPClientError as e:
            raise MailboxError(f"could not open the folder {folder!r} on {self.settings.host}: "
                               f"{_server_words(e)}; check that it exists (imap.folder)") from None
        uidvalidity = int(info[b"UIDVALIDITY"])
        self._selected = (folder, readonly, uidvalidity)
        return uidvalidity

    def _select_ref(self, ref: MessageRef, readonly: bool) -> None:
        uidvalidity = self._select(ref.folder, readonly)
        if uidvalidity != ref.uidvalidity:
            raise MailboxError(f"the folder {ref.folder!r} was rebuilt on the server (UIDVALIDITY "
                               f"{ref.uidvalidity} is now {uidvalidity}), so UID {ref.uid} no longer "
                               f"names the same message; scan the folder again")

    def ensure_folder(self, folder: str) -> None:
        name = self._server_name(folder)
        if name in self._folders:
            return  # checked on this connection already: every move would otherwise LIST first
        try:
            if not self.client.folder_exists(name):
                self.client.create_folder(name)
            self._folders.add(name)
        except (OSError, IMAPClientError) as e:  # OSError: the server stopped answering
            raise MailboxError(f"could not create the folder {folder!r} on {self.settings.host}: "
                               f"{_server_words(e)}; create it by hand or pick another name") from None

    # the Mailbox interface -------------------------------------------------------------------

    def scan(self, folder: str, after_uid: int = 0) -> tuple[int, list[MessageRef]]:
        # Select afresh each scan so new arrivals and a changed UIDVALIDITY are seen.
        self._selected = None
        uidvalidity = self._select(folder, readonly=True)
        try:
            found = self.client.search(["UID", f"{after_uid + 1}:*", "NOT", "DELETED"])
            # "n:*" always includes the highest UID, even when it is below n.
            uids = sorted(u for u in found if u > after_uid)
            refs: list[MessageRef] = []
            for i in range(0, len(uids), SCAN_BATCH):
                batch = uids[i:i + SCAN_BATCH]
                data = self.client.fetch(batch, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
                for uid in batch:
                    item = data.get(uid)
                    if item is None:  # expunged between SEARCH and FETCH
                        continue
                    header = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"")
                    refs.append(MessageRef(folder, uidvalidity, uid, int(item[b"RFC822.SIZE"]),
                                           parse_message_id(header or b"")))
        except (OSError, IMAPClientError) as e:
            raise self._io_error(f"listing {folder!r}", e) from None
        return uidvalidity, refs

    def fetch(self, ref: MessageRef, max_bytes: int) -> bytes:
        if ref.size > max_bytes:
            raise MessageTooLarge(ref, max_bytes)
        parts: list[bytes] = []
        got = 0
        for piece in self.stream(ref):
            parts.append(piece)
            got += len(piece)
            if got > max_bytes:
                raise MessageTooLarge(MessageRef(ref.folder, ref.uidvalidity, ref.uid, got, ref.message_id),
                                      max_bytes)
        return b"".join(parts)

    def stream(self, ref: MessageRef) -> Iterator[bytes]:
        """The message's bytes a chunk at a time (imap.fetch_chunk_bytes), whatever its size: a
        message too large to read can still be copied to disk without being held in memory."""
        self._select_ref(ref, readonly=True)
        chunk = max(1, self.settings.fetch_chunk_bytes)
        got = 0
        try:
            # Partial fetches keep each server reply small, so a 25 MB message is not one read.
            while True:
                data = self.client.fetch([ref.uid], [f"BODY.PEEK[]<{got}.{chunk}>"]).get(ref.uid)
                if data is None:
                    raise MailboxError(f"message UID {ref.uid} is no longer in {ref.folder!r}; "
                                       f"another client moved or deleted it; scan again")
                piece = next((v for k, v in data.items() if k.startswith(b"BODY[]")), None) or b""
                got += len(piece)
                yield piece
                if len(piece) < chunk:
                    return
        except (OSError, IMAPClientError) as e:
            raise self._io_error(f"downloading UID {ref.uid} from {ref.folder!r}", e) from None

    def fetch_many(self, refs: list[MessageRef], max_bytes: int) -> dict[int, bytes]:
        """Small messages of one folder in one command, for reading ahead: {UID: bytes}.

        One round trip for a handful of messages instead of one each. Only messages that fit
        one fetch chunk are asked for, and no more than a chunk of each: a message missing from
        the answer (moved, deleted, bigger than it said) is left to `fetch`, at its turn.
        """
        chunk = max(1, self.settings.fetch_chunk_bytes)
        small = [r for r in refs if r.size < min(chunk, max_bytes + 1)]
        if not small:
            return {}
        if len({(r.folder, r.uidvalidity) for r in small}) > 1:
            raise ValueError("fetch_many takes messages of one folder")
        self._select_ref(small[0], readonly=True)
        try:
            data = self.client.fetch([r.uid for r in small], [f"BODY.PEEK[]<0.{chunk}>"])
        except (OSError, IMAPClientError) as e:
            raise self._io_error(f"downloading {len(small)} messages from {small[0].folder!r}", e) from None
        out = {}
        for ref in small:
            item = data.get(ref.uid) or {}
            piece = next((v for k, v in item.items() if k.startswith(b"BODY[]")), None)
            if piece is not None and len(piece) < chunk and len(piece) <= max_bytes:
                out[ref.uid] = piece
        return out

    def move(self, ref: MessageRef, to_folder: str) -> None:
        self.move_many([ref], to_folder)

    def move_many(self, refs: list[MessageRef], to_folder: str) -> None:
        """Move messages of one folder together: one command for the lot, not one each."""
        if not refs:
            return
        if len({(r.folder, r.uidvalidity) for r in refs}) > 1:
            raise ValueError("move_many takes messages of one folder")
        self.ensure_folder(to_folder)
        self._select_ref(refs[0], readonly=False)
        target = self._server_name(to_folder)
        uids = [r.uid for r in refs]
        c = self.client
        try:
            if c.has_capability("MOVE"):
                c.move(uids, target)
            elif c.has_capability("UIDPLUS"):
                c.copy(uids, target)
                c.add_flags(uids, [b"\\Deleted"], silent=True)
                # UID EXPUNGE removes only these messages, never others flagged \Deleted.
                c.uid_expunge(uids)
            else:
                # A plain EXPUNGE could remove other people's \Deleted mail: leave the flag, which
                # scan() skips, for the server's own clean-up.
                c.copy(uids, target)
                c.add_flags(uids, [b"\\Deleted"], silent=True)
        except (OSError, IMAPClientError) as e:
            what = f"UID {uids[0]}" if len(uids) == 1 else f"{len(uids)} messages (UIDs {uids[0]}-{uids[-1]})"
            raise self._io_error(f"moving {what} from {refs[0].folder!r} to {to_folder!r}", e) from None

    def idle_wait(self, folder: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for new mail in `folder`; True if some may have come."""
        self._select(folder, readonly=True)
        c = self.client
        if not c.has_capability("IDLE"):
            time.sleep(timeout)
            return True
        deadline = time.monotonic() + timeout
        try:
            c.idle()
            try:
                while (left := deadline - time.monotonic()) > 0:
                    wait = min(left, 60)
                    began = time.monotonic()
                    responses = c.idle_check(timeout=wait)
                    if any(len(resp) >= 2 and resp[1] == b"EXISTS" for resp in responses):
                        return True
                    if not responses and time.monotonic() - began < wait - 0.5 and _closed(c):
                        # idle_check returns nothing, at once, on a closed connection: without
                        # this check the loop would spin until the deadline.
                        raise OSError("the server closed the connection")
                return False
            finally:
                c.idle_done()
        except (OSError, IMAPClientError) as e:
            raise self._io_error(f"waiting for mail in {folder!r}", e) from None

    def _io_error(self, doing: str, e: BaseException) -> MailboxError:
        if isinstance(e, TimeoutError):
            why = f"no answer within {self.settings.timeout_seconds:g} s"
        else:
            why = _server_words(e)
        return MailboxError(scrub(f"IMAP error while {doing} on {self.settings.host}: {why}; "
                                   f"the next poll will try again", *self._secrets))


