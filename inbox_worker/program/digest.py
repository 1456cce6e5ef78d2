"""The coordinators' digest: where the program stands, then what waits for them, most urgent first.

Sent once per period (daily or weekly) and only when something happened
since the last one, under the idempotency key "digest:PERIOD" (a key is
internal: no person reads it). It opens with a few numbers a person takes
in at a glance (`standing`), carries a chart of the program (`outbound.chart`)
shown in place in the HTML, and keeps its plain-text part complete without
it. It stays short whatever the program's size: the twenty most urgent
suggestions, a handful of each list, and the rest counted with the command
that lists them. Words are the form's and everyday dates, never keys.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.clock import local_day
from inbox_worker.form import field_label
from inbox_worker.matching.explanation import fit_words, library_words, why_line
from inbox_worker.outbound import contexts, dashboard, words
from inbox_worker.outbound.chart import chart_alt_text, render_chart
from inbox_worker.outbound.emails import Attachment, InlineImage, address_domain, header_text
from inbox_worker.outbound.words import ROLE_LABELS, day_for_people, time_for_people
from inbox_worker.program import lifecycle, outcomes, schedule, standing, tokens
from inbox_worker.program.overview import checkin_status, consent_words
from inbox_worker.store.models import (
    ASKING_STATES,
    Application,
    CommandToken,
    DigestSent,
    Event,
    IncomingMessage,
    IncomingState,
    MentoringRelationship,
    OutgoingMessage,
)
from inbox_worker.store.models import RelationshipState as State

log = logging.getLogger(__name__)

# Events a coordinator wants to see in the digest (the rest is bookkeeping).
DECISIONS = ("match_approved", "match_chosen", "match_rejected", "relationship_ended_early",
             "commands_executed", "command_refused", "assessment_answered", "feedback_received",
             "consent_given", "consent_declined", "consent_talk_requested", "assessment_skipped")
# Said once, in the first digest without reply commands: how an operator turns them on.
EXPLAINED_REPLY_COMMANDS = "reply_commands_explained"


def send_digest(s: Session, app, now: datetime) -> str | None:
    """The coordinators' digest for the current period, once, and only when something happened."""
    settings = app.settings
    period = schedule.digest_period(now, settings.schedule, settings.program.zone, settings.program.send_hour)
    coordinators = list(settings.program.coordinators)
    if period is None or not coordinators or s.get(DigestSent, period) is not None:
        return None
    since = s.scalar(select(func.max(DigestSent.sent_at)))
    unmatched = []
    if settings.schedule.suggest_before_digest and lifecycle.waiting_proteges(s) and lifecycle.mentors(s):
        try:
            unmatched = lifecycle.suggest(s, settings, now, "schedule").result.unmatched
        except ImportError:
            log.warning("the matching engine is not installed; the digest goes without new suggestions")
    contents = gather(s, settings, now, since, period)
    contents.unmatched = [{"protege": _person(u.protege.record.get("name"), u.protege.email),
                           "reasons": list(u.reasons), "outnumbered": u.outnumbered,
                           "applied_at": u.protege.applied_at} for u in unmatched]
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
    explain = not secret and contents.suggestions and s.scalar(
        select(Event.id).where(Event.action == EXPLAINED_REPLY_COMMANDS).limit(1)) is None
    figures = standing.figures(s, settings, now)
    attachments = []
    if contents.call_for_mentors:
        draft = app.templates.render("call_for_mentors", contexts.call_for_mentors_context(
            settings, [_shortage_dict(x) for x in contents.shortage], figures.standing.waiting,
            figures.standing.free_places))
        attachments.append(Attachment("call-for-mentors.txt", "text/plain",
                                      f"Subject: {draft.subject}\n\n{draft.text}".encode()))
    chart = InlineImage(f"program-chart@{address_domain(settings.smtp.from_address)}", "image/png",
                        render_chart(figures.chart, Path(settings.paths.state_dir) / "cache"),
                        chart_alt_text(figures.chart))
    context = dashboard.digest_context(
        settings, contents, standing=figures.standing,
        outcomes=outcomes.gather(s, settings.schedule.assessment_questions, since, now),
        period_words=period_words(period, settings.schedule), token=token,
        token_expires=day_for_people(expires, None, settings.program.zone) if expires else "", chart=chart,
        explain_reply_commands=bool(explain))
    outgoing_id = contexts.queue_mail(
        s, settings, app.templates, key=f"digest:{period}", template="digest", context=context,
        to=coordinators, now=now, attachments=attachments, inline_images=[chart],
        reply_to=tokens.plus_address(settings.program.mailbox_address, token) if token else None)
    s.add(DigestSent(period=period, sent_at=now, outgoing_message_id=outgoing_id))
    if explain:
        lifecycle.record(s, now, "schedule", EXPLAINED_REPLY_COMMANDS, f"digest:{period}")
    lifecycle.record(s, now, "schedule", "digest_sent", f"digest:{period}", news=contents.news(),
                     suggestions=[x["id"] for x in contents.suggestions])
    return f"digest {period} to the coordinators ({contents.news()} new item(s))"


def period_words(period: str, settings) -> str:
    """The period a digest covers, as people say it: "week of Monday 12 January 2026"."""
    if "-W" in period:
        year, week = period.split("-W")
        start = date.fromisocalendar(int(year), int(week), settings.digest_weekday + 1)
        return f"week of {day_for_people(start)}"
    return day_for_people(date.fromisoformat(period))


def _person(name: str | None, email: str) -> str:
    return f"{name} <{email}>" if name else email


# ---------------------------------------------------------------- what the digest shows
def gather(s: Session, settings, now: datetime, since: datetime | None, period: str) -> schedule.DigestContents:
    """Everything the digest shows, in words, each item marked `new` when it happened since the last digest."""
    new = schedule.is_new
    zone = settings.program.zone
    today = local_day(now, zone)
    c = schedule.DigestContents(period=period, since=since)
    apps = {a.id: a for a in s.scalars(select(Application))}

    def name(app_id: int) -> str:
        return _person(apps[app_id].name, apps[app_id].email)

    for a in sorted(apps.values(), key=lambda a: a.id):
        if new(a.updated_at, since):
            c.applications.append({
                "id": a.id, "name": a.name or "(no name)", "email": a.email,
                "role_label": ROLE_LABELS.get(a.role or "", "role not given"),
                "kind": "new" if new(a.created_at, since) else "updated",
                "missing": [field_label(k) for k in a.missing], "new": True})
    for m in s.scalars(select(IncomingMessage).where(IncomingMessage.state == IncomingState.REVIEW)
                       .order_by(IncomingMessage.id)):
        # The subject as it decoded: one line of text, or it could add lines to the digest.
        c.review.append({"id": m.id, "sender": m.sender or "(unknown sender)", "subject": header_text(m.subject or ""),
                         "reason": m.reason or "", "received": day_for_people(m.received_at, today, zone),
                         "new": new(m.updated_at, since)})
    outbox_state = dict(s.execute(select(OutgoingMessage.idempotency_key, OutgoingMessage.state)).all())
    ending_horizon = timedelta(days=settings.schedule.ending_soon_days)
    for r in s.scalars(select(MentoringRelationship).order_by(MentoringRelationship.id)):
        pair = {"relationship_id": r.id, "protege": name(r.protege_id), "mentor": name(r.mentor_id)}
        if r.state == State.SUGGESTED:
            protege, mentor = apps[r.protege_id], apps[r.mentor_id]
            supervisor, consult = lifecycle.supervisor_status(protege.record)
            c.suggestions.append(pair | {
                "id": r.id, "fit": fit_words(r.score), "why": why_line(r.explanation, protege.record, mentor.record),
                "library": library_words(protege.record.get("library_type")),
                "waiting_since": day_for_people(protege.created_at, today, zone), "applied_at": protege.created_at,
                "new": new(r.suggested_at, since), "supervisor": supervisor, "consult_supervisor": consult})
        if r.state in ASKING_STATES or (r.state == State.DECLINED and new(r.closed_at, since)):
            _proposal(c, r, pair, since, today, zone)
        for notified_at, key, person, whose in (
                (r.supervisor_notified_at, f"supervisor:{r.id}", r.protege_id, "protégé"),
                (r.mentor_supervisor_notified_at, f"supervisor:{r.id}:mentor", r.mentor_id, "mentor")):
            state = outbox_state.get(key)
            if notified_at is not None and (new(notified_at, since) or state != "sent"):
                c.supervisor_notices.append(pair | {
                    "supervisor": apps[person].record.get("supervisor_email"), "whose": whose,
                    "state": {"sent": "sent", "pending": "waiting to be sent", "failed": "could not be sent"}
                    .get(state or "", "not sent (the address may be on the do-not-mail list)"),
                    "new": new(notified_at, since)})
        if r.state == State.ACTIVE:
            _checkins(c, r, pair, since, today, zone)
        elif r.state == State.CLOSED:
            # Closed with a check-in skipped (the end came while nothing ran): said once.
            _checkins(c, r, pair, since, today, zone, only_skipped=True)
            if r.ends_on and r.ends_on - ending_horizon <= today:
                entered = datetime.combine(r.ends_on - ending_horizon, datetime.min.time())
                c.ending.append(pair | {"status": f"ends {day_for_people(r.ends_on, today)}",
                                        "new": new(entered, since)})
        if r.state == State.CLOSED and new(r.closed_at, since):
            late = (f" (the end-of-year email went late, {day_for_people(r.closed_at, today, zone)})"
                    if r.ends_on and local_day(r.closed_at, zone) > r.ends_on else "")
            c.ending.append(pair | {"status": f"closed {day_for_people(r.ends_on, today)}; feedback requested "
                                              f"from both{late}", "new": True})
        if r.state == State.ENDED_EARLY and new(r.closed_at, since):
            c.ending.append(pair | {"status": f"ended early: {r.end_reason}", "new": True})
        if r.state == State.WITHDRAWN and new(r.closed_at, since):
            c.ending.append(pair | {"status": f"withdrawn before the introduction went out: {r.end_reason}; "
                                              f"the protégé waits for a mentor again", "new": True})
    for o in s.scalars(select(OutgoingMessage).where(OutgoingMessage.state == "failed")
                       .order_by(OutgoingMessage.id)):
        c.failures.append({"id": o.id, "what": words.template_words(o.template),
                           "recipients": ", ".join(o.recipients), "error": (o.last_error or "")[:200],
                           "new": new(max(o.created_at, o.next_attempt_at), since)})
    for e in s.scalars(select(Event).where(Event.action.in_(DECISIONS)).order_by(Event.id)):
        if new(e.at, since):
            c.activity.append({"at": time_for_people(e.at, today, zone), "what": decision_words(e, apps), "new": True})
    waiting = [schedule.WaitingProtege(app_id, applied_at, library_type)
               for app_id, applied_at, library_type in lifecycle.waiting_protege_types(s)]
    mentors = mentor_views(s, settings)
    c.shortage = schedule.mentor_shortage(waiting, mentors)
    c.call_for_mentors = schedule.needs_call_for_mentors(waiting, mentors)
    return c


def _proposal(c: schedule.DigestContents, r: MentoringRelationship, pair: dict, since: datetime | None,
              today: date, zone: tzinfo) -> None:
    """A match asked of the pair: who has answered and how; or, new since the last digest, declined."""
    new = schedule.is_new
    said = [consent_words(x, today, zone) for x in r.consents]
    if r.state == State.DECLINED:
        status = "; ".join(w for w in said if " said no " in w) + ". The other was told only that the match " \
            "will not go ahead; the protégé waits for a mentor again, in their place"
        c.proposals.append(pair | {"status": status, "new": True, "attention": True})
        return
    moments = [r.approved_at, *(t for x in r.consents for t in (x.answered_at, x.talk_requested_at,
                                                                  x.reminded_at, x.escalated_at))]
    attention = any(x.talk_requested_at or (x.escalated_at and x.answer is None) for x in r.consents)
    c.proposals.append(pair | {"status": f"proposed {day_for_people(r.approved_at, today, zone)}: " + "; ".join(said),
                               "new": any(new(t, since) for t in moments), "attention": attention})


def _checkins(c: schedule.DigestContents, r: MentoringRelationship, pair: dict, since: datetime | None,
              today: date, zone: tzinfo, only_skipped: bool = False) -> None:
    new = schedule.is_new
    for a in r.assessments:
        if a.skipped_at is not None:
            if new(a.skipped_at, since):
                c.assessments.append(pair | {"number": a.number, "due_on": day_for_people(a.due_on, today),
                                             "status": checkin_status(a, today, zone)[1], "overdue": False,
                                             "new": True})
            continue
        if a.reminded_at is None or only_skipped:
            continue
        answered = {x.role for x in a.answers}
        silent = [ROLE_LABELS[x] for x in schedule.ROLES if x not in answered]
        changed = any(new(t, since) for t in (a.reminded_at, a.escalated_at, *(x.received_at for x in a.answers)))
        if not silent and not changed:
            continue
        late = (f" (late: it was due {day_for_people(a.due_on, today)})"
                if local_day(a.reminded_at, zone) > a.due_on else "")
        status = ("answered by both" if not silent else
                  f"overdue, no answer from the {' and the '.join(silent)}" if a.escalated_at else
                  f"reminder sent {day_for_people(a.reminded_at, today, zone)}{late}; waiting for the "
                  f"{' and the '.join(silent)}")
        if late and not silent:
            status += f"; the questions went {day_for_people(a.reminded_at, today, zone)}{late}"
        c.assessments.append(pair | {"number": a.number, "due_on": day_for_people(a.due_on, today),
                                     "status": status, "overdue": bool(silent and a.escalated_at),
                                     "new": changed})


def decision_words(e: Event, apps: dict[int, Application]) -> str:
    """One recorded decision as a sentence (the record's own keys stay on the record)."""
    d, actor = e.detail or {}, e.actor
    number = (e.subject or "").rpartition(":")[2]
    pair = f" ({d['protege']} with {d['mentor']})" if d.get("protege") and d.get("mentor") else ""
    if e.action == "match_approved":
        return f"{actor} approved match #{number}{pair}"
    if e.action == "match_chosen":
        return f"{actor} chose a mentor themselves, match #{number}{pair}"
    if e.action == "match_rejected":
        return f"{actor} turned down suggestion #{number}" + (f": {d['reason']}" if d.get("reason") else "")
    if e.action == "relationship_ended_early":
        return f"{actor} ended relationship #{number} early: {d.get('reason', '')}"
    if e.action == "commands_executed":
        return (f"{actor} replied to the digest: {len(d.get('done') or [])} done, "
                f"{len(d.get('refused') or [])} refused")
    if e.action == "command_refused":
        # Why is in the answer the coordinators were sent at the time, in that answer's own words.
        return f"a reply to the digest from {actor} was refused; the coordinators were told why"
    if e.action == "assessment_answered":
        return f"{actor} answered check-in {d.get('number', '')} of relationship #{number}"
    if e.action == "feedback_received":
        return f"{actor} sent their feedback at the end of relationship #{number}"
    party = ROLE_LABELS.get(d.get("party", ""), "participant")
    how = f" (by phone, recorded by {actor})" if d.get("by_phone") else ""
    if e.action == "consent_given":
        return f"the {party} said yes to match #{number}{how}"
    if e.action == "consent_declined":
        return f"the {party} said no to match #{number}{how}" + (f": {d['reason']}" if d.get("reason") else "")
    if e.action == "consent_talk_requested":
        return f"the {party} of match #{number} asked to talk to a coordinator first"
    if e.action == "assessment_skipped":
        return (f"check-in {d.get('number', '')} of relationship #{number} was skipped: it came due while the "
                f"program's mail was not running, and its moment had passed")
    return f"{actor}: {e.action.replace('_', ' ')}"


def mentor_views(s: Session, settings) -> list[schedule.MentorView]:
    counts = lifecycle.active_counts(s)
    return [schedule.MentorView(m.id, m.record.get("library_type"),
                                lifecycle.capacity(settings, m) - counts.get(m.email, 0))
            for m in lifecycle.mentors(s)]


def _shortage_dict(x: schedule.Shortage) -> dict:
    return {"library_type": x.library_type, "waiting": x.waiting, "free_places": x.free_places,
            "short_by": x.short_by}
