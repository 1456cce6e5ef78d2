"""TLS to the mail servers: certificates are verified by default, for IMAP and SMTP alike.

The servers here are real (a Dovecot requiring TLS, aiosmtpd with STARTTLS or implicit TLS) and
present certificates from a CA the tests made, which no system trusts. So every connection is
refused until `ca_file` names that CA; a certificate the CA signed for another host is refused even
then; and `security = "none"` never quietly turns into TLS, nor TLS into plain text.
"""
from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from servers import HOST_SEEN_AS_REMOTE, HOST_WITH_WRONG_CERT, TestPki, TlsDovecotServer, TlsSmtpServer
from sqlalchemy import select

from inbox_worker.config import (
    DatabaseSettings,
    ProgramSettings,
    ScheduleSettings,
    Settings,
    WorkerSettings,
)
from inbox_worker.mail.imap import ImapMailbox
from inbox_worker.mail.mailbox import MailboxError
from inbox_worker.mail.sender import LoginFailure, PermanentFailure, SmtpSender, TemporaryFailure
from inbox_worker.store.models import OutgoingMessage
from inbox_worker.worker import MailSource, bootstrap, run_cycle

FROM = "program@example.org"
INTAKE = Path(__file__).parent / "fixtures" / "intake"
NOW = datetime(2026, 4, 10, 9, 0)


def message(n: int = 1) -> bytes:
    return (f"From: someone@example.org\r\nTo: program@example.org\r\nSubject: Message {n}\r\n"
            f"Message-ID: <tls-{n}@example.org>\r\n\r\nHello over TLS.\r\n").encode()


def letter(to: str) -> bytes:
    return f"From: {FROM}\r\nTo: {to}\r\nSubject: Welcome\r\n\r\nHello.\r\n".encode()


def fresh_recipient() -> str:
    # The SMTP servers live for the whole run, so each test looks only for mail to its own address.
    return f"mentor-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture(params=["starttls", "ssl"])
def smtp_tls(request: pytest.FixtureRequest) -> TlsSmtpServer:
    """Each TLS SMTP server in turn."""
    return request.getfixturevalue(f"smtp_{request.param}_server")


@pytest.fixture(scope="module", params=["starttls", "ssl"])
def smtp_wrong_host(request: pytest.FixtureRequest, test_pki: TestPki) -> Iterator[TlsSmtpServer]:
    """A TLS SMTP server on 127.0.0.1 presenting a certificate our CA signed for another host."""
    server = TlsSmtpServer(test_pki, request.param, cert=test_pki.wrong_host).start()
    yield server
    server.stop()


# --- IMAP ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_refuses_a_certificate_from_an_unknown_ca(tls_dovecot: TlsDovecotServer, tls_imap_user: str,
                                                       security: str):
    """Without imap.ca_file the test CA is not trusted, and the error says to set imap.ca_file."""
    settings = tls_dovecot.imap_settings_for(tls_imap_user, security=security, ca_file=None)
    with pytest.raises(MailboxError) as caught, ImapMailbox(settings):
        pass
    text = str(caught.value)
    assert "certificate" in text and "could not be verified" in text and "imap.ca_file" in text


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_with_the_ca_configured_scans_fetches_and_moves(tls_dovecot: TlsDovecotServer,
                                                             tls_imap_user: str, security: str):
    """With imap.ca_file naming the test CA, the mailbox works end to end over TLS."""
    tls_dovecot.append(tls_imap_user, message(1))
    settings = tls_dovecot.imap_settings_for(tls_imap_user, security=security)
    with ImapMailbox(settings) as box:
        _validity, refs = box.scan("INBOX")
        assert [r.message_id for r in refs] == ["<tls-1@example.org>"]
        assert box.fetch(refs[0], 1_000_000) == message(1)
        box.move(refs[0], "inbox-worker/processed")
    assert tls_dovecot.list_folder(tls_imap_user, "INBOX") == {}
    assert list(tls_dovecot.list_folder(tls_imap_user, "inbox-worker/processed").values()) == [message(1)]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_refuses_a_certificate_for_another_host_even_with_the_ca(tls_dovecot: TlsDovecotServer,
                                                                      tls_imap_user: str, security: str):
    """A certificate the trusted CA issued for another host name is refused, pointing at imap.host."""
    settings = tls_dovecot.imap_settings_for(tls_imap_user, security=security, host=HOST_WITH_WRONG_CERT)
    with pytest.raises(MailboxError) as caught, ImapMailbox(settings):
        pass
    text = str(caught.value)
    assert "could not be verified" in text and "another host" in text and "imap.host" in text


def test_imap_security_none_does_not_upgrade_and_the_server_refuses_the_login(
        tls_dovecot: TlsDovecotServer, tls_imap_user: str):
    """With security none no STARTTLS is tried, so a TLS-only server refuses the login; the error says why."""
    settings = tls_dovecot.imap_settings_for(tls_imap_user, security="none", host=HOST_SEEN_AS_REMOTE)
    with pytest.raises(MailboxError) as caught, ImapMailbox(settings):
        pass
    text = str(caught.value)
    assert "could not log in" in text and "imap.security" in text
    # The password was not at fault, so the error must not send the reader off to change it.
    assert "PASSWORD" not in text


def test_imap_security_none_on_the_imaps_port_fails_instead_of_speaking_tls(
        tls_dovecot: TlsDovecotServer, tls_imap_user: str):
    """security none against an implicit-TLS port gives a connection error naming imap.security."""
    settings = tls_dovecot.imap_settings_for(tls_imap_user, security="none", port=tls_dovecot.imaps_port,
                                             timeout_seconds=1)
    with pytest.raises(MailboxError, match=r"could not connect.*imap\.security"), ImapMailbox(settings):
        pass


def test_imap_security_ssl_on_a_plain_port_fails_instead_of_falling_back(
        tls_dovecot: TlsDovecotServer, tls_imap_user: str):
    """security ssl against the plain-text (STARTTLS) port fails rather than carrying on unencrypted."""
    settings = tls_dovecot.imap_settings_for(tls_imap_user, security="ssl", port=tls_dovecot.port)
    with pytest.raises(MailboxError, match=r"could not connect.*imap\.security"), ImapMailbox(settings):
        pass


def test_imap_an_unreadable_ca_file_is_named_in_the_error(tls_dovecot: TlsDovecotServer,
                                                          tls_imap_user: str, tmp_path: Path):
    """An imap.ca_file that does not exist is reported as such, not as a connection failure."""
    missing = tmp_path / "no-such-ca.pem"
    settings = tls_dovecot.imap_settings_for(tls_imap_user, ca_file=str(missing))
    with pytest.raises(MailboxError, match=rf"imap\.ca_file {missing} cannot be used"), ImapMailbox(settings):
        pass


# --- SMTP ----------------------------------------------------------------------------------------

def test_smtp_refuses_a_certificate_from_an_unknown_ca(smtp_tls: TlsSmtpServer):
    """Without smtp.ca_file the send fails temporarily, saying to set smtp.ca_file; nothing is delivered."""
    to = fresh_recipient()
    with SmtpSender(smtp_tls.smtp_settings(ca_file=None)) as sender, \
            pytest.raises(TemporaryFailure) as caught:
        sender.send(FROM, [to], letter(to))
    text = str(caught.value)
    assert "certificate" in text and "could not be verified" in text and "smtp.ca_file" in text
    # No reply code: the outbox counts it as the server being unusable, not as this email's fault.
    assert caught.value.code is None
    assert not [r for r in smtp_tls.received if to in r.recipients]


@pytest.mark.parametrize("login", [False, True], ids=["anonymous", "login"])
def test_smtp_with_the_ca_configured_delivers(smtp_tls: TlsSmtpServer, login: bool):
    """With smtp.ca_file naming the test CA the message is delivered, with or without a login."""
    to = fresh_recipient()
    creds = {"username": smtp_tls.username, "password": smtp_tls.password} if login else {}
    with SmtpSender(smtp_tls.smtp_settings(**creds)) as sender:
        reply = sender.send(FROM, [to], letter(to))
    assert reply.startswith("250")
    got = [r for r in smtp_tls.received if to in r.recipients]
    assert [r.data for r in got] == [letter(to)]
    assert got[0].login == (smtp_tls.username if login else None)


def test_smtp_refuses_a_certificate_for_another_host_even_with_the_ca(smtp_wrong_host: TlsSmtpServer):
    """A certificate the trusted CA issued for another host name is refused, pointing at smtp.host."""
    to = fresh_recipient()
    with SmtpSender(smtp_wrong_host.smtp_settings()) as sender, pytest.raises(TemporaryFailure) as caught:
        sender.send(FROM, [to], letter(to))
    text = str(caught.value)
    assert "could not be verified" in text and "another host" in text and "smtp.host" in text
    assert smtp_wrong_host.received == []


def test_smtp_security_none_is_refused_by_a_server_requiring_starttls(smtp_starttls_server: TlsSmtpServer):
    """With security none no STARTTLS is tried; the refusal names smtp.security and the email is kept."""
    to = fresh_recipient()
    settings = smtp_starttls_server.smtp_settings(security="none")
    with SmtpSender(settings) as sender, pytest.raises(LoginFailure) as caught:
        sender.send(FROM, [to], letter(to))
    assert "STARTTLS" in str(caught.value) and "smtp.security" in str(caught.value)
    # A settings problem, not the email's: it must not be given up as a permanent refusal.
    assert not isinstance(caught.value, PermanentFailure)
    assert not [r for r in smtp_starttls_server.received if to in r.recipients]


def test_smtp_security_none_on_an_implicit_tls_port_fails_instead_of_speaking_tls(
        smtp_ssl_server: TlsSmtpServer):
    """security none against an implicit-TLS port gives a temporary failure naming smtp.security."""
    to = fresh_recipient()
    settings = smtp_ssl_server.smtp_settings(security="none", timeout_seconds=1)
    with SmtpSender(settings) as sender, pytest.raises(TemporaryFailure, match=r"smtp\.security"):
        sender.send(FROM, [to], letter(to))
    assert not [r for r in smtp_ssl_server.received if to in r.recipients]


def test_smtp_an_unreadable_ca_file_is_named_in_the_error(smtp_starttls_server: TlsSmtpServer,
                                                          tmp_path: Path):
    """An smtp.ca_file that is not a certificate is reported as such, and nothing is sent."""
    not_a_cert = tmp_path / "ca.pem"
    not_a_cert.write_text("not a certificate\n")
    to = fresh_recipient()
    with SmtpSender(smtp_starttls_server.smtp_settings(ca_file=str(not_a_cert))) as sender, \
            pytest.raises(TemporaryFailure, match=rf"smtp\.ca_file {not_a_cert} cannot be used"):
        sender.send(FROM, [to], letter(to))


# --- the worker --------------------------------------------------------------------------------

def tls_settings_for(dovecot: TlsDovecotServer, user: str, smtp: TlsSmtpServer, tmp_path: Path,
                     **smtp_overrides: object) -> Settings:
    # As tests/test_intake_e2e.py builds them, but over TLS: IMAPS and SMTP with STARTTLS, as Gmail.
    return Settings(
        imap=dovecot.imap_settings_for(user, security="ssl"),
        smtp=smtp.smtp_settings(**smtp_overrides),
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'iw.sqlite3'}"),
        program=ProgramSettings(coordinators=["coordinator@example.org"],
                                raw_store_dir=str(tmp_path / "raw")),
        worker=WorkerSettings(outbox_dir=str(tmp_path / "outbox"), retry_base_seconds=60),
        schedule=ScheduleSettings(digest="off"),
    )


def test_worker_acknowledges_an_application_over_tls(tls_dovecot: TlsDovecotServer, tls_imap_user: str,
                                                     smtp_starttls_server: TlsSmtpServer, tmp_path: Path):
    """A worker cycle reads an application over IMAPS and sends its acknowledgement over STARTTLS."""
    raw = (INTAKE / "01-protege-inline.eml").read_bytes()
    applicant = "rokafor@campbellcounty.example"
    tls_dovecot.append(tls_imap_user, raw)
    before = len(smtp_starttls_server.received)
    app = bootstrap(tls_settings_for(tls_dovecot, tls_imap_user, smtp_starttls_server, tmp_path))
    try:
        summary = run_cycle(app, MailSource(), NOW)
    finally:
        app.db.dispose()

    assert summary.problems == []
    acks = [r for r in smtp_starttls_server.received[before:] if applicant in r.recipients]
    assert len(acks) == 1
    ack = email.message_from_bytes(acks[0].data, policy=email.policy.default)
    original = email.message_from_bytes(raw, policy=email.policy.default)
    assert ack["In-Reply-To"] == original["Message-ID"]
    assert tls_dovecot.list_folder(tls_imap_user, "INBOX") == {}


def test_worker_keeps_the_acknowledgement_while_the_smtp_certificate_is_refused(
        tls_dovecot: TlsDovecotServer, tls_imap_user: str, smtp_starttls_server: TlsSmtpServer,
        tmp_path: Path):
    """An untrusted SMTP certificate holds the acknowledgement back, kept, until smtp.ca_file is set."""
    tls_dovecot.append(tls_imap_user, (INTAKE / "02-mentor-inline.eml").read_bytes())
    applicant = "whendricks@uwyo.example"
    before = len(smtp_starttls_server.received)

    untrusting = tls_settings_for(tls_dovecot, tls_imap_user, smtp_starttls_server, tmp_path, ca_file=None)
    app = bootstrap(untrusting)
    try:
        refused = run_cycle(app, MailSource(), NOW)
        with app.db.unit_of_work() as s:
            states = [(row.state, row.attempts) for row in s.scalars(select(OutgoingMessage))]
    finally:
        app.db.dispose()
    assert refused.smtp_down
    assert any("smtp.ca_file" in p for p in refused.problems)
    assert states == [("pending", 0)]
    assert not [r for r in smtp_starttls_server.received[before:] if applicant in r.recipients]

    app = bootstrap(tls_settings_for(tls_dovecot, tls_imap_user, smtp_starttls_server, tmp_path))
    try:
        fixed = run_cycle(app, MailSource(), NOW)
    finally:
        app.db.dispose()
    assert fixed.problems == []
    assert len([r for r in smtp_starttls_server.received[before:] if applicant in r.recipients]) == 1
