"""Program jobs: carry out what the schedule says is due, putting the mail it causes in the outbox.

`run_due(app, now)` runs once per worker cycle, between the poll and the
drain. It reads plain snapshots from the database, asks `schedule` what is
due, and does each thing in its own unit of work under an idempotency key
("assessment:7:1:mentor", "closing:7:protege"), so a crash or a second run
at the same moment never sends anything twice. Then the coordinators'
digest (`digest`) and, once a month, the program's report (`report`).

A check-in that came due while the worker was not running goes out late,
saying so with its date, or is marked skipped when its moment has passed;
either is on record (`Assessment.skipped_at`, an event) for `matches list`,
`people show` and the digest. Proposals get their one reminder and, after
that, the coordinators hear of the silence.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.outbound import contexts, words
from inbox_worker.program import consent, digest, lifecycle, report, schedule
from inbox_worker.program.schedule import DueKind
from inbox_worker.store.models import (
    ASKING_STATES,
    Application,
    Assessment,
    MentoringRelationship,
    OutgoingMessage,
)
from inbox_worker.store.models import RelationshipState as State

log = logging.getLogger(__name__)


def run_due(app, now: datetime) -> list[str]:
    """Queue every email due at `now`; returns one line per thing done, for the cycle's summary."""
    lines: list[str] = []
    with app.db.unit_of_work() as s:
        lines += activate_introduced(s, now)
    with app.db.unit_of_work() as s:
        relationships, waiting = snapshots(s, app.settings)
        program = app.settings.program
        todo = schedule.due(relationships, waiting, now, app.settings.schedule, consent_snapshots(s),
                            zone=program.zone, send_hour=program.send_hour)
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
    for r in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == State.ACTIVE)):
        rels.append(schedule.RelationshipView(
            id=r.id, state=r.state, starts_on=r.starts_on, ends_on=r.ends_on,
            assessments=tuple(schedule.AssessmentView(
                number=a.number, due_on=a.due_on, reminded_at=a.reminded_at, escalated_at=a.escalated_at,
                answered=frozenset(x.role for x in a.answers), skipped=a.skipped_at is not None)
                for a in r.assessments)))
    noted = {k.split(":")[1] for k in s.scalars(select(OutgoingMessage.idempotency_key).where(
        OutgoingMessage.idempotency_key.like("waiting:%")))}
    waiting = [schedule.WaitingProtege(app_id, applied_at, library_type, noted=str(app_id) in noted)
               for app_id, applied_at, library_type in lifecycle.waiting_protege_types(s)]
    return rels, waiting


def consent_snapshots(s: Session) -> list[schedule.ConsentView]:
    """Each of every proposed pair, asked for their answer."""
    return [schedule.ConsentView(rel.id, c.party, c.asked_at, c.reminded_at, c.escalated_at,
                                 answered=c.answer is not None, talking=c.talk_requested_at is not None)
            for rel in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state.in_(ASKING_STATES)))
            for c in rel.consents]


def activate_introduced(s: Session, now: datetime) -> list[str]:
    """A relationship becomes active once its introduction has actually been sent."""
    lines = []
    for rel in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == State.INTRODUCED)):
        sent = s.scalar(select(OutgoingMessage.state).where(
            OutgoingMessage.idempotency_key == f"introduction:{rel.id}"))
        if sent == "sent":
            lifecycle.activate(s, rel, now)
            lines.append(f"relationship {rel.id} is under way")
    return lines


# ---------------------------------------------------------------- one due thing
def carry_out(s: Session, app, item: schedule.Due, now: datetime) -> str:
    settings, templates = app.settings, app.templates
    if item.kind in (DueKind.CONSENT_REMINDER, DueKind.CONSENT_ESCALATION):
        return _consent_due(s, app, item, now)
    if item.kind == DueKind.WAITING_NOTE:
        protege = s.get(Application, item.subject_id)
        contexts.queue_mail(
            s, settings, templates, key=item.key, template="waiting_list_note",
            context=contexts.waiting_list_note_context(settings, protege.record, protege.created_at),
            to=[protege.email], now=now, application_id=protege.id)
        lifecycle.record(s, now, "schedule", "waiting_list_note", f"application:{protege.id}")
        return f"waiting-list note to {protege.email}"
    rel = s.get(MentoringRelationship, item.subject_id)
    people = {"protege": s.get(Application, rel.protege_id), "mentor": s.get(Application, rel.mentor_id)}
    other = {"protege": "mentor", "mentor": "protege"}
    coordinators = list(settings.program.coordinators)
    if item.kind == DueKind.SKIP:
        assessment = _assessment(s, rel, item.number)
        assessment.skipped_at = now
        lifecycle.record(s, now, "schedule", "assessment_skipped", lifecycle.rel_subject(rel),
                         number=item.number, due_on=str(assessment.due_on))
        return f"check-in {item.number} of relationship {rel.id} skipped: its moment passed while nothing ran"
    if item.kind == DueKind.REMINDER:
        assessment = _assessment(s, rel, item.number)
        for role, who in people.items():
            contexts.queue_mail(
                s, settings, templates, key=f"{item.key}:{role}", template="assessment_reminder",
                context=contexts.assessment_reminder_context(
                    settings, recipient=who.record, other=people[other[role]].record, role=role,
                    number=item.number, due_on=assessment.due_on,
                    questions=settings.schedule.assessment_questions, late=item.late),
                to=[who.email], cc=coordinators, now=now, application_id=who.id)
        assessment.reminded_at = now
        lifecycle.record(s, now, "schedule", "assessment_reminder_sent", lifecycle.rel_subject(rel),
                         number=item.number, late=item.late)
        return f"assessment {item.number} reminders for relationship {rel.id}" + (" (late)" if item.late else "")
    if item.kind == DueKind.ESCALATION:
        assessment = _assessment(s, rel, item.number)
        if coordinators:
            contexts.queue_mail(
                s, settings, templates, key=item.key, template="assessment_escalation",
                context=contexts.assessment_escalation_context(
                    settings, relationship_id=rel.id, protege=people["protege"].record,
                    mentor=people["mentor"].record, number=item.number,
                    reminded_on=assessment.reminded_at, silent=list(item.missing),
                    days=settings.schedule.escalation_days),
                to=coordinators, now=now)
        else:
            log.warning("assessment %s of relationship %s is unanswered, but no coordinators are configured "
                        "to tell ([program] coordinators)", item.number, rel.id)
        assessment.escalated_at = now
        lifecycle.record(s, now, "schedule", "assessment_escalated", lifecycle.rel_subject(rel),
                       number=item.number, silent=list(item.missing))
        return f"assessment {item.number} of relationship {rel.id} escalated"
    if item.kind == DueKind.CLOSING:
        for role, who in people.items():
            contexts.queue_mail(
                s, settings, templates, key=f"{item.key}:{role}", template="closing",
                context=contexts.closing_context(settings, recipient=who.record, other=people[other[role]].record,
                                                 role=role, ends_on=rel.ends_on, late=item.late),
                to=[who.email], cc=coordinators, now=now, application_id=who.id)
        lifecycle.close(s, rel, now)
        return f"relationship {rel.id} closed at twelve months; feedback requested" + (
            " (late)" if item.late else "")
    raise ValueError(f"unknown due item {item.kind}")


def _consent_due(s: Session, app, item: schedule.Due, now: datetime) -> str:
    """A proposal's one reminder, or the coordinators told that someone has still not answered."""
    settings = app.settings
    rel = s.get(MentoringRelationship, item.subject_id)
    people = consent.people_of(s, rel)
    if item.kind == DueKind.CONSENT_REMINDER:
        [party] = item.missing
        consent.proposal(s, settings, app.templates, rel, people, party, now, reminder=True)
        consent.consent_of(rel, party).reminded_at = now
        lifecycle.record(s, now, "schedule", "proposal_reminder_sent", lifecycle.rel_subject(rel), party=party)
        return f"proposal reminder to the {words.ROLE_LABELS[party]} of relationship {rel.id}"
    asked = [consent.consent_of(rel, p) for p in item.missing]
    if settings.program.coordinators:
        contexts.queue_mail(
            s, settings, app.templates, key=item.key, template="consent_escalation",
            context=contexts.consent_escalation_context(
                settings, relationship_id=rel.id, protege=people["protege"].record, mentor=people["mentor"].record,
                silent=list(item.missing), asked_on=min(c.asked_at for c in asked),
                reminded_on=max(c.reminded_at for c in asked)),
            to=list(settings.program.coordinators), now=now)
    else:
        log.warning("a proposed match (relationship %s) is unanswered, but no coordinators are configured to "
                    "tell ([program] coordinators)", rel.id)
    for c in asked:
        c.escalated_at = now
    lifecycle.record(s, now, "schedule", "consent_escalated", lifecycle.rel_subject(rel), silent=list(item.missing))
    return f"proposal of relationship {rel.id} unanswered: the coordinators are told"


def _assessment(s: Session, rel: MentoringRelationship, number: int) -> Assessment:
    return s.scalar(select(Assessment).where(Assessment.relationship_id == rel.id, Assessment.number == number))
