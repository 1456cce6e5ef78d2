"""A season of the program, for the dashboard tests: 200 protégés and 60 mentors over a year.

Applications are made by a seeded generator (the form as people paste it
into an email, "Label: value" lines), arrive month by month in the real
Dovecot, and are read by the worker's own cycles, run on the first Monday
of each month from March 2025. After each cycle a coordinator approves the
suggestions of the protégés who waited longest, and records that both of
each pair said yes when asked, so pairs start through the year;
participants answer some check-ins (one asks for help, one allows a
quote and one does not), one applicant's address is refused by the SMTP
server, and one question waits in review. The last cycle, on Monday
16 March 2026, is the run whose digest the tests read.
"""
from __future__ import annotations

import email
import email.policy
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from program_world import text_of
from sqlalchemy import select
from typer.testing import CliRunner

from inbox_worker.cli.main import app as cli_app
from inbox_worker.config import DatabaseSettings, ProgramSettings, ScheduleSettings, Settings, WorkerSettings
from inbox_worker.program import consent
from inbox_worker.store.models import MentoringRelationship
from inbox_worker.worker import MailSource, bootstrap, run_cycle

COORDINATOR = "coordinator@wla.example"
PROGRAM = "program@wla.example"
SECRET = "a-season-test-token-secret"
PROTEGES, MENTORS = 200, 60
FIRST_MONDAYS = [datetime(2025, m, d, 9, 0) for m, d in ((3, 3), (4, 7), (5, 5), (6, 2), (7, 7), (8, 4), (9, 1),
                                                        (10, 6), (11, 3), (12, 1))] + \
                [datetime(2026, 1, 5, 9, 0), datetime(2026, 2, 2, 9, 0), datetime(2026, 3, 2, 9, 0),
                 datetime(2026, 3, 9, 9, 0)]
LAST_RUN = datetime(2026, 3, 16, 9, 0)
# Words a participant wrote that must reach nobody's report: she said no to being quoted.
PRIVATE_WORDS = "our talks about my divorce helped me most"
QUOTED_WORDS = "we planned a teen maker night together and forty teens came"
HELP_WORDS = "could you help us find a room in Casper for our next meeting"
REFUSED = "unreachable.applicant@bounces.example"

FIRST = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jordan", "Kendall",
         "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Taylor"]
LAST = ["Abbott", "Barrett", "Chavez", "Dalton", "Ellison", "Fischer", "Garner", "Holt", "Iverson", "Jensen",
        "Keller", "Lindqvist", "Mercer", "Nakai", "Ortega", "Pruitt", "Quintero", "Ramsey", "Soto", "Tallbear"]
LIBRARIES = [("Natrona County Library", "Public", "Casper"), ("Laramie County Library System", "Public", "Cheyenne"),
             ("Albany County Public Library", "Public", "Laramie"), ("Sheridan County Fulmer Public Library",
                                                                     "Public", "Sheridan"),
             ("Campbell County Public Library", "County library", "Gillette"),
             ("Park County Library", "Public", "Cody"), ("Teton County Library", "Public", "Jackson"),
             ("Sweetwater County Library System", "Public", "Green River"),
             ("University of Wyoming Libraries", "University", "Laramie"),
             ("Casper College Western History Center", "Community college", "Casper"),
             ("Laramie County Community College Library", "Community college", "Cheyenne"),
             ("Sheridan County School District 2", "K-12", "Sheridan"), ("Natrona County High School", "High school",
                                                                        "Casper"),
             ("Wyoming State Library", "State library", "Cheyenne"), ("Wyoming State Law Library", "Law library",
                                                                      "Cheyenne"),
             ("Wind River Tribal College Library", "Tribal", "Ethete"), ("Cheyenne Regional Medical Library",
                                                                         "Hospital/medical", "Cheyenne")]
PROTEGE_POSITIONS = ["Library Assistant", "Circulation Clerk", "Youth Services Librarian", "Branch Manager",
                     "Reference Librarian", "Library Technician", "Cataloger", "Library Director"]
MENTOR_POSITIONS = ["Library Director", "Branch Manager", "Head of Technical Services", "Reference Librarian",
                    "Youth Services Manager", "Library Director"]
TOPICS = ["story times", "teen programs", "grant writing", "cataloging", "budgets", "supervising staff",
          "collection development", "outreach", "the WYLD catalog", "reference interviews", "summer reading",
          "library boards", "makerspaces", "digital literacy", "genealogy", "fundraising"]
CATEGORIES = ["New to Wyoming", "New to working at a library", "Emerging library leader",
              "Newly promoted library staff", "New MLS degreed individual"]


@dataclass
class Person:
    n: int
    role: str
    name: str
    email: str
    month: int  # the cycle (0-11) before which the application arrives


def people(seed: int = 2025) -> list[Person]:
    rng = random.Random(seed)
    out = []
    names = [(f, last) for last in LAST for f in FIRST]
    rng.shuffle(names)
    for n in range(PROTEGES + MENTORS):
        role = "protege" if n < PROTEGES else "mentor"
        first, last = names[n]
        # Mentors come early (the call goes out first); protégés all year, more in autumn.
        month = rng.choice([0, 0, 1, 1, 2, 3, 4, 5]) if role == "mentor" else rng.choice(
            [0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 8, 9, 10, 11])
        email = REFUSED if n == 7 else f"{first}.{last}{n}@libraries.example".lower()
        out.append(Person(n, role, f"{first} {last}", email, month))
    return out


def application(p: Person, rng: random.Random) -> bytes:
    """One applicant's form pasted into an email, as most applicants send it."""
    library, kind, city = rng.choice(LIBRARIES)
    topics = rng.sample(TOPICS, 3)
    lines = [f"Applying as: {'Protégé' if p.role == 'protege' else 'Mentor'}", f"Name: {p.name}",
             f"Phone: 307-555-{1000 + p.n:04d}", f"Address: {100 + p.n} Main St", f"City: {city}", "State: WY",
             "Zip: 82001", f"Email: {p.email}", f"Library: {library}", f"Type of library: {kind}"]
    if p.role == "protege":
        lines += [f"Job title: {rng.choice(PROTEGE_POSITIONS)}", "Supervisor approval: Yes",
                  f"Supervisor: Pat Supervisor{p.n}, Branch Manager",
                  f"Supervisor email: supervisor{p.n}@libraries.example",
                  f"Categories: {rng.choice(CATEGORIES)}",
                  f"Goals: I would like help with {topics[0]}, {topics[1]} and {topics[2]}."]
    else:
        years = rng.randint(5, 30)
        lines += [f"Job title: {rng.choice(MENTOR_POSITIONS)}", "Categories: Experienced library staff",
                  f"Strengths: {years} years in Wyoming libraries; I know {topics[0]}, {topics[1]} and "
                  f"{topics[2]} well."]
    m = EmailMessage()
    m["From"] = f"{p.name} <{p.email}>"
    m["To"] = PROGRAM
    m["Subject"] = "Mentoring program application"
    m["Date"] = format_datetime(FIRST_MONDAYS[p.month].astimezone())
    m["Message-ID"] = f"<season-{p.n}@libraries.example>"
    m.set_content("Hello,\n\nHere is my application.\n\n" + "\n".join(lines) + "\n\nThank you!\n")
    return m.as_bytes()


def question() -> bytes:
    m = EmailMessage()
    m["From"] = "curious.patron@example.org"
    m["To"] = PROGRAM
    m["Subject"] = "Can library volunteers join?"
    m["Message-ID"] = "<season-question@example.org>"
    m.set_content("Hello, can a library volunteer (not staff) apply to be mentored? Thanks.")
    return m.as_bytes()


_ANSWERS = itertools.count(1)


def answer(original: EmailMessage, sender: str, body: str) -> bytes:
    """A participant's reply to one of our emails, quoting it as mail programs do."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = PROGRAM
    m["Subject"] = "Re: " + original["Subject"]
    m["Message-ID"] = f"<answer-{next(_ANSWERS)}@libraries.example>"
    m["In-Reply-To"] = original["Message-ID"]
    m["References"] = original["Message-ID"]
    quoted = "\n".join("> " + line for line in text_of(original).splitlines())
    m.set_content(f"{body}\n\nOn Monday, the WLA Mentoring Program wrote:\n{quoted}\n")
    return m.as_bytes()


@dataclass
class Season:
    dovecot: object
    user: str
    smtp: object
    tmp: Path
    database_url: str
    settings: Settings = field(init=False)
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.settings = Settings(
            imap=self.dovecot.imap_settings_for(self.user), smtp=self.smtp.smtp_settings(from_address=PROGRAM),
            database=DatabaseSettings(url=self.database_url),
            program=ProgramSettings(coordinators=[COORDINATOR], mailbox_address=PROGRAM,
                                    raw_store_dir=str(self.tmp / "raw")),
            worker=WorkerSettings(outbox_dir=str(self.tmp / "outbox")),
            schedule=ScheduleSettings(token_secret=SECRET, digest="weekly", digest_weekday=0))
        self.app = bootstrap(self.settings)
        self.config = self.tmp / "season.toml"
        self.config.write_text(f"""
[database]
url = "{self.database_url}"
[program]
coordinators = ["{COORDINATOR}"]
mailbox_address = "{PROGRAM}"
raw_store_dir = "{self.tmp / 'raw'}"
""")

    def cycle(self, when: datetime) -> None:
        summary = run_cycle(self.app, MailSource(), when)
        # The one address the SMTP server refuses is the only trouble the season has.
        assert all(REFUSED in problem for problem in summary.problems), summary.problems

    def approve_longest_waiting(self, when: datetime, count: int) -> None:
        """The coordinator approves the suggestions of the protégés who waited longest, and records that
        each of the pair said yes when the coordinator asked them."""
        with self.app.db.unit_of_work() as s:
            suggested = s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == "suggested")
                                  .order_by(MentoringRelationship.protege_id)).all()
            for rel in suggested[:count]:
                consent.approve(s, self.settings, self.app.templates, rel, when, COORDINATOR)
                for party in consent.PARTIES:
                    consent.record_answer(s, self.settings, self.app.templates, rel, party, when, accepted=True,
                                          recorded_by=COORDINATOR, by_phone=True)

    def cli(self, *args: str) -> str:
        done = CliRunner().invoke(cli_app, [*args, "--config", str(self.config)])
        assert done.exit_code == 0, done.output
        return done.output

    def sent(self, template: str) -> list[EmailMessage]:
        """Every email made from `template` that the SMTP server received, in order."""
        from inbox_worker.store.models import OutgoingMessage

        with self.app.db.unit_of_work() as s:
            ids = set(s.scalars(select(OutgoingMessage.message_id).where(OutgoingMessage.template == template)))
        out = []
        for r in self.smtp.received:
            msg = email.message_from_bytes(r.data, policy=email.policy.default)
            if msg["Message-ID"] in ids:
                out.append(msg)
        return out


def play(season: Season) -> None:
    """The year, cycle by cycle, up to the last run."""
    rng = random.Random(7)
    everyone = people()
    season.smtp.refuse(REFUSED)
    for month, when in enumerate(FIRST_MONDAYS):
        for p in (p for p in everyone if p.month == month):
            season.dovecot.append(season.user, application(p, rng))
        if month == 10:
            season.dovecot.append(season.user, question())
        if month == 13:
            _answer_checkins(season)
        season.cycle(when)
        if month < 12:
            season.approve_longest_waiting(when, 3)
    _answer_checkins(season, last=True)
    season.cycle(LAST_RUN)


def _answer_checkins(season: Season, last: bool = False) -> None:
    """Participants answer the latest check-in questions, and the end-of-year emails."""
    reminders = season.sent("assessment_reminder")[-6:]
    bodies = [f"1. Twice a month.\n2. Yes\n3. {QUOTED_WORDS}.\n4. No, all good.\n5. Yes",
              f"1. Once.\n2. Partly\n3. Not much yet.\n4. {HELP_WORDS}?\n5. no",
              f"1. Every week.\n2. yes, very much\n3. {PRIVATE_WORDS}.\n4. no\n5. No"]
    for msg, body in zip(reminders[::2] if last else reminders[1::2], bodies, strict=False):
        season.dovecot.append(season.user, answer(msg, msg["To"].addresses[0].addr_spec, body))
    if last:
        for msg in season.sent("closing")[:2]:
            season.dovecot.append(season.user, answer(
                msg, msg["To"].addresses[0].addr_spec,
                "1. A friend in the profession.\n2. More meetings.\n3. Yes, gladly.\n4. yes"))
