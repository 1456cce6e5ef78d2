"""The intake tests' world: the fixture messages, settings against the test servers, readers of
what the SMTP server received. The `world` fixture (conftest.py) is built from these.
"""
from __future__ import annotations

import email
import email.policy
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

from inbox_worker.config import (
    DatabaseSettings,
    ProgramSettings,
    ScheduleSettings,
    Settings,
    WorkerSettings,
)

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
COORDINATOR = "coordinator@example.org"
NOW = datetime(2026, 4, 10, 9, 0)
FIRST = ["Ada", "Bea", "Cal", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo"]
LAST = ["Abbott", "Baker", "Castro", "Dunn", "Ellis", "Frey", "Gomez", "Hart", "Ibsen", "Jonas"]


def settings_for(dovecot, user, smtp_server, tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        imap=dovecot.imap_settings_for(user),
        smtp=smtp_server.smtp_settings(),
        database=DatabaseSettings(url=database_url),
        program=ProgramSettings(coordinators=[COORDINATOR], raw_store_dir=str(tmp_path / "raw")),
        worker=WorkerSettings(outbox_dir=str(tmp_path / "outbox"), retry_base_seconds=60),
        # These tests count every email intake sends; the coordinators' digest has tests of its own.
        schedule=ScheduleSettings(digest="off"),
    )


def append_all(dovecot, user, names=None) -> None:
    for name in names or EXPECTED:
        dovecot.append(user, (FIXTURES / name).read_bytes())


def application(n: int) -> bytes:
    """The inline fixture, made the n-th applicant's own."""
    first, last = FIRST[n % 10], LAST[n // 10]
    address = f"{first}.{last}@example.org".lower()
    raw = (FIXTURES / "01-protege-inline.eml").read_bytes()
    return (raw.replace(b"Rosalind Okafor", f"{first} {last}".encode())
            .replace(b"rokafor@campbellcounty.example", address.encode())
            .replace(b"<intake-01@campbellcounty.example>", f"<crash-{n}@example.org>".encode()))


def parsed(received) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(r.data, policy=email.policy.default) for r in received]


def addressed_to(received, address: str) -> list:
    return [r for r in received if address in r.recipients]


def acks(smtp) -> Counter:
    """How often each answer to an applicant (not digests or other scheduled mail) was received."""
    return Counter(m["Message-ID"] for m in parsed(smtp.received) if m["Auto-Submitted"] == "auto-replied")


class MaildirWorld:
    """The worker against a local Maildir, a SQLite or PostgreSQL database and a folder for the
    emails it sends: the whole intake path with no server, for the fast tier (`make test-fast`)."""

    def __init__(self, tmp_path: Path, database_url: str, **worker) -> None:
        import mailbox

        from inbox_worker.worker import bootstrap

        self.path = tmp_path / "mailbox"
        self.maildir = mailbox.Maildir(self.path, create=True)
        self.sent_folder = tmp_path / "sent"
        self.settings = Settings(
            database=DatabaseSettings(url=database_url),
            program=ProgramSettings(coordinators=[COORDINATOR], raw_store_dir=str(tmp_path / "raw")),
            worker=WorkerSettings(outbox_dir=str(tmp_path / "outbox"), **worker),
            schedule=ScheduleSettings(digest="off"))
        self.app = bootstrap(self.settings)

    def deliver(self, raw: bytes) -> None:
        self.maildir.add(raw)

    def cycle(self, now: datetime = NOW, **kwargs):
        from inbox_worker.worker import MailSource, run_cycle

        return run_cycle(self.app, MailSource(maildir=self.path), now, outbox_folder=self.sent_folder, **kwargs)

    def folder(self, name: str) -> list[bytes]:
        """The messages in a folder of the mailbox ("INBOX", or the processed or review folder)."""
        import mailbox

        if name == "INBOX":
            box = self.maildir
        else:
            try:
                box = self.maildir.get_folder(name.replace("/", "."))
            except mailbox.NoSuchMailboxError:
                return []
        return [box.get_bytes(key) for key in box.iterkeys()]

    def sent(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """Every email the worker sent so far: (its envelope's recipients, the email), oldest first."""
        out = []
        for path in sorted(self.sent_folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            out.append(([a.strip() for a in msg["X-Envelope-To"].split(",")], msg))
        return out

    def sent_to(self, address: str) -> list[email.message.EmailMessage]:
        return [msg for recipients, msg in self.sent() if address in recipients]

    def close(self) -> None:
        self.app.db.dispose()
