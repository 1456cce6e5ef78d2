"""The sending adapters: SmtpSender against a real aiosmtpd server, FolderSender on disk."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from servers import SmtpServer, free_port

from inbox_worker.mail.sender import (
    FolderSender,
    LoginFailure,
    PermanentFailure,
    SmtpSender,
    TemporaryFailure,
)

pytestmark = pytest.mark.servers

FROM = "program@example.org"


def letter(to: str = "mentor@example.org", subject: str = "Welcome", body: str = "Hello.") -> bytes:
    return (f"From: WLA Mentoring Program <{FROM}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@example.org>\r\n\r\n{body}\r\n").encode()


def test_send_delivers_envelope_and_bytes(smtp_server: SmtpServer):
    """send hands the exact bytes and envelope to the server and returns its reply."""
    data = letter(body="Grüße, protégé.".encode().decode("latin-1"))
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        reply = sender.send(FROM, ["mentor@example.org", "coordinator@example.org"], data)
    assert reply.startswith("250")
    [got] = smtp_server.received
    assert got.envelope_from == FROM
    assert got.recipients == ["mentor@example.org", "coordinator@example.org"]
    assert got.data == data
    assert got.login is None


def test_eight_bit_mail_is_announced_and_seven_bit_mail_is_not(smtp_server: SmtpServer):
    """BODY=8BITMIME goes with a message holding a byte over 127, and only with such a message."""
    eight_bit = letter(subject="Eight", body="Grüße".encode().decode("latin-1"))
    seven_bit = letter(subject="Seven", body="Hello")
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        sender.send(FROM, ["mentor@example.org"], eight_bit)
        sender.send(FROM, ["mentor@example.org"], seven_bit)
    first, second = smtp_server.received
    assert first.data == eight_bit and "BODY=8BITMIME" in first.mail_options
    assert second.data == seven_bit and not any(o.startswith("BODY=") for o in second.mail_options)


def test_lines_starting_with_a_dot_arrive_as_written(smtp_server: SmtpServer):
    """A line that is a lone ".", or starts with one, is not taken for the end of the message."""
    data = letter(body=".\r\n..two dots\r\n.one dot\r\nlast line without an end")[:-2]
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        sender.send(FROM, ["mentor@example.org"], data)
        sender.send(FROM, ["mentor@example.org"], b"." + data)
    assert [r.data for r in smtp_server.received] == [data + b"\r\n", b"." + data + b"\r\n"]


@pytest.mark.parametrize("address", ["a@example.org>\r\nRCPT TO:<b@example.org", "a@example.org> SIZE=1",
                                     "<a@example.org>", "a b@example.org", ""])
def test_an_address_that_would_break_the_command_is_refused_and_nothing_is_sent(smtp_server: SmtpServer,
                                                                                address: str):
    """An address holding a line break, angle brackets or a space is refused for good; the
    connection stays usable for the next email."""
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        with pytest.raises(PermanentFailure, match="not an address"):
            sender.send(FROM, [address], letter())
        sender.send(FROM, ["ok@example.org"], letter())
    assert [r.recipients for r in smtp_server.received] == [["ok@example.org"]]


def test_one_sender_sends_many_messages(smtp_server: SmtpServer):
    """Several sends through one SmtpSender all arrive, in order."""
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        for n in range(3):
            sender.send(FROM, [f"p{n}@example.org"], letter(subject=f"n{n}"))
    assert [r.recipients for r in smtp_server.received] == [[f"p{n}@example.org"] for n in range(3)]


def test_sends_share_one_connection_while_the_server_keeps_it(smtp_server: SmtpServer):
    """Emails sent one after another go over one connection: nothing reconnects between them."""
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        for n in range(3):
            sender.send(FROM, [f"p{n}@example.org"], letter())
    assert len({r.peer for r in smtp_server.received}) == 1


def test_a_connection_the_server_timed_out_is_reopened_for_the_next_send():
    """A server that said 421 and closed an idle connection gets a new one for the next email,
    which is delivered: the 421 is not taken for an answer to it."""
    server = SmtpServer(idle_timeout=0.3).start()
    try:
        with SmtpSender(server.smtp_settings()) as sender:
            sender.send(FROM, ["a@example.org"], letter())
            time.sleep(0.8)
            assert sender.send(FROM, ["b@example.org"], letter()).startswith("250")
    finally:
        server.stop()
    assert [r.recipients for r in server.received] == [["a@example.org"], ["b@example.org"]]
    assert server.received[0].peer != server.received[1].peer


def test_a_dropped_connection_is_reopened_for_the_next_send(smtp_server: SmtpServer):
    """If the server closed the connection between sends, the next send reconnects and delivers."""
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        sender.send(FROM, ["a@example.org"], letter())
        smtp_server.restart()
        sender.send(FROM, ["b@example.org"], letter())
    assert [r.recipients for r in smtp_server.received] == [["a@example.org"], ["b@example.org"]]


def test_a_4xx_reply_is_a_temporary_failure_and_the_next_send_works(smtp_server: SmtpServer):
    """A 451 to DATA raises TemporaryFailure with the code; the same sender then sends normally."""
    smtp_server.fail_next(1)
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        with pytest.raises(TemporaryFailure) as caught:
            sender.send(FROM, ["mentor@example.org"], letter())
        assert caught.value.code == 451 and "try later" in str(caught.value)
        assert sender.send(FROM, ["mentor@example.org"], letter()).startswith("250")
    assert len(smtp_server.received) == 1


def test_a_5xx_reply_to_data_is_a_permanent_failure(smtp_server: SmtpServer):
    """A 554 to DATA raises PermanentFailure."""
    smtp_server.fail_next(1, "554 5.7.1 Message rejected as spam")
    with SmtpSender(smtp_server.smtp_settings()) as sender, pytest.raises(PermanentFailure) as caught:
        sender.send(FROM, ["mentor@example.org"], letter())
    assert caught.value.code == 554 and "spam" in caught.value.message


def test_a_refused_recipient_is_a_permanent_failure(smtp_server: SmtpServer):
    """When the only recipient is refused with 550, send raises PermanentFailure and nothing is delivered."""
    smtp_server.refuse("nobody@example.org")
    with SmtpSender(smtp_server.smtp_settings()) as sender, pytest.raises(PermanentFailure) as caught:
        sender.send(FROM, ["nobody@example.org"], letter())
    assert caught.value.code == 550 and "nobody@example.org" in str(caught.value)
    assert smtp_server.received == []


def test_a_temporarily_refused_recipient_holds_back_the_whole_message(smtp_server: SmtpServer):
    """With one recipient refused 450 and one 550, send raises TemporaryFailure and delivers to no one."""
    smtp_server.refuse("busy@example.org", "450 4.2.1 Mailbox busy")
    smtp_server.refuse("gone@example.org")
    with SmtpSender(smtp_server.smtp_settings()) as sender, pytest.raises(TemporaryFailure) as caught:
        sender.send(FROM, ["gone@example.org", "busy@example.org", "ok@example.org"], letter())
    assert caught.value.code == 450
    assert smtp_server.received == []
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        sender.send(FROM, ["ok@example.org"], letter())
    assert [r.recipients for r in smtp_server.received] == [["ok@example.org"]]


def test_a_permanently_refused_recipient_does_not_stop_the_others(smtp_server: SmtpServer):
    """With one of two recipients refused 550, the other still gets it and the reply names the refusal."""
    smtp_server.refuse("gone@example.org")
    with SmtpSender(smtp_server.smtp_settings()) as sender:
        reply = sender.send(FROM, ["gone@example.org", "ok@example.org"], letter())
    assert reply.startswith("250") and "gone@example.org" in reply
    assert [r.recipients for r in smtp_server.received] == [["ok@example.org"]]


def test_no_server_is_a_temporary_failure(smtp_server: SmtpServer):
    """Sending when nothing listens on the port raises TemporaryFailure saying so."""
    settings = smtp_server.smtp_settings(port=free_port(), timeout_seconds=2)
    with SmtpSender(settings) as sender, pytest.raises(TemporaryFailure) as caught:
        sender.send(FROM, ["mentor@example.org"], letter())
    assert caught.value.code is None and "connection refused" in str(caught.value)


def test_tls_to_a_plain_server_is_a_temporary_failure(smtp_server: SmtpServer):
    """security=ssl against a plain-text server raises TemporaryFailure pointing at smtp.security."""
    settings = smtp_server.smtp_settings(security="ssl", timeout_seconds=3)
    with SmtpSender(settings) as sender, pytest.raises(TemporaryFailure, match=r"smtp\.security"):
        sender.send(FROM, ["mentor@example.org"], letter())


def test_auth_login_is_used_when_a_username_is_set(smtp_server: SmtpServer):
    """With a username and password, the sender authenticates before sending."""
    settings = smtp_server.smtp_settings(username=smtp_server.username, password=smtp_server.password)
    with SmtpSender(settings) as sender:
        sender.send(FROM, ["mentor@example.org"], letter())
    assert [r.login for r in smtp_server.received] == [smtp_server.username]


def test_a_refused_login_is_a_login_failure_without_the_password(smtp_server: SmtpServer):
    """A wrong password raises LoginFailure (a TemporaryFailure) naming the setting, never the password."""
    secret = "Wr0ng-smtp-secret"
    settings = smtp_server.smtp_settings(username=smtp_server.username, password=secret)
    with SmtpSender(settings) as sender, pytest.raises(LoginFailure) as caught:
        sender.send(FROM, ["mentor@example.org"], letter())
    assert isinstance(caught.value, TemporaryFailure) and caught.value.code == 535
    assert secret not in str(caught.value) and "INBOX_WORKER_SMTP__PASSWORD" in str(caught.value)
    assert smtp_server.received == []


def test_folder_sender_writes_each_message_to_its_own_safe_file(tmp_path: Path):
    """FolderSender writes one .eml per send, named safely from recipient and subject, never overwriting."""
    outbox = tmp_path / "outbox"
    with FolderSender(outbox) as sender:
        for _ in range(2):
            reply = sender.send(FROM, ["Protégé <p@example.org>"], letter(subject="../../Ihr Antrag: ok?"))
            assert reply.startswith("250")
    files = sorted(outbox.iterdir())
    assert len(files) == 2
    for f in files:
        assert f.suffix == ".eml" and f.parent == outbox
        assert all(c.isalnum() or c in "._-" for c in f.name), f.name
        assert "Ihr-Antrag" in f.name
        text = f.read_bytes()
        assert text.startswith(b"X-Envelope-From: program@example.org\r\nX-Envelope-To: ")
        assert text.endswith(letter(subject="../../Ihr Antrag: ok?"))
