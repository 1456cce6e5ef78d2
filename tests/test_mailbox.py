"""The mailbox adapters against a real Dovecot and a real Maildir on disk."""
from __future__ import annotations

import http.server
import json
import logging
import os
import signal
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import (
    HOST_WITHOUT_MOVE,
    HOST_WITHOUT_MOVE_OR_UIDPLUS,
    PASSWORD,
    DovecotServer,
    _children,
    free_port,
)

from inbox_worker.config import OAuth2Settings
from inbox_worker.mail.imap import ImapMailbox
from inbox_worker.mail.mailbox import MailboxError, MessageRef, MessageTooLarge
from inbox_worker.mail.maildir import MaildirMailbox
from inbox_worker.mail.oauth2 import oauth2_access_token

pytestmark = pytest.mark.servers


def message(n: int, body: str = "Hello.", message_id: bool = True) -> bytes:
    head = f"From: applicant{n}@example.org\r\nTo: program@example.org\r\nSubject: Application {n}\r\n"
    if message_id:
        head += f"Message-ID: <msg{n}@example.org>\r\n"
    return (head + "\r\n" + body + "\r\n").encode()


def big_message(size: int) -> bytes:
    line = b"".join(bytes([65 + i % 26]) for i in range(76)) + b"\r\n"
    return message(0, "")[:-2] + line * (size // len(line))


# --- IMAP ---------------------------------------------------------------------------------------

def test_scan_lists_messages_in_uid_order_with_size_and_message_id(dovecot: DovecotServer, imap_user: str):
    """scan returns the folder's UIDVALIDITY and every message's UID, size and Message-ID, oldest first."""
    raws = [message(1), message(2, message_id=False), message(3, body="x" * 1000)]
    uids = [dovecot.append(imap_user, raw) for raw in raws]
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        validity, refs = mb.scan("INBOX")
    assert validity == dovecot.uidvalidity(imap_user)
    assert [r.uid for r in refs] == uids
    assert [r.size for r in refs] == [len(raw) for raw in raws]
    assert [r.message_id for r in refs] == ["<msg1@example.org>", None, "<msg3@example.org>"]
    assert {(r.folder, r.uidvalidity) for r in refs} == {("INBOX", validity)}


def test_scan_after_uid_returns_only_newer_messages(dovecot: DovecotServer, imap_user: str):
    """scan(after_uid=n) lists only UIDs above n, and nothing when n is the highest ("n:*" matches it)."""
    uids = [dovecot.append(imap_user, message(i)) for i in range(4)]
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        assert [r.uid for r in mb.scan("INBOX", after_uid=uids[1])[1]] == uids[2:]
        assert mb.scan("INBOX", after_uid=uids[-1])[1] == []
        assert mb.scan("INBOX", after_uid=uids[-1] + 100)[1] == []


def test_scan_sees_mail_that_arrives_while_connected(dovecot: DovecotServer, imap_user: str):
    """A second scan on the same connection finds messages delivered after the first."""
    dovecot.append(imap_user, message(1))
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        _, first = mb.scan("INBOX")
        dovecot.append(imap_user, message(2))
        _, second = mb.scan("INBOX", after_uid=first[-1].uid)
    assert [r.message_id for r in second] == ["<msg2@example.org>"]


def test_scan_of_a_missing_folder_says_which(dovecot: DovecotServer, imap_user: str):
    """Scanning a folder that does not exist raises MailboxError naming it."""
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb, \
            pytest.raises(MailboxError, match="no-such-folder"):
        mb.scan("no-such-folder")


def test_fetch_returns_the_exact_bytes_and_leaves_the_message_unread(dovecot: DovecotServer, imap_user: str):
    """fetch returns the message byte for byte and does not mark it \\Seen."""
    raw = message(1, body="Grüße – ünïcode body".encode().decode("latin-1"))
    dovecot.append(imap_user, raw)
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        _, [ref] = mb.scan("INBOX")
        assert mb.fetch(ref, max_bytes=10_000) == raw
    with dovecot.client(imap_user) as c:
        c.select_folder("INBOX", readonly=True)
        assert c.search(["UNSEEN"]) == [ref.uid]


@pytest.mark.parametrize("chunk", [700_000, 1024 * 1024])
def test_fetch_streams_a_large_message_in_chunks(dovecot: DovecotServer, imap_user: str, chunk: int, caplog):
    """A 5 MB message fetched in partial chunks (also a whole number of chunks) equals the original."""
    raw = big_message(5 * 1024 * 1024)
    if chunk == 1024 * 1024:
        raw += b"x" * (-len(raw) % chunk)
    dovecot.append(imap_user, raw)
    with ImapMailbox(dovecot.imap_settings_for(imap_user, fetch_chunk_bytes=chunk)) as mb:
        _, [ref] = mb.scan("INBOX")
        # imapclient logs each command it sends (never literals), so the partial FETCHes can be counted.
        with caplog.at_level(logging.DEBUG, logger="imapclient"):
            got = mb.fetch(ref, max_bytes=30 * 1024 * 1024)
    partial = [r.getMessage() for r in caplog.records if "BODY.PEEK[]<" in r.getMessage()
               and r.getMessage().startswith(">")]
    assert len(partial) >= len(raw) // chunk
    assert f"<0.{chunk}>" in partial[0] and f"<{chunk}.{chunk}>" in partial[1]
    assert len(got) == len(raw)
    assert got == raw


def test_fetch_refuses_a_message_over_the_limit_before_downloading(dovecot: DovecotServer, imap_user: str):
    """fetch raises MessageTooLarge, carrying the ref and limit, when the size is over max_bytes."""
    dovecot.append(imap_user, message(1, body="y" * 5000))
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        _, [ref] = mb.scan("INBOX")
        with pytest.raises(MessageTooLarge) as caught:
            mb.fetch(ref, max_bytes=1000)
    assert caught.value.ref == ref and caught.value.limit == 1000
    assert isinstance(caught.value, MailboxError)


def test_fetch_many_takes_small_messages_in_one_command_and_leaves_the_rest(dovecot: DovecotServer,
                                                                           imap_user: str, caplog):
    """fetch_many returns each small message byte for byte from one FETCH; a message bigger than a
    chunk or the limit, or gone from the folder, is left out for `fetch` to handle at its turn."""
    raws = [message(1), message(2, body="z" * 3000), big_message(80_000), message(4), message(5)]
    for raw in raws:
        dovecot.append(imap_user, raw)
    with ImapMailbox(dovecot.imap_settings_for(imap_user, fetch_chunk_bytes=50_000)) as mb:
        _, refs = mb.scan("INBOX")
        gone = refs[3]
        with dovecot.client(imap_user) as c:
            c.select_folder("INBOX")
            c.delete_messages([gone.uid])
            c.expunge()
        with caplog.at_level(logging.DEBUG, logger="imapclient"):
            got = mb.fetch_many(refs, max_bytes=10_000)
    fetches = [r.getMessage() for r in caplog.records
               if r.getMessage().startswith(">") and " FETCH " in r.getMessage()]
    assert len(fetches) == 1
    assert got == {refs[0].uid: raws[0], refs[1].uid: raws[1], refs[4].uid: raws[4]}


def test_move_files_the_message_into_a_new_nested_folder(dovecot: DovecotServer, imap_user: str):
    """move creates a missing nested folder (translating "/" to Dovecot's ".") and moves only that message."""
    uids = [dovecot.append(imap_user, message(i)) for i in range(3)]
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        _, refs = mb.scan("INBOX")
        mb.move(refs[1], "inbox-worker/processed")
        _, after = mb.scan("INBOX")
    assert [r.uid for r in after] == [uids[0], uids[2]]
    assert list(dovecot.list_folder(imap_user, "inbox-worker/processed").values()) == [message(1)]
    assert "inbox-worker/processed" in dovecot.folders(imap_user)
    with dovecot.client(imap_user) as c:
        assert "inbox-worker.processed" in [name for _f, _d, name in c.list_folders()]


def test_a_server_that_stops_answering_while_a_folder_is_made_gives_a_mailbox_error():
    """A server that goes silent mid-session is a mailbox problem (reported, tried again next
    poll), not a crash of the cycle."""
    server = DovecotServer().start()
    try:
        user = server.add_user()
        with ImapMailbox(server.imap_settings_for(user, timeout_seconds=1.0)) as mb:
            mb.scan("INBOX")
            stopped = _children(server.process.pid)
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP)
            try:
                with pytest.raises(MailboxError, match="could not create the folder"):
                    mb.ensure_folder("inbox-worker/processed")
            finally:
                for pid in stopped:
                    os.kill(pid, signal.SIGCONT)
    finally:
        server.stop()


def test_move_into_an_existing_folder_with_a_non_ascii_name(dovecot: DovecotServer, imap_user: str):
    """move works for folder names with accents and spaces, twice into the same folder."""
    target = "Programm/Protégés – geprüft"
    dovecot.append(imap_user, message(1))
    dovecot.append(imap_user, message(2))
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        _, refs = mb.scan("INBOX")
        for ref in refs:
            mb.move(ref, target)
        assert mb.scan(target)[1][1].message_id == "<msg2@example.org>"
    assert list(dovecot.list_folder(imap_user, target).values()) == [message(1), message(2)]
    assert dovecot.list_folder(imap_user) == {}


@pytest.mark.parametrize("host", [HOST_WITHOUT_MOVE, HOST_WITHOUT_MOVE_OR_UIDPLUS])
def test_move_without_the_move_extension_copies_and_deletes_only_that_message(
        dovecot: DovecotServer, imap_user: str, host: str):
    """Without MOVE, move copies and removes only its own message; another \\Deleted message survives."""
    keep = dovecot.append(imap_user, message(1))
    dovecot.append(imap_user, message(2))
    with dovecot.client(imap_user) as c:
        c.select_folder("INBOX")
        c.add_flags([keep], [b"\\Deleted"])  # someone else's pending deletion: not ours to expunge
    with ImapMailbox(dovecot.imap_settings_for(imap_user, host=host)) as mb:
        assert not mb.client.has_capability("MOVE")
        _, [ref] = mb.scan("INBOX")
        mb.move(ref, "done")
        assert mb.scan("INBOX")[1] == []
    assert list(dovecot.list_folder(imap_user, "done").values()) == [message(2)]
    with dovecot.client(imap_user) as c:
        c.select_folder("INBOX", readonly=True)
        assert keep in c.search(["ALL"])


@pytest.mark.parametrize("host", ["127.0.0.1", HOST_WITHOUT_MOVE, HOST_WITHOUT_MOVE_OR_UIDPLUS])
def test_move_many_files_several_messages_and_leaves_the_others(dovecot: DovecotServer, imap_user: str,
                                                                 host: str):
    """move_many moves exactly the messages given, with or without the MOVE extension."""
    uids = [dovecot.append(imap_user, message(i)) for i in range(5)]
    with ImapMailbox(dovecot.imap_settings_for(imap_user, host=host)) as mb:
        _, refs = mb.scan("INBOX")
        mb.move_many([refs[0], refs[2], refs[3]], "inbox-worker/processed")
        mb.move_many([], "inbox-worker/processed")
        assert [r.uid for r in mb.scan("INBOX")[1]] == [uids[1], uids[4]]
    assert list(dovecot.list_folder(imap_user, "inbox-worker/processed").values()) == [
        message(0), message(2), message(3)]


def test_move_many_refuses_messages_of_two_folders(dovecot: DovecotServer, imap_user: str):
    """One command moves from one folder: refs of two folders are a caller's mistake, and nothing moves."""
    dovecot.append(imap_user, message(1))
    dovecot.append(imap_user, message(2), folder="other")
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        [inbox_ref], [other_ref] = mb.scan("INBOX")[1], mb.scan("other")[1]
        with pytest.raises(ValueError, match="one folder"):
            mb.move_many([inbox_ref, other_ref], "done")
    assert list(dovecot.list_folder(imap_user).values()) == [message(1)]
    assert list(dovecot.list_folder(imap_user, "other").values()) == [message(2)]


def test_a_rebuilt_folder_makes_old_refs_fail_instead_of_naming_other_mail(dovecot: DovecotServer,
                                                                            imap_user: str):
    """After UIDVALIDITY changes, fetch and move of an old ref raise MailboxError, touching nothing."""
    dovecot.append(imap_user, message(1), folder="applications")
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        old_validity, [old] = mb.scan("applications")
    with dovecot.client(imap_user) as c:
        c.delete_folder("applications")
    dovecot.append(imap_user, message(2), folder="applications")
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        new_validity, [new] = mb.scan("applications")
        assert new_validity != old_validity and new.uid == old.uid
        with pytest.raises(MailboxError, match="UIDVALIDITY"):
            mb.fetch(old, max_bytes=10_000)
        with pytest.raises(MailboxError, match="UIDVALIDITY"):
            mb.move(old, "done")
    assert list(dovecot.list_folder(imap_user, "applications").values()) == [message(2)]


def test_a_wrong_password_is_reported_without_the_password(dovecot: DovecotServer, imap_user: str):
    """A refused login raises MailboxError naming the user and the setting to fix, never the password."""
    secret = "Wr0ng-secret-XYZ"
    with pytest.raises(MailboxError) as caught, \
            ImapMailbox(dovecot.imap_settings_for(imap_user, password=secret)):
        pass
    text = str(caught.value)
    assert secret not in text and PASSWORD not in text
    assert imap_user in text and "INBOX_WORKER_IMAP__PASSWORD" in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_no_server_gives_a_mailbox_error_with_the_next_step(dovecot: DovecotServer, imap_user: str):
    """Connecting to a port nobody listens on raises MailboxError pointing at the host and port settings."""
    settings = dovecot.imap_settings_for(imap_user, port=free_port(), timeout_seconds=2)
    with pytest.raises(MailboxError, match=r"imap\.host, imap\.port"):
        ImapMailbox(settings).__enter__()


def test_tls_to_a_plain_server_fails_clearly(dovecot: DovecotServer, imap_user: str):
    """security=ssl against a plain-text server raises MailboxError instead of hanging or crashing."""
    with pytest.raises(MailboxError, match=r"imap\.security"):
        ImapMailbox(dovecot.imap_settings_for(imap_user, security="ssl", timeout_seconds=3)).__enter__()


def test_oauth2_login_with_a_token_command(dovecot: DovecotServer, imap_user: str):
    """auth=oauth2 logs in with XOAUTH2 using the token that token_command prints."""
    dovecot.append(imap_user, message(1))
    command = f"{sys.executable} -c \"print(' {PASSWORD} ')\""
    settings = dovecot.imap_settings_for(imap_user, password="", auth="oauth2",
                                         oauth2={"token_command": command})
    with ImapMailbox(settings) as mb:
        assert len(mb.scan("INBOX")[1]) == 1


def test_oauth2_refused_token_is_not_shown(dovecot: DovecotServer, imap_user: str):
    """A token the server refuses gives MailboxError that does not contain the token."""
    token = "ya29.not-a-valid-token"
    settings = dovecot.imap_settings_for(imap_user, password="", auth="oauth2",
                                         oauth2={"token_command": f"echo {token}"})
    with pytest.raises(MailboxError) as caught, ImapMailbox(settings):
        pass
    assert token not in str(caught.value) and "imap.oauth2" in str(caught.value)


def test_a_failing_token_command_does_not_echo_its_output():
    """A token command that fails raises MailboxError with its exit status and none of its output."""
    command = f"{sys.executable} -c \"print('leaked-token'); raise SystemExit(3)\""
    settings = OAuth2Settings(token_command=command)
    with pytest.raises(MailboxError, match="exit status 3") as caught:
        oauth2_access_token(settings, timeout=10)
    assert "leaked-token" not in str(caught.value)


@pytest.fixture
def token_endpoint() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A real HTTP server answering like Google's token endpoint; records the forms it got."""
    forms: list[dict[str, list[str]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            forms.append(form)
            ok = form.get("refresh_token") == ["good-refresh"]
            body = {"access_token": PASSWORD, "expires_in": 3599} if ok else \
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/token", forms
    server.shutdown()
    server.server_close()


def test_oauth2_refresh_token_is_exchanged_for_an_access_token(dovecot: DovecotServer, imap_user: str,
                                                                token_endpoint):
    """With a refresh token, the adapter POSTs it to token_url and logs in with the access token it gets."""
    url, forms = token_endpoint
    settings = dovecot.imap_settings_for(imap_user, password="", auth="oauth2", oauth2={
        "client_id": "cid", "client_secret": "csecret", "refresh_token": "good-refresh", "token_url": url})
    with ImapMailbox(settings) as mb:
        mb.scan("INBOX")
    assert forms == [{"client_id": ["cid"], "client_secret": ["csecret"],
                      "refresh_token": ["good-refresh"], "grant_type": ["refresh_token"]}]


def test_oauth2_revoked_refresh_token_is_explained(token_endpoint):
    """A refused refresh token gives MailboxError with Google's reason and no secret."""
    url, _ = token_endpoint
    settings = OAuth2Settings(client_id="cid", client_secret="csecret",
                              refresh_token="old-refresh", token_url=url)
    with pytest.raises(MailboxError, match="invalid_grant") as caught:
        oauth2_access_token(settings, timeout=5)
    assert "old-refresh" not in str(caught.value) and "csecret" not in str(caught.value)


def test_idle_wait_wakes_for_new_mail_and_times_out_without(dovecot: DovecotServer, imap_user: str):
    """idle_wait returns True soon after a message arrives, and False after the timeout when none does."""
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        started = time.monotonic()
        assert mb.idle_wait("INBOX", timeout=0.5) is False
        assert time.monotonic() - started >= 0.5
        threading.Timer(0.3, dovecot.append, (imap_user, message(1))).start()
        started = time.monotonic()
        assert mb.idle_wait("INBOX", timeout=10) is True
        assert time.monotonic() - started < 5
        assert len(mb.scan("INBOX")[1]) == 1


# --- Maildir ------------------------------------------------------------------------------------

def deliver(maildir: Path, raw: bytes, name: str) -> None:
    """Deliver a message the way an MDA does: write in tmp/, rename into new/."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    (maildir / "tmp" / name).write_bytes(raw)
    os.rename(maildir / "tmp" / name, maildir / "new" / name)


def test_maildir_scan_fetch_and_after_uid(tmp_path: Path):
    """MaildirMailbox lists mail in arrival order with stable UIDs, filters by after_uid, fetches bytes."""
    for i in range(3):
        deliver(tmp_path, message(i), f"{1700000000 + i}.M{i}P1.host")
    with MaildirMailbox(tmp_path) as mb:
        validity, refs = mb.scan("INBOX")
        assert [r.message_id for r in refs] == [f"<msg{i}@example.org>" for i in range(3)]
        assert [r.uid for r in refs] == [1, 2, 3]
        assert [r.size for r in refs] == [len(message(i)) for i in range(3)]
        assert [r.uid for r in mb.scan("INBOX", after_uid=2)[1]] == [3]
        assert mb.fetch(refs[1], max_bytes=10_000) == message(1)
        with pytest.raises(MessageTooLarge):
            mb.fetch(refs[1], max_bytes=10)
    # A new instance (the next run) sees the same UIDVALIDITY and UIDs, and numbers new mail after them.
    deliver(tmp_path, message(9), "1700000099.M9P1.host")
    again_validity, again = MaildirMailbox(tmp_path).scan("INBOX")
    assert again_validity == validity
    assert [(r.uid, r.message_id) for r in again][-2:] == [(3, "<msg2@example.org>"),
                                                           (4, "<msg9@example.org>")]


def test_maildir_move_files_into_a_subfolder_and_uids_are_not_reused(tmp_path: Path):
    """move puts the message in a Maildir++ subfolder; the UIDs of moved mail are never given out again."""
    for i in range(2):
        deliver(tmp_path, message(i), f"{1700000000 + i}.M{i}P1.host")
    mb = MaildirMailbox(tmp_path)
    _, refs = mb.scan("INBOX")
    mb.move(refs[1], "inbox-worker/processed")
    assert (tmp_path / ".inbox-worker.processed" / "new").is_dir()
    _, left = mb.scan("INBOX")
    assert [r.uid for r in left] == [refs[0].uid]
    _, moved = mb.scan("inbox-worker/processed")
    assert [mb.fetch(r, 10_000) for r in moved] == [message(1)]
    deliver(tmp_path, message(5), "1700000050.M5P1.host")
    assert [r.uid for r in mb.scan("INBOX")[1]] == [refs[0].uid, 3]
    with pytest.raises(MailboxError):
        mb.fetch(refs[1], 10_000)


def test_maildir_move_many_moves_exactly_those_messages(tmp_path: Path):
    """move_many on a Maildir moves the messages given and keeps the rest in INBOX."""
    for i in range(4):
        deliver(tmp_path, message(i), f"{1700000000 + i}.M{i}P1.host")
    mb = MaildirMailbox(tmp_path)
    _, refs = mb.scan("INBOX")
    mb.move_many([refs[1], refs[3]], "done")
    assert [r.uid for r in mb.scan("INBOX")[1]] == [refs[0].uid, refs[2].uid]
    assert sorted(mb.fetch(r, 10_000) for r in mb.scan("done")[1]) == [message(1), message(3)]


def test_maildir_fetch_many_returns_what_fetch_returns(tmp_path: Path):
    for i in range(3):
        deliver(tmp_path, message(i), f"{1700000000 + i}.M{i}P1.host")
    mb = MaildirMailbox(tmp_path)
    _, refs = mb.scan("INBOX")
    assert mb.fetch_many(refs, max_bytes=10_000) == {r.uid: mb.fetch(r, 10_000) for r in refs}
    assert mb.fetch_many(refs, max_bytes=10) == {}


def test_maildir_missing_folder_is_an_error(tmp_path: Path):
    """Scanning a Maildir folder that does not exist raises MailboxError."""
    with pytest.raises(MailboxError, match="review"):
        MaildirMailbox(tmp_path).scan("inbox-worker/review")


def test_both_adapters_return_message_refs(dovecot: DovecotServer, imap_user: str, tmp_path: Path):
    """Both adapters hand out the same MessageRef value type."""
    dovecot.append(imap_user, message(1))
    deliver(tmp_path, message(1), "1700000000.M1P1.host")
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as imap:
        imap_ref = imap.scan("INBOX")[1][0]
    maildir_ref = MaildirMailbox(tmp_path).scan("INBOX")[1][0]
    assert type(imap_ref) is type(maildir_ref) is MessageRef
    assert imap_ref.message_id == maildir_ref.message_id and imap_ref.size == maildir_ref.size


def test_a_renumbered_inbox_is_seen_with_its_new_uidvalidity(dovecot: DovecotServer, imap_user: str):
    """After the server renumbers INBOX, scan reports the new UIDVALIDITY and old refs are refused."""
    dovecot.append(imap_user, message(1))
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        old_validity, [old] = mb.scan("INBOX")
    dovecot.renumber(imap_user, "INBOX")
    with ImapMailbox(dovecot.imap_settings_for(imap_user)) as mb:
        new_validity, [new] = mb.scan("INBOX")
        assert new_validity != old_validity and new.message_id == old.message_id
        with pytest.raises(MailboxError, match="scan the folder again"):
            mb.fetch(old, 10_000)
        assert mb.fetch(new, 10_000) == message(1)
