"""The program year's world, shared by the program tests: servers, app, and readers of the mail.

tests/fixtures/program/ holds the applications: 6 mentors and 8 protégés.
"""
from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from inbox_worker.cli.main import app as cli_app
from inbox_worker.config import (
    DatabaseSettings,
    ProgramSettings,
    ScheduleSettings,
    Settings,
    WorkerSettings,
)
from inbox_worker.store.models import Application, Event, MentoringRelationship, OutgoingMessage
from inbox_worker.worker import MailSource, bootstrap, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "program"
COORDINATOR = "coordinator@wla.example"
SECOND_COORDINATOR = "second.coordinator@wla.example"
PROGRAM = "program@example.org"
SECRET = "a-year-test-token-secret"
# A Monday: the weekly digest's day.
JANUARY_5 = datetime(2026, 1, 5, 9, 0)
# The program mailbox's server: the Authentication-Results it adds are the ones believed.
AUTHSERV_ID = "mx.example.org"
PASS = f"{AUTHSERV_ID}; dkim=pass header.d=wla.example; spf=pass smtp.mailfrom={COORDINATOR}"

AMY, BEN, CARA = "alowe@natronacounty.example", "bcho@lccc.example", "cdiaz@sheridan2.example"
GIA, HAL = "gmoreno@fremontlibraries.example", "hyoung@sweetwaterlibraries.example"
DANA, GRACE = "dwhitfield@natronacounty.example", "gholm@sweetwaterlibraries.example"
LOU = "levans@albanycountylib.example"


# ---------------------------------------------------------------- the world
class Year:
    """The servers, the app and small readers of what the SMTP server received."""

    def __init__(self, dovecot, user, smtp, tmp_path: Path, database_url: str, *, timezone: str = "UTC",
                 send_hour: int = 9):
        self.dovecot, self.user, self.smtp = dovecot, user, smtp
        self.settings = Settings(
            imap=dovecot.imap_settings_for(user), smtp=smtp.smtp_settings(from_address=PROGRAM),
            database=DatabaseSettings(url=database_url),
            program=ProgramSettings(coordinators=[COORDINATOR, SECOND_COORDINATOR], mailbox_address=PROGRAM,
                                    raw_store_dir=str(tmp_path / "raw"), timezone=timezone, send_hour=send_hour),
            worker=WorkerSettings(outbox_dir=str(tmp_path / "outbox")),
            schedule=ScheduleSettings(token_secret=SECRET, authserv_id=AUTHSERV_ID, digest="weekly", digest_weekday=0,
                                      assessment_months=[4, 8], escalation_days=14, waiting_list_days=90),
        )
        self.app = bootstrap(self.settings)
        self.config = tmp_path / "year.toml"
        self.config.write_text(f"""
[imap]
host = "127.0.0.1"
port = {self.settings.imap.port}
username = "{user}"
password = "{self.settings.imap.password.get_secret_value()}"
security = "none"
[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "none"
from_address = "{PROGRAM}"
[database]
url = "{self.settings.database.url}"
[program]
coordinators = ["{COORDINATOR}", "{SECOND_COORDINATOR}"]
mailbox_address = "{PROGRAM}"
raw_store_dir = "{tmp_path / 'raw'}"
timezone = "{timezone}"
send_hour = {send_hour}
[schedule]
token_secret = "{SECRET}"
authserv_id = "{AUTHSERV_ID}"
""")

    def cycle(self, when: datetime):
        summary = run_cycle(self.app, MailSource(), when)
        assert summary.problems == [], summary.problems
        return summary

    def cli(self, *args: str) -> str:
        done = CliRunner().invoke(cli_app, [*args, "--config", str(self.config)])
        assert done.exit_code == 0, done.output
        return done.output

    def mail(self, template: str) -> list[tuple[list[str], EmailMessage]]:
        """(envelope recipients, message) of every delivered email made from `template`, in order."""
        with self.app.db.unit_of_work() as s:
            ids = set(s.scalars(select(OutgoingMessage.message_id).where(OutgoingMessage.template == template)))
        out = []
        for r in self.smtp.received:
            msg = email.message_from_bytes(r.data, policy=email.policy.default)
            if msg["Message-ID"] in ids:
                out.append((r.recipients, msg))
        return out

    def to(self, template: str, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.mail(template) if address in rcpts]

    def first_suggestions(self, when: datetime = JANUARY_5) -> list[tuple[int, str, str]]:
        """Every application in tests/fixtures/program/ appended and read in one cycle at `when`
        (a Monday: the digest suggests matches); the suggestions made, as (number, protégé, mentor)."""
        for path in sorted(FIXTURES.glob("*.eml")):
            self.dovecot.append(self.user, path.read_bytes())
        self.cycle(when)
        with self.app.db.unit_of_work() as s:
            return [(int(e.subject.split(":")[1]), e.detail["protege"], e.detail["mentor"])
                    for e in s.scalars(select(Event).where(Event.action == "match_suggested")
                                       .order_by(Event.id))]

    def agree(self, number: int, when: str) -> None:
        """Both of a proposed pair said yes to a coordinator, who records it (`matches consent`)."""
        for party in ("protege", "mentor"):
            self.cli("matches", "consent", str(number), "--for", party, "--by", COORDINATOR, "--now", when)

    def relationship(self, protege: str) -> MentoringRelationship:
        with self.app.db.unit_of_work() as s:
            p = s.scalar(select(Application).where(Application.email == protege))
            rels = s.scalars(select(MentoringRelationship).where(MentoringRelationship.protege_id == p.id)
                             .order_by(MentoringRelationship.id)).all()
            return rels[-1]


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()


def reply(original: EmailMessage, sender: str, body: str, *, to: str = PROGRAM, quote: bool = True,
          headers: dict[str, str] | None = None) -> bytes:
    """A person's reply to one of our emails, quoting it as mail programs do."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = "Re: " + original["Subject"]
    m["Date"] = format_datetime(datetime(2026, 1, 5, 12, 0).astimezone())
    m["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    m["In-Reply-To"] = original["Message-ID"]
    m["References"] = original["Message-ID"]
    for k, v in (headers or {}).items():
        m[k] = v
    quoted = "\n".join("> " + line for line in text_of(original).splitlines()) if quote else ""
    m.set_content(f"{body}\n\nOn Mon, Jan 5, 2026, WLA Mentoring Program wrote:\n{quoted}\n")
    return m.as_bytes()


def apps_by_id(apps: dict[str, Application]) -> dict[int, str]:
    return {a.id: a.email for a in apps.values()}


def mentor_of(y: Year, rel: MentoringRelationship) -> str:
    with y.app.db.unit_of_work() as s:
        return s.get(Application, rel.mentor_id).email
