"""Program jobs: carry out what the schedule says is due, putting the mail it causes in the outbox.

`run_due(app, now)` runs once per worker cycle, between the poll and the
drain. It reads plain snapshots from the database, asks `schedule` what is
due, and does each thing in its own unit of work under an idempotency key
("assessment:7:1:mentor", "closing:7:protege", "digest:2026-W15"), so a
crash or a second run at the same moment never sends anything twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.form import field_label
from inbox_worker.matching.explanation import explanation_lines
from inbox_worker.outbound import contexts
from inbox_worker.outbound.contexts import ROLE_LABELS
from inbox_worker.outbound.emails import Attachment, header_text
from inbox_worker.program import lifecycle, schedule, tokens
from inbox_worker.store.models import (
    Application,
    Assessment,
    CommandToken,
    DigestSent,
    Event,
    IncomingMessage,
    MentoringRelationship,
    OutgoingMessage,
)

log = logging.getLogger(__name__)

# Events a coordinator wants to see in the digest (the rest is bookkeeping).
DECISIONS = ("match_approved", "match_chosen", "match_rejected", "relationship_ended_early",
             "commands_executed", "command_refused", "assessment_answered")


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
        line = send_digest(s, app, now)
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


def mentor_views(s: Session, settings) -> list[schedule.MentorView]:
    counts = lifecycle.active_counts(s)
    return [schedule.MentorView(m.id, m.record.get("library_type"),
                                lifecycle.capacity(settings, m) - counts.get(m.email, 0))
            for m in lifecycle.mentors(s)]


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


# ---------------------------------------------------------------- the digest
def send_digest(s: Session, app, now: datetime) -> str | None:
    """The coordinators' digest for the current period, once, and only when something happened."""
    settings = app.settings
    period = schedule.digest_period(now, settings.schedule)
    coordinators = list(settings.program.coordinators)
    if period is None or not coordinators or s.get(DigestSent, period) is not None:
        return None
    since = s.scalar(select(func.max(DigestSent.sent_at)))
    unmatched: list[dict] = []
    if settings.schedule.suggest_before_digest and lifecycle.waiting_proteges(s) and lifecycle.mentors(s):
        try:
            result = lifecycle.suggest(s, settings, now, "schedule").result
            unmatched = [{"protege": u.protege.email, "reasons": [str(r) for r in u.reasons]}
                         for u in result.unmatched]
        except ImportError:
            log.warning("the matching engine is not installed; the digest goes without new suggestions")
    contents = gather(s, settings, now, since, period)
    contents.unmatched = unmatched
    if not schedule.digest_due(period, False, contents.news()):
        return None
    token, expires = None, None
    secret = settings.schedule.token_secret.get_secret_value()
    if secret and contents.suggestions:
        expires = now + timedelta(days=settings.schedule.token_ttl_days)
        token_id = tokens.new_token_id()
        target = f"digest:{period}"
        s.add(CommandToken(token_id=token_id, action="digest_commands", target=target,
                           scope=[x["id"] for x in contents.suggestions], issued_to=coordinators,
                           issued_at=now, expires_at=expires))
        token = tokens.token_text(secret, token_id, "digest_commands", target, expires)
    attachments = []
    if contents.call_for_mentors:
        waiting, places = len(lifecycle.waiting_proteges(s)), sum(max(0, m.free) for m in mentor_views(s, settings))
        draft = app.templates.render("call_for_mentors", contexts.call_for_mentors_context(
            settings, [_shortage_dict(x) for x in contents.shortage], waiting, places))
        attachments.append(Attachment("call-for-mentors.txt", "text/plain",
                                      f"Subject: {draft.subject}\n\n{draft.text}".encode()))
    context = contexts.digest_context(settings, contents, token=token,
                                          token_expires=expires.strftime("%Y-%m-%d") if expires else "")
    outgoing_id = contexts.queue_mail(
        s, settings, app.templates, key=f"digest:{period}", template="digest", context=context,
        to=coordinators, now=now, attachments=attachments,
        reply_to=tokens.plus_address(settings.program.mailbox_address, token) if token else None)
    s.add(DigestSent(period=period, sent_at=now, outgoing_message_id=outgoing_id))
    lifecycle.record(s, now, "schedule", "digest_sent", f"digest:{period}", news=contents.news(),
                   suggestions=[x["id"] for x in contents.suggestions])
    return f"digest {period} to the coordinators ({contents.news()} new item(s))"


def gather(s: Session, settings, now: datetime, since: datetime | None, period: str) -> schedule.DigestContents:
    """Everything the digest shows, each item marked `new` when it happened since the last digest."""
    new = schedule.is_new
    c = schedule.DigestContents(period=period, since=since)
    apps = {a.id: a for a in s.scalars(select(Application))}

    def name(app_id: int) -> str:
        a = apps[app_id]
        return f"{a.name or a.email} <{a.email}>"

    for a in sorted(apps.values(), key=lambda a: a.id):
        if new(a.updated_at, since):
            c.applications.append({
                "id": a.id, "name": a.name or "(no name)", "email": a.email,
                "role_label": ROLE_LABELS.get(a.role or "", "role unknown"),
                "kind": "new" if new(a.created_at, since) else "updated",
                "missing": [field_label(k) for k in a.missing], "new": True})
    for m in s.scalars(select(IncomingMessage).where(IncomingMessage.state == "review")
                       .order_by(IncomingMessage.id)):
        if new(m.updated_at, since):
            # The subject as it decoded: one line of text, or it could add lines to the digest.
            c.review.append({"id": m.id, "sender": m.sender or "(unknown)", "subject": header_text(m.subject or ""),
                             "reason": m.reason or "", "new": True})
    outbox_state = dict(s.execute(select(OutgoingMessage.idempotency_key, OutgoingMessage.state)).all())
    ending_horizon = timedelta(days=settings.schedule.ending_soon_days)
    for r in s.scalars(select(MentoringRelationship).order_by(MentoringRelationship.id)):
        pair = {"relationship_id": r.id, "protege": name(r.protege_id), "mentor": name(r.mentor_id)}
        if r.state == "suggested":
            supervisor, consult = lifecycle.supervisor_status(apps[r.protege_id].record)
            c.suggestions.append({"id": r.id, "protege": name(r.protege_id), "mentor": name(r.mentor_id),
                                  "score": f"{r.score:.2f}" if r.score is not None else "-",
                                  "why": explanation_lines(r.explanation), "new": new(r.suggested_at, since),
                                  "supervisor": supervisor, "consult_supervisor": consult})
        if r.supervisor_notified_at is not None:
            state = outbox_state.get(f"supervisor:{r.id}")
            if new(r.supervisor_notified_at, since) or state != "sent":
                c.supervisor_notices.append(pair | {
                    "supervisor": apps[r.protege_id].record.get("supervisor_email"),
                    "state": {"sent": "sent", "pending": "waiting to be sent", "failed": "could not be sent"}
                    .get(state or "", "not queued (address suppressed?)"),
                    "new": new(r.supervisor_notified_at, since)})
        if r.state == "active":
            for a in r.assessments:
                if a.reminded_at is None:
                    continue
                answered = {x.role for x in a.answers}
                silent = [ROLE_LABELS[x] for x in schedule.ROLES if x not in answered]
                changed = any(new(t, since) for t in (a.reminded_at, a.escalated_at,
                                                      *(x.received_at for x in a.answers)))
                if not silent and not changed:
                    continue
                status = ("answered by both" if not silent else
                          f"overdue, no answer from the {' and the '.join(silent)}" if a.escalated_at else
                          f"reminder sent {a.reminded_at:%Y-%m-%d}; waiting for the {' and the '.join(silent)}")
                c.assessments.append(pair | {"number": a.number, "due_on": str(a.due_on), "status": status,
                                             "new": changed})
            if r.ends_on and r.ends_on - ending_horizon <= now.date():
                entered = datetime.combine(r.ends_on - ending_horizon, datetime.min.time())
                c.ending.append(pair | {"status": f"ends {r.ends_on}", "new": new(entered, since)})
        if r.state == "closed" and new(r.closed_at, since):
            c.ending.append(pair | {"status": f"closed {r.ends_on}; feedback requested from both", "new": True})
        if r.state == "ended_early" and new(r.closed_at, since):
            c.ending.append(pair | {"status": f"ended early: {r.end_reason}", "new": True})
        if r.state == "withdrawn" and new(r.closed_at, since):
            c.ending.append(pair | {"status": f"withdrawn before the introduction went out: {r.end_reason}; "
                                              f"the protégé waits for a mentor again", "new": True})
    for o in s.scalars(select(OutgoingMessage).where(OutgoingMessage.state == "failed")
                       .order_by(OutgoingMessage.id)):
        c.failures.append({"id": o.id, "template": o.template, "recipients": ", ".join(o.recipients),
                           "error": (o.last_error or "")[:200],
                           "new": new(max(o.created_at, o.next_attempt_at), since)})
    for e in s.scalars(select(Event).where(Event.action.in_(DECISIONS)).order_by(Event.id)):
        if new(e.at, since):
            c.activity.append({"at": f"{e.at:%Y-%m-%d %H:%M}", "actor": e.actor,
                               "action": e.action.replace("_", " "), "subject": e.subject or "", "new": True})
    _, waiting = snapshots(s, settings)
    mentors = mentor_views(s, settings)
    c.shortage = schedule.mentor_shortage(waiting, mentors)
    c.call_for_mentors = schedule.needs_call_for_mentors(waiting, mentors)
    return c


def _shortage_dict(x: schedule.Shortage) -> dict:
    return {"library_type": x.library_type, "waiting": x.waiting, "free_places": x.free_places,
            "short_by": x.short_by}
