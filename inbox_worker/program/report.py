"""The program's report: one self-contained page a coordinator opens, prints or hands to the board.

The same summary and chart as the digest, then the waiting list by library
type, every relationship with its check-ins, and the year's outcomes. The
page carries its chart inside it (a data URI), so it is one file that opens
anywhere, with no network. `inbox-worker report` writes it; once a month
(`schedule.monthly_report_day`) the coordinators get it by email, beside
their digests, under the key "report:YYYY-MM".
"""
from __future__ import annotations

import base64
import logging
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.clock import local_day, sending_day
from inbox_worker.config import Settings
from inbox_worker.matching.explanation import library_words
from inbox_worker.outbound import contexts, dashboard
from inbox_worker.outbound.chart import SHOWN_HEIGHT, SHOWN_WIDTH, chart_alt_text, render_chart
from inbox_worker.outbound.emails import Attachment, Templates
from inbox_worker.outbound.pdf import PdfError, html_to_pdf
from inbox_worker.outbound.words import ROLE_LABELS, day_for_people
from inbox_worker.program import outcomes, standing
from inbox_worker.program.lifecycle import state_words
from inbox_worker.program.overview import consent_words
from inbox_worker.store.models import ASKING_STATES, Application, MentoringRelationship, OutgoingMessage
from inbox_worker.store.models import RelationshipState as State

log = logging.getLogger(__name__)

PAGE = "report/page.html"


def report_context(s: Session, settings: Settings, now: datetime) -> dict:
    """Everything the page shows, in words, its days those of the program's time zone."""
    zone = settings.program.zone
    today = local_day(now, zone)
    figures = standing.figures(s, settings, now)
    png = render_chart(figures.chart, Path(settings.paths.state_dir) / "cache")
    year_ago = now - timedelta(days=365)
    said = outcomes.gather(s, settings.schedule.assessment_questions, year_ago, now)
    pairs = standing.relationships(s, settings.schedule.assessment_questions, zone)
    return contexts.base(settings) | {
        "today": day_for_people(today),
        "summary": dashboard.summary_lines(figures.standing, today),
        "chart": {"src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                  "alt": chart_alt_text(figures.chart), "width": SHOWN_WIDTH, "height": SHOWN_HEIGHT},
        "waiting": [{"library": _plural(library_words(kind)), "count": len(people),
                     "suggested": sum(1 for p in people if p.stage == standing.SUGGESTED),
                     "proposed": sum(1 for p in people if p.stage == standing.PROPOSED),
                     "people": [{"name": p.name, "library": p.library,
                                 "since": day_for_people(p.applied_at, today, zone),
                                 "days": (today - local_day(p.applied_at, zone)).days,
                                 "suggested": p.stage == standing.SUGGESTED,
                                 "proposed": p.stage == standing.PROPOSED} for p in people]}
                    for kind, people in standing.waiting_by_type(figures.proteges)],
        "relationships": [_pair(p, today, zone) for p in pairs],
        "proposals": _proposals(s, year_ago, today, zone),
        "year": _year(s, pairs, said, year_ago, today, zone),
    }


def _plural(words: str) -> str:
    return "Library type not given" if words == "library type not given" else (
        words[:1].upper() + words[1:].replace(" library", " libraries"))


def _pair(p: standing.Pair, today: date, zone: tzinfo) -> dict:
    if p.state in standing.FINISHED_STATES:
        when = f"{day_for_people(p.starts_on, today)} to {day_for_people(p.closed_at, today, zone)}"
    else:
        when = f"since {day_for_people(p.starts_on, today)}, until {day_for_people(p.ends_on, today)}"
    checkins = []
    for c in p.checkins:
        said = "; ".join(f"{ROLE_LABELS[role]}: {word}" for role, word in sorted(c.answers.items(), reverse=True))
        late = f" (sent late: it was due {day_for_people(c.due_on, today)})" if c.late else ""
        if c.skipped:
            status = "skipped: it came due while the program's mail was not running, and its moment had passed"
        elif len(c.answers) == 2:
            status = f"answered ({said}){late}"
        elif c.overdue:
            status = "overdue" + (f"; {said}" if said else "") + late
        elif c.reminded:
            status = "questions sent, waiting for answers" + (f"; {said}" if said else "") + late
        else:
            status = "not due yet" if c.due_on > today else "not sent"
        checkins.append({"number": c.number, "due_on": day_for_people(c.due_on, today), "status": status,
                         "overdue": c.overdue})
    return {"id": p.id, "protege": p.protege, "protege_library": p.protege_library, "mentor": p.mentor,
            "mentor_library": p.mentor_library, "state": state_words(p.state),
            "when": when, "end_reason": p.end_reason if p.state == State.ENDED_EARLY else None, "checkins": checkins}


def _proposals(s: Session, since: datetime, today: date, zone: tzinfo) -> list[dict]:
    """Matches asked of the pair, and those declined in the last twelve months, with who said what."""
    apps = {a.id: a for a in s.scalars(select(Application))}
    out = []
    for r in s.scalars(select(MentoringRelationship).where(
            MentoringRelationship.state.in_((*ASKING_STATES, State.DECLINED))).order_by(MentoringRelationship.id)):
        if r.state == State.DECLINED and (r.closed_at is None or r.closed_at <= since):
            continue
        p, m = apps[r.protege_id], apps[r.mentor_id]
        out.append({"id": r.id, "protege": p.name or p.email, "mentor": m.name or m.email,
                    "state": state_words(r.state), "when": day_for_people(r.approved_at, today, zone),
                    "answers": [consent_words(c, today, zone) for c in r.consents]})
    return out


def _year(s: Session, pairs: list[standing.Pair], said: outcomes.Outcomes, since: datetime, today: date,
          zone: tzinfo) -> dict:
    """The last twelve months in numbers."""
    applied = dict(s.execute(select(Application.role, func.count()).where(Application.created_at > since)
                             .group_by(Application.role)).all())
    started = [p for p in pairs if p.starts_on and p.starts_on > local_day(since, zone)]
    finished = [p for p in pairs if p.closed_at and p.closed_at > since]
    return {
        "from": day_for_people(since, today, zone), "protege_applications": applied.get("protege", 0),
        "mentor_applications": applied.get("mentor", 0), "started": len(started),
        "completed": sum(1 for p in finished if p.state == State.CLOSED),
        "ended_early": sum(1 for p in finished if p.state == State.ENDED_EARLY),
        "outcomes": dashboard.outcome_context(said),
    }


def render_report(templates: Templates, context: dict) -> str:
    return templates.env.get_template(PAGE).render(context)


def report_html(s: Session, settings: Settings, templates: Templates, now: datetime) -> str:
    """The report page at `now`, as one self-contained HTML file."""
    return render_report(templates, report_context(s, settings, now))


# ---------------------------------------------------------------- the monthly copy
def send_monthly_report(s: Session, app, now: datetime) -> str | None:
    """Once a month, from `monthly_report_day` on, the report goes to the coordinators as an attachment.

    It goes beside the digest: a program whose digest is off sends no report either.
    """
    settings = app.settings
    day, coordinators = settings.schedule.monthly_report_day, list(settings.program.coordinators)
    # The month and its day as the program counts them, from the send hour on.
    today = sending_day(now, settings.program.zone, settings.program.send_hour)
    if not day or today.day < day or not coordinators or settings.schedule.digest == "off":
        return None
    month = today.strftime("%Y-%m")
    key = f"report:{month}"
    if s.scalar(select(OutgoingMessage.id).where(OutgoingMessage.idempotency_key == key)) is not None:
        return None
    if s.scalar(select(func.count()).select_from(MentoringRelationship)) == 0 and \
            s.scalar(select(func.count()).select_from(Application)) == 0:
        return None
    context = report_context(s, settings, now)
    html = render_report(app.templates, context)
    attachments = [Attachment(f"program-report-{month}.html", "text/html", html.encode("utf-8"))]
    problem = ""
    if settings.schedule.monthly_report_pdf:
        try:
            attachments.append(Attachment(f"program-report-{month}.pdf", "application/pdf", html_to_pdf(html)))
        except PdfError as e:
            log.warning("the monthly report goes without its PDF: %s", e)
            problem = str(e)
    contexts.queue_mail(
        s, settings, app.templates, key=key, template="monthly_report", now=now, to=coordinators,
        context=contexts.base(settings) | {"month": f"{today:%B %Y}", "today": context["today"],
                                           "summary": context["summary"], "files": [a.filename for a in attachments],
                                           "pdf_problem": problem},
        attachments=attachments)
    return f"the report for {today:%B %Y} to the coordinators"
