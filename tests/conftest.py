"""Shared fixtures. The servers themselves live in tests/servers.py; this file only hands them out."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from intake_world import settings_for
from program_world import Year
from servers import DovecotServer, SmtpServer, TestPki, TlsDovecotServer, TlsSmtpServer

from inbox_worker.worker import bootstrap


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One real Dovecot for the whole run; tests get their own users from `imap_user`."""
    server = DovecotServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> str:
    """A new user with an empty mailbox, so no test sees another's mail."""
    return dovecot.add_user()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real aiosmtpd server that records what it accepts; told per test how to misbehave."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def test_pki() -> Iterator[TestPki]:
    """A test CA and the server certificates it signed (for 127.0.0.1, and for another host)."""
    pki = TestPki()
    yield pki
    pki.remove()


@pytest.fixture(scope="session")
def tls_dovecot(test_pki: TestPki) -> Iterator[TlsDovecotServer]:
    """A second real Dovecot that requires TLS: IMAPS on `imaps_port`, STARTTLS on `port`."""
    server = TlsDovecotServer(test_pki).start()
    yield server
    server.stop()


@pytest.fixture
def tls_imap_user(tls_dovecot: TlsDovecotServer) -> str:
    """A new user with an empty mailbox on the TLS Dovecot."""
    return tls_dovecot.add_user()


@pytest.fixture(scope="session")
def smtp_starttls_server(test_pki: TestPki) -> Iterator[TlsSmtpServer]:
    """A real aiosmtpd that refuses mail until the client has done STARTTLS (as Gmail's port 587)."""
    server = TlsSmtpServer(test_pki, "starttls").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_ssl_server(test_pki: TestPki) -> Iterator[TlsSmtpServer]:
    """A real aiosmtpd speaking TLS from the first byte (as Gmail's port 465)."""
    server = TlsSmtpServer(test_pki, "ssl").start()
    yield server
    server.stop()


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A fresh, empty database for one test: SQLite by default, PostgreSQL when
    INBOX_WORKER_TEST_DATABASE=postgresql (then an unreachable server fails the test, never skips it)."""
    from databases import fresh_database

    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def year(dovecot, imap_user, smtp_server, tmp_path, database_url) -> Iterator[Year]:
    """A program's world (tests/program_world.py): its own mailbox, database and raw store."""
    y = Year(dovecot, imap_user, smtp_server, tmp_path, database_url)
    yield y
    y.app.db.dispose()


@pytest.fixture(scope="session")
def season(dovecot, tmp_path_factory):
    """A year of the program with 200 protégés and 60 mentors (tests/season_world.py), played once
    for every test that reads its digest or report: its own mailbox, SMTP server and database."""
    from databases import fresh_database
    from season_world import Season, play

    tmp = tmp_path_factory.mktemp("season")
    smtp = SmtpServer().start()
    with fresh_database(tmp) as url:
        world = Season(dovecot, dovecot.add_user(), smtp, tmp, url)
        play(world)
        yield world
        world.app.db.dispose()
    smtp.stop()


@pytest.fixture
def world(dovecot, imap_user, smtp_server, tmp_path, database_url):
    """The intake tests' world (tests/intake_world.py): (dovecot, user, smtp, settings, app)."""
    settings = settings_for(dovecot, imap_user, smtp_server, tmp_path, database_url)
    app = bootstrap(settings)
    yield dovecot, imap_user, smtp_server, settings, app
    app.db.dispose()
