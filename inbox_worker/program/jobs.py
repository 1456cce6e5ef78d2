"""Program jobs: carry out what the schedule says is due, putting the mail it causes in the outbox.

`run_due(app, now)` runs once per worker cycle, between the poll and the
drain. It reads plain snapshots from the database, asks `schedule` what is
due, and does each thing in its own unit of work under an idempotency key
("assessment:7:1:mentor", "closing:7:protege"), so a crash or a second run
at the same moment never sends anything twice. Then the coordinators'
digest (`digest`) and, once a month, the program's report (`report`).
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.outbound import contexts
from inbox_worker.program import digest, lifecycle, report, schedule
from inbox_worker.store.models import (
    Application,
    Assessment,
    MentoringRelationship,
    OutgoingMessage,
)

log = logging.getLogger(__name__)


def run_due(app, now: datetime) -> list[str]:
    """Queue every email due at `now`; returns one line per thing done, for the cycle's summary."""
    lines: list[str] = []
    with app.db.unit_of_work() as s:
        lines += activate_introduced(s, now)
    with app.db.unit_of_work() as s:
        relationships, waiting = snapshots(s, app.settings)
        todo = schedule.due(relationships, waiting, now, app.settings.schedule)
    for item in todo:
        with app.db.unit_of_work() as s:
            lines.append(carry_out(s, app, item, now))
    with app.db.unit_of_work() as s:
        line = digest.send_digest(s, app, now)
    if line:
        lines.append(line)
    with app.db.unit_of_work() as s:
        line = report.send_monthly_report(s, app, now)
    if line:
        lines.append(line)
    return lines


# ---------------------------------------------------------------- snapshots
def snapshots(s: Session, settings) -> tuple[list[schedule.RelationshipView], list[schedule.WaitingProtege]]:
    rels = []
    for r in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == "active")):
        rels.append(schedule.RelationshipView(
            id=r.id, state=r.state, starts_on=r.starts_on, ends_on=r.ends_on,
            assessments=tuple(schedule.AssessmentView(
                number=a.number, due_on=a.due_on, reminded_at=a.reminded_at, escalated_at=a.escalated_at,
                answered=frozenset(x.role for x in a.answers)) for a in r.assessments)))
    noted = {k.split(":")[1] for k in s.scalars(select(OutgoingMessage.idempotency_key).where(
        OutgoingMessage.idempotency_key.like("waiting:%")))}
    waiting = [schedule.WaitingProtege(app_id, applied_at, library_type, noted=str(app_id) in noted)
               for app_id, applied_at, library_type in lifecycle.waiting_protege_types(s)]
    return rels, waiting


def activate_introduced(s: Session, now: datetime) -> list[str]:
    """A relationship becomes active once its introduction has actually been sent."""
    lines = []
    for rel in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == "introduced")):
        sent = s.scalar(select(OutgoingMessage.state).where(
            OutgoingMessage.idempotency_key == f"introduction:{rel.id}"))
        if sent == "sent":
            lifecycle.activate(s, rel, now)
            lines.append(f"relationship {rel.id} is under way")
    return lines


# ---------------------------------------------------------------- one due thing
def carry_out(s: Session, app, item: schedule.Due, now: datetime) -> str:
    settings, templates = app.settings, app.templates
    if item.kind == "waiting_note":
        protege = s.get(Application, item.subject_id)
        contexts.queue_mail(
            s, settings, templates, key=item.key, template="waiting_list_note",
            context=contexts.waiting_list_note_context(settings, protege.record, protege.created_at.date()),
            to=[protege.email], now=now, application_id=protege.id)
        lifecycle.record(s, now, "schedule", "waiting_list_note", f"application:{protege.id}")
        return f"waiting-list note to {protege.email}"
    rel = s.get(MentoringRelationship, item.subject_id)
    people = {"protege": s.get(Application, rel.protege_id), "mentor": s.get(Application, rel.mentor_id)}
    other = {"protege": "mentor", "mentor": "protege"}
    coordinators = list(settings.program.coordinators)
    if item.kind == "reminder":
        assessment = _assessment(s, rel, item.number)
        for role, who in people.items():
            contexts.queue_mail(
                s, settings, templates, key=f"{item.key}:{role}", template="assessment_reminder",
                context=contexts.assessment_reminder_context(
                    settings, recipient=who.record, other=people[other[role]].record, role=role,
                    number=item.number, due_on=assessment.due_on,
                    questions=settings.schedule.assessment_questions),
                to=[who.email], cc=coordinators, now=now, application_id=who.id)
        assessment.reminded_at = now
        lifecycle.record(s, now, "schedule", "assessment_reminder_sent", lifecycle.rel_subject(rel),
                       number=item.number)
        return f"assessment {item.number} reminders for relationship {rel.id}"
    if item.kind == "escalation":
        assessment = _assessment(s, rel, item.number)
        if coordinators:
            contexts.queue_mail(
                s, settings, templates, key=item.key, template="assessment_escalation",
                context=contexts.assessment_escalation_context(
                    settings, relationship_id=rel.id, protege=people["protege"].record,
                    mentor=people["mentor"].record, number=item.number,
                    reminded_on=assessment.reminded_at.date(), silent=list(item.missing),
                    days=settings.schedule.escalation_days),
                to=coordinators, now=now)
        else:
            log.warning("assessment %s of relationship %s is unanswered, but no coordinators are configured "
                        "to tell ([program] coordinators)", item.number, rel.id)
        assessment.escalated_at = now
        lifecycle.record(s, now, "schedule", "assessment_escalated", lifecycle.rel_subject(rel),
                       number=item.number, silent=list(item.missing))
        return f"assessment {item.number} of relationship {rel.id} escalated"
    if item.kind == "closing":
        for role, who in people.items():
            contexts.queue_mail(
                s, settings, templates, key=f"{item.key}:{role}", template="closing",
                context=contexts.closing_context(settings, recipient=who.record,
                                                     other=people[other[role]].record, role=role,
                                                     ends_on=rel.ends_on),
                to=[who.email], cc=coordinators, now=now, application_id=who.id)
        lifecycle.close(s, rel, now)
        return f"relationship {rel.id} closed at twelve months; feedback requested"
    raise ValueError(f"unknown due item {item.kind}")


def _assessment(s: Session, rel: MentoringRelationship, number: int) -> Assessment:
    return s.scalar(select(Assessment).where(Assessment.relationship_id == rel.id, Assessment.number == number))
