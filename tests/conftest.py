"""Shared fixtures. The servers themselves live in tests/servers.py; this file only hands them out."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import DovecotServer, SmtpServer


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
