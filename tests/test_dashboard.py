"""The coordinators' dashboard: the digest and the report over a season of 200 protégés and 60 mentors.

GIVEN a year of the program played through the real Dovecot and aiosmtpd
  (tests/season_world.py): applications month by month, approvals, check-ins
  answered, an address that refuses mail and a question in review
WHEN the worker's last run sends the week's digest, and a coordinator asks for the report
THEN the digest opens with where the program stands, shows its chart by cid:, stays
  under 200 KB and speaks plain words; the report is one self-contained page.
"""
from __future__ import annotations

import base64
import html
import re
import stat
from datetime import datetime

from program_world import text_of
from pydantic import BaseModel
from season_world import HELP_WORDS, LAST_RUN, PRIVATE_WORDS, QUOTED_WORDS
from sqlalchemy import func, select

from inbox_worker.config import Settings
from inbox_worker.form import CHOICES, RECORD_KEYS
from inbox_worker.store.models import Application, DigestSent, MentoringRelationship, OutgoingMessage

# Relationships in these states hold their protégé: everyone else with a complete application waits.
HOLDING = ("approved", "supervisor_notified", "introduced", "active", "closed", "ended_early")


def last_digest(season):
    """The one digest the last run sent, as the SMTP server received it, with its size on the wire."""
    with season.app.db.unit_of_work() as s:
        sent = s.scalars(select(DigestSent).where(DigestSent.sent_at == LAST_RUN)).all()
        assert len(sent) == 1
        message_id = s.get(OutgoingMessage, sent[0].outgoing_message_id).message_id
    import email
    import email.policy

    received = [r for r in season.smtp.received
                if email.message_from_bytes(r.data, policy=email.policy.default)["Message-ID"] == message_id]
    assert len(received) == 1
    return email.message_from_bytes(received[0].data, policy=email.policy.default), len(received[0].data)


def report_page(season, tmp_path) -> str:
    path = tmp_path / "report.html"
    season.cli("report", "--html", str(path), "--now", LAST_RUN.isoformat())
    return path.read_text(encoding="utf-8")


def visible_text(page: str) -> str:
    """What a person reads on an HTML page: its text and the alt text of its images."""
    page = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", page)
    page = re.sub(r'(?i)<img\b[^>]*\balt="([^"]*)"[^>]*>', r" \1 ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_one_run_sends_one_digest_that_opens_with_where_the_program_stands(season):
    """One digest from the last run: under 200 KB, its chart shown by cid:, its plain text opening with
    the summary (how many protégés wait, among the first lines), twenty suggestions and the rest counted."""
    digest, size = last_digest(season)
    assert size < 200 * 1024, size

    page = digest.get_body(("html",)).get_content()
    shown = re.search(r'<img src="cid:([^"]+)" alt="([^"]+)"', page)
    assert shown and shown.group(2).startswith("Chart of the program from")
    cid = shown.group(1)
    [image] = [p for p in digest.walk() if p["Content-ID"] == f"<{cid}>"]
    assert image.get_content_type() == "image/png" and image.get_payload(decode=True).startswith(b"\x89PNG")
    assert digest.get_body(("related",)) is not None

    with season.app.db.unit_of_work() as s:
        holding = select(MentoringRelationship.protege_id).where(MentoringRelationship.state.in_(HOLDING))
        waiting = s.scalar(select(func.count()).select_from(Application).where(
            Application.role == "protege", Application.status == "received", Application.id.not_in(holding)))
        suggested = s.scalar(select(func.count()).select_from(MentoringRelationship)
                             .where(MentoringRelationship.state == "suggested"))
    text = text_of(digest)
    first_lines = text.splitlines()[:10]
    assert "where the program stands on Monday 16 March 2026" in first_lines[0]
    summary = " ".join(" ".join(first_lines).split())
    assert f"Protégés waiting for a mentor: {waiting} ({suggested} with a suggested match), the longest for " \
           in summary, first_lines
    assert suggested > 20
    assert text.count("Reply with:  APPROVE") == 20
    assert f"... and {suggested - 20} more suggestions. `inbox-worker matches suggest`" in text
    # The plain text is complete without the chart: every line of the summary is in it.
    for label in ("Decisions waiting for you:", "Mentors with a free place:", "Pairs under way:", "Check-ins:",
                  "Mail set aside for you to read:", "Email not delivered:"):
        assert label in "\n".join(first_lines), label


def test_check_in_answers_are_summed_up_and_quoted_only_with_permission(season):
    """The digest says who asked for help, and quotes only the answer whose writer said yes to quoting."""
    digest, _size = last_digest(season)
    text = " ".join(text_of(digest).split())
    assert "ASKED THE COORDINATORS FOR HELP" in text and HELP_WORDS in text
    assert "3 check-in answers: 2 on track, 1 partly" in text
    assert QUOTED_WORDS in text
    assert PRIVATE_WORDS not in text
    assert "2 end-of-year feedback replies: 2 would take part again" in text


def _internal_names() -> list[str]:
    """Names of the code's that no person should read: the record's keys and option keys that are
    identifiers, and every settings field (dotted, and undotted where it is an identifier). A
    one-word name such as `name` or `digest` is an everyday word and not searched for."""
    names = {k for k in RECORD_KEYS if "_" in k} | {o.key for c in CHOICES for o in c.options if "_" in o.key}
    names.add("protege")

    def walk(model: type[BaseModel], prefix: str) -> None:
        for field_name, info in model.model_fields.items():
            dotted = f"{prefix}.{field_name}" if prefix else field_name
            if prefix:
                names.add(dotted)
            if "_" in field_name:
                names.add(field_name)
            kind = info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, dotted)

    walk(Settings, "")
    return sorted(names)


FORBIDDEN = [
    (re.compile(r"\b(True|False|None)\b"), "a Python value"),
    (re.compile(r"\b\d{4}-W\d{2}\b"), "an ISO week code"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "an ISO date"),
    (re.compile(r"\['|'\]|\{'"), "a Python list or dict"),
    *((re.compile(rf"(?<![\w.@-]){re.escape(name)}(?![\w@-])"), "an internal name") for name in _internal_names()),
]


def test_no_internal_names_in_the_digest_or_the_report(season, tmp_path):
    """Neither the digest (subject, text, HTML) nor the report shows a field key, a Python value,
    a setting's name or an ISO week code."""
    assert "library_type" in _internal_names() and "schedule.token_secret" in _internal_names()
    assert "token_secret" in _internal_names() and "monthly_report_day" in _internal_names()
    digest, _size = last_digest(season)
    readings = {"digest subject": digest["Subject"], "digest text": text_of(digest),
                "digest page": visible_text(digest.get_body(("html",)).get_content()),
                "report page": visible_text(report_page(season, tmp_path))}
    for name, text in readings.items():
        for pattern, what in FORBIDDEN:
            found = pattern.search(text)
            assert found is None, f"{name} shows {what}: ...{text[max(0, found.start() - 80):found.end() + 80]}..."
    # The check can fail: each kind of name is caught where it appears.
    for sample in ("library_type: public", "supervisor_support True", "see schedule.token_secret",
                   "digest 2026-W15", "due 2026-03-02", "monthly_report_day"):
        assert any(p.search(sample) for p, _what in FORBIDDEN), sample


def test_the_report_command_writes_one_self_contained_page(season, tmp_path):
    """`inbox-worker report --html FILE` writes one page under 2 MB, for its owner only, whose one image
    (the chart) is inside it, with the summary, the waiting list by type, every relationship with its
    check-ins and the year's outcomes, and only the words participants allowed to be quoted."""
    page = report_page(season, tmp_path)
    path = tmp_path / "report.html"
    assert path.stat().st_size < 2 * 1024 * 1024
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert len(sources) == 1 and sources[0].startswith("data:image/png;base64,")
    assert base64.b64decode(sources[0].split(",", 1)[1]).startswith(b"\x89PNG")
    assert "url(" not in page and "@import" not in page
    text = " ".join(visible_text(page).split())
    assert "Protégés waiting for a mentor" in text and "Chart of the program from" in text
    assert re.search(r"Public libraries: \d+ waiting", text)
    with season.app.db.unit_of_work() as s:
        started = s.scalar(select(func.count()).select_from(MentoringRelationship)
                           .where(MentoringRelationship.state.in_(HOLDING)))
    assert len(re.findall(r'<div class="pair">', page)) == started
    assert "Check-in 1, due" in text and re.search(r"(protégé|mentor): (on track|partly)", text)
    assert "completed the year" in text and "The last twelve months" in text
    assert QUOTED_WORDS in text and PRIVATE_WORDS not in text and HELP_WORDS not in text


def test_the_coordinators_get_the_report_once_a_month(season):
    """Each month of the season brought the coordinators one email with that month's report attached."""
    reports = season.sent("monthly_report")
    months = [m["Subject"].rpartition("report for ")[2] for m in reports]
    assert months == [f"{datetime(y, m, 1):%B %Y}" for y, m in
                      [(2025, n) for n in range(3, 13)] + [(2026, 1), (2026, 2), (2026, 3)]]
    last = reports[-1]
    [attached] = [p for p in last.iter_attachments() if p.get_filename() == "program-report-2026-03.html"]
    assert "data:image/png;base64," in attached.get_content()
    assert "where the program stands" in text_of(last)


def test_the_report_refuses_without_a_file_to_write(season):
    """Without --html or --pdf the command says what to add, and writes nothing."""
    from typer.testing import CliRunner

    from inbox_worker.cli.main import app as cli_app

    done = CliRunner().invoke(cli_app, ["report", "--config", str(season.config)])
    assert done.exit_code == 1 and "--html report.html" in done.output


def test_how_to_switch_on_reply_commands_is_said_once(year):
    """Without a reply-command secret, the first digest with suggestions tells how an operator switches
    reply commands on, and later digests do not repeat it; each says how to decide from the command line."""
    from pydantic import SecretStr

    y = year
    y.app.settings.schedule.token_secret = SecretStr("")
    y.first_suggestions()
    with y.app.db.unit_of_work() as s:
        s.execute(MentoringRelationship.__table__.update().where(MentoringRelationship.state == "suggested")
                  .values(state="rejected"))
    y.cycle(datetime(2026, 1, 12, 9, 0))
    first, second = (text_of(m) for _r, m in y.mail("digest"))
    for text in (first, second):
        assert "inbox-worker matches approve PROTEGE MENTOR" in text and "Token:" not in text
    assert "switch it on by giving it a secret phrase" in first and "config.example.toml" in first
    assert "secret phrase" not in second
