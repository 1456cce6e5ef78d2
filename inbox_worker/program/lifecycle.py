"""The program's lifecycle: suggest, reject, end early; each a change inside the caller's unit of work.

A relationship walks the states the program document describes
(`store.models.RelationshipState`):

    suggested -> proposed -> awaiting_consent -> introduced -> active -> closed
    rejected (a coordinator said no)    declined (one of the pair said no)
    ended_early (with a reason; each told)    withdrawn (ended before the introduction
                                              went out: the protégé waits again)

A coordinator's approval and the pair's answers are `consent`'s; this
module holds what comes before (suggesting) and after (activating, closing,
ending early), and who is where. Every step takes `now` and `actor` and
writes an `Event`, so the records say who did what and when.

A protégé is waiting for a match from a complete application until a match
is proposed; a rejected suggestion, a declined proposal or a match withdrawn
before its introduction puts them back on the waiting list in their place
(waiting counts from the application), and that pair is never suggested again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.outbound import contexts, outbox
from inbox_worker.outbound.emails import Templates
from inbox_worker.store.models import (
    ASKING_STATES,
    LIVE_STATES,
    Application,
    Event,
    MentoringRelationship,
    OutgoingMessage,
)
from inbox_worker.store.models import RelationshipState as State

# Both said yes: the introduction is queued or made.
MATCHED_STATES = (State.APPROVED, State.SUPERVISOR_NOTIFIED, State.INTRODUCED, State.ACTIVE)
# Once matched, a protégé is no longer waiting, whatever happens to the relationship after.
APPROVED_STATES = (*MATCHED_STATES, State.CLOSED, State.ENDED_EARLY)
# What `matches end` may end: asked of the pair, or matched and not yet closed.
RUNNING_STATES = (*ASKING_STATES, *MATCHED_STATES)


class ProgramError(Exception):
    """A coordinator's request cannot be done; the message says why and what to do instead."""


def record(s: Session, now: datetime, actor: str, action: str, subject: str, **detail) -> None:
    s.add(Event(at=now, actor=actor, action=action, subject=subject, detail=detail))


def supervisor_status(record: dict) -> tuple[str, bool]:
    """What a participant's form says of their supervisor, for the coordinator deciding on a match:
    (a line to show, whether to consult the supervisor before the match is final).

    The program's coordinators "consult the supervisor of the Mentee, if needed, before
    finalizing a Mentor assignment" and "coordinate with the supervisors of both the protégés
    and the mentors"; the form asks whether that support was secured and tells applicants to
    skip the question where no permission is needed. The same rule serves both of the pair.
    """
    support = record.get("supervisor_support")
    who = ", ".join(v for v in (record.get("supervisor_name"), record.get("supervisor_email")) if v)
    if support is True:
        told = "they get a notice before the introduction" if record.get("supervisor_email") \
            else "no supervisor email given, so no notice will go out"
        return f"supervisor: support secured ({who or 'not named'}); {told}", False
    if support is False:
        return (f"supervisor: support NOT secured ({who or 'not named'}); the program asks that the "
                f"supervisor be consulted before the match is final", True)
    if who:
        return (f"supervisor: support question left blank, supervisor named ({who}); if permission is "
                f"needed, the program asks that they be consulted before the match is final", True)
    return "supervisor: question skipped (no permission needed, as the form allows)", False


def rel_subject(rel: MentoringRelationship) -> str:
    return f"relationship:{rel.id}"


# ---------------------------------------------------------------- who is where
def find_application(s: Session, which: str, role: str | None = None) -> Application:
    """An application by number or email address; ProgramError with a hint when there is none."""
    which = which.strip()
    app = s.get(Application, int(which)) if which.isdigit() else s.scalar(
        select(Application).where(Application.email == which.lower()))
    if app is None:
        raise ProgramError(f"no application {which!r}. List them with `inbox-worker applications list`.")
    if role and app.role != role:
        label = {"protege": "protégé", "mentor": "mentor"}[role]
        raise ProgramError(f"{app.email} applied as {app.role or 'an unknown role'}, not as a {label}. "
                           f"Check the order: PROTEGE first, then MENTOR.")
    return app


def find_relationship(s: Session, which: int) -> MentoringRelationship:
    rel = s.get(MentoringRelationship, which)
    if rel is None:
        raise ProgramError(f"no relationship number {which}. See `inbox-worker matches list` for every "
                           f"suggestion and relationship with its number.")
    return rel


def relationships_of(s: Session, app_id: int) -> list[MentoringRelationship]:
    return list(s.scalars(select(MentoringRelationship).where(
        (MentoringRelationship.protege_id == app_id) | (MentoringRelationship.mentor_id == app_id))
        .order_by(MentoringRelationship.id)))


def _waiting(*columns):
    """The query for `columns` of every waiting protégé: a complete application, no live
    suggestion and no approved match, in the order they applied."""
    taken = select(MentoringRelationship.protege_id).where(
        MentoringRelationship.state.in_((*LIVE_STATES, *APPROVED_STATES)))
    return select(*columns).where(Application.role == "protege", Application.status == "received",
                                  Application.id.not_in(taken)).order_by(Application.id)


def waiting_proteges(s: Session) -> list[Application]:
    """The waiting protégés' applications (see `_waiting`)."""
    return list(s.scalars(_waiting(Application)))


def waiting_protege_types(s: Session) -> list[tuple[int, datetime, str | None]]:
    """(application, applied at, library type) of each waiting protégé: what the calendar asks
    at every cycle, without reading every record whole."""
    return [tuple(row) for row in s.execute(_waiting(
        Application.id, Application.created_at, Application.record["library_type"].as_string()))]


def mentors(s: Session) -> list[Application]:
    return list(s.scalars(select(Application).where(
        Application.role == "mentor", Application.status == "received").order_by(Application.id)))


def capacity(settings: Settings, mentor: Application) -> int:
    return settings.matching.capacities.get(mentor.email, settings.matching.default_capacity)


def active_counts(s: Session, exclude: int | None = None) -> dict[str, int]:
    """Live relationships (a pending suggestion counts: it holds the place) per mentor email."""
    counts: dict[str, int] = {}
    for rel in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state.in_(LIVE_STATES))):
        if rel.id == exclude:
            continue
        email = s.get(Application, rel.mentor_id).email
        counts[email] = counts.get(email, 0) + 1
    return counts


def past_pairs(s: Session, exclude: int | None = None) -> set[tuple[str, str]]:
    """Every (protégé, mentor) pair ever suggested: not previously paired is a hard rule."""
    emails = {a.id: a.email for a in s.scalars(select(Application))}
    return {(emails[r.protege_id], emails[r.mentor_id])
            for r in s.scalars(select(MentoringRelationship)) if r.id != exclude}


def candidate(app: Application):
    from inbox_worker.matching.engine import Candidate

    return Candidate(id=app.id, email=app.email, record=app.record, applied_at=app.created_at)


# ---------------------------------------------------------------- suggest
@dataclass
class Suggested:
    result: object  # matching.MatchResult
    stored: list[MentoringRelationship]


def suggest(s: Session, settings: Settings, now: datetime, actor: str) -> Suggested:
    """Run the matching engine over protégés waiting and mentors, and store its suggestions."""
    from inbox_worker.matching.engine import suggest_matches

    proteges = waiting_proteges(s)
    result = suggest_matches([candidate(a) for a in proteges], [candidate(m) for m in mentors(s)],
                             settings=settings.matching, now=now, past_pairs=past_pairs(s),
                             active_counts=active_counts(s))
    by_email = {a.email: a for a in (*proteges, *mentors(s))}
    stored = []
    for sug in result.suggestions:
        protege, mentor = by_email[sug.protege.email], by_email[sug.mentor.email]
        rel = MentoringRelationship(protege_id=protege.id, mentor_id=mentor.id, state=State.SUGGESTED,
                                    score=float(sug.score), explanation=_plain(sug.explanation),
                                    suggested_at=now, updated_at=now)
        s.add(rel)
        s.flush()
        record(s, now, actor, "match_suggested", rel_subject(rel), protege=protege.email, mentor=mentor.email,
               score=rel.score)
        stored.append(rel)
    return Suggested(result, stored)


def hard_rule_problems(s: Session, settings: Settings, protege: Application, mentor: Application,
                       now: datetime, exclude: int | None = None) -> list[str]:
    """Which of the program's hard rules this pair breaks today ([] when none).

    The matching engine is asked about this one pair with no score threshold, so only a
    hard rule (same employer, level, paired before, mentor full) can leave it unmatched.
    """
    from inbox_worker.matching.engine import suggest_matches

    # Scores run from 0 to 1: a threshold of -1 lets any pair that passes the rules through.
    loose = settings.matching.model_copy(update={"min_score": -1.0})
    result = suggest_matches([candidate(protege)], [candidate(mentor)], settings=loose, now=now,
                             past_pairs=past_pairs(s, exclude=exclude), active_counts=active_counts(s, exclude))
    if result.suggestions:
        return []
    return [str(r) for u in result.unmatched for r in u.reasons] or ["the matching engine would not pair them"]


# ---------------------------------------------------------------- decide
def reject(s: Session, rel: MentoringRelationship, now: datetime, actor: str, reason: str = "") -> None:
    """Say no to a suggestion: the protégé waits again, and this pair is not suggested again."""
    if rel.state != State.SUGGESTED:
        raise ProgramError(f"relationship {rel.id} is {state_words(rel.state)}; only a suggestion can "
                           f"be rejected. To stop a proposed or running one use `inbox-worker matches end`.")
    rel.state, rel.end_reason, rel.updated_at = State.REJECTED, reason or None, now
    record(s, now, actor, "match_rejected", rel_subject(rel), reason=reason)


@dataclass
class Ending:
    """What ending a relationship early did to its mail."""

    # Emails about the relationship that had not gone out and now never will.
    withdrawn: list[str]
    # The pair were introduced (or asked), so each is told it ended (unless the coordinator said not to).
    participants_told: bool
    # The supervisors had heard of the match (the program does not write to them again).
    supervisor_knew: bool = False
    # Ended before the introduction went out: the match is withdrawn and the protégé waits again.
    withdrawn_match: bool = False


def end_early(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship, now: datetime,
              actor: str, reason: str, *, tell_participants: bool = True) -> Ending:
    """End a proposed or running relationship, with the reason on record.

    Mail about it that has not gone out yet (a proposal, the introduction, a
    reminder) is withdrawn. If the pair were introduced, each is told in an
    email of their own, without the reason, unless the coordinator has told
    them already (`tell_participants=False`). A pair asked and not yet
    introduced hear only that the match will not go ahead: the match is
    withdrawn, and the protégé waits for a mentor again (this pair is not
    suggested again).
    """
    if not reason.strip():
        raise ProgramError("say why the relationship ends early: --reason \"...\" (it goes on the record).")
    asked = rel.state in ASKING_STATES
    ending = stop(s, rel, now, actor, reason.strip(), telling=tell_participants)
    people = {"protege": s.get(Application, rel.protege_id), "mentor": s.get(Application, rel.mentor_id)}
    if asked and tell_participants:
        for party in ("protege", "mentor"):
            tell_not_going_ahead(s, settings, templates, rel, people, party, now)
        ending.participants_told = any(s.scalar(select(OutgoingMessage.id).where(
            OutgoingMessage.idempotency_key == f"not-going-ahead:{rel.id}:{p}")) for p in ("protege", "mentor"))
    elif ending.participants_told:
        for role, other in (("protege", "mentor"), ("mentor", "protege")):
            contexts.queue_mail(
                s, settings, templates, key=f"ended:{rel.id}:{role}", template="relationship_ended",
                context=contexts.relationship_ended_context(
                    settings, recipient=people[role].record, other=people[other].record, role=role,
                    starts_on=rel.starts_on, ended_on=now),
                to=[people[role].email], now=now, application_id=people[role].id)
    return ending


def tell_not_going_ahead(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship,
                         people: dict[str, Application], party: str, now: datetime) -> None:
    """One of the pair hears only that the proposed match will not go ahead, and that the
    coordinators will be in touch: not who said no, nor why. Someone whose proposal never went out
    (it was withdrawn unsent) has nothing to hear."""
    proposal = s.scalar(select(OutgoingMessage.state).where(
        OutgoingMessage.idempotency_key == f"proposal:{rel.id}:{party}"))
    if proposal != "sent":
        return
    other = "mentor" if party == "protege" else "protege"
    contexts.queue_mail(
        s, settings, templates, key=f"not-going-ahead:{rel.id}:{party}", template="proposal_withdrawn",
        context=contexts.proposal_withdrawn_context(settings, recipient=people[party].record,
                                                    other=people[other].record),
        to=[people[party].email], now=now, application_id=people[party].id)


def unsent_keys(rel_id: int) -> tuple[list[str], list[str]]:
    """(keys, key prefixes) of the mail a relationship may still have waiting in the outbox."""
    keys = [f"introduction:{rel_id}", f"supervisor:{rel_id}", f"supervisor:{rel_id}:mentor"]
    prefixes = [f"{kind}:{rel_id}:" for kind in ("assessment", "escalation", "closing", "proposal",
                                                 "proposal-reminder", "consent-escalation")]
    return keys, prefixes


def stop(s: Session, rel: MentoringRelationship, now: datetime, actor: str, reason: str, *,
         telling: bool = False) -> Ending:
    """A proposed or running relationship ends now and its unsent mail is withdrawn; nobody is written to.

    `end_early` tells the pair; erasing a participant (`privacy.forget`) cannot.
    """
    if rel.state not in RUNNING_STATES:
        raise ProgramError(f"relationship {rel.id} is {state_words(rel.state)}, not proposed or running; "
                           f"nothing to end.")
    keys, prefixes = unsent_keys(rel.id)
    withdrawn = [row.template for row in outbox.withdraw(
        s, keys=keys, prefixes=prefixes, reason=f"not sent: relationship {rel.id} ended early")]
    supervisors = [f"supervisor:{rel.id}", f"supervisor:{rel.id}:mentor"]
    sent = dict(s.execute(select(OutgoingMessage.idempotency_key, OutgoingMessage.state).where(
        OutgoingMessage.idempotency_key.in_([f"introduction:{rel.id}", *supervisors]))).all())
    introduced = sent.get(f"introduction:{rel.id}") == "sent"
    telling = telling and introduced
    rel.state = State.ENDED_EARLY if introduced else State.WITHDRAWN
    rel.end_reason, rel.closed_at, rel.updated_at = reason, now, now
    record(s, now, actor, "relationship_ended_early", rel_subject(rel), reason=reason,
           participants_told=telling, withdrawn=withdrawn)
    return Ending(withdrawn=withdrawn, participants_told=telling,
                  supervisor_knew=any(sent.get(k) == "sent" for k in supervisors), withdrawn_match=not introduced)


def activate(s: Session, rel: MentoringRelationship, now: datetime) -> None:
    """The introduction has gone out: the mentoring year is under way."""
    rel.state, rel.updated_at = State.ACTIVE, now
    record(s, now, "schedule", "relationship_active", rel_subject(rel))


def close(s: Session, rel: MentoringRelationship, now: datetime) -> None:
    rel.state, rel.closed_at, rel.updated_at = State.CLOSED, now, now
    record(s, now, "schedule", "relationship_closed", rel_subject(rel), ends_on=str(rel.ends_on))


STATE_WORDS = {
    State.SUGGESTED: "suggested, waiting for a coordinator's decision",
    State.PROPOSED: "proposed, waiting for both answers",
    State.AWAITING_CONSENT: "awaiting consent",
    State.APPROVED: "approved, starting soon", State.SUPERVISOR_NOTIFIED: "approved, starting soon",
    State.INTRODUCED: "introduced, starting", State.ACTIVE: "under way", State.CLOSED: "completed the year",
    State.REJECTED: "rejected by a coordinator", State.DECLINED: "declined",
    State.WITHDRAWN: "withdrawn before the introduction", State.ENDED_EARLY: "ended early",
}


def state_words(state: str) -> str:
    """A relationship's state as people say it."""
    return STATE_WORDS.get(state, str(state).replace("_", " "))


def _plain(value):
    """The engine's explanation as JSON-ready data (dataclasses and tuples become dicts and lists)."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
