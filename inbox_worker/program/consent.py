"""Consent: a match a coordinator approves is proposed to each of the pair, and final only when both say yes.

The program document: "Both the prospective mentor and the protégé will be
interviewed/consulted to ensure a good fit", "both mentor and protégé must
agree to maintain confidentiality regarding their discussions", and the
coordinators "coordinate with the supervisors of both the protégés and the
mentors". So approving a suggestion (`approve`) checks the hard rules again
and asks each of the pair, in an email of their own (`proposal`), who the
other is (name, position, library), why it fits, what the year asks, and
for a yes (which agrees to confidentiality) or a no. Answers come by reply
(`answer_by_email`, read by `consent_answers`) or are recorded by a coordinator who
asked by phone (`record_answer`). When both have said yes (`finalize`) the
calendar is fixed, each supervisor a form names gets a notice, and the
introduction is queued after them. A no ends the proposal kindly
(`decline`): the other person hears only that the match will not go ahead,
the protégé waits again in their place, the pair is never suggested again,
and the coordinators hear why. Each step is a change inside the caller's
unit of work, with `now` and an actor, and leaves an `Event`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.clock import local_day
from inbox_worker.config import Settings
from inbox_worker.outbound import contexts, outbox, words
from inbox_worker.outbound.emails import Attachment, Templates, address_domain
from inbox_worker.outbound.ical import relationship_calendar
from inbox_worker.program import consent_answers, lifecycle, schedule
from inbox_worker.program.lifecycle import ProgramError, record, rel_subject, state_words
from inbox_worker.store.models import (
    ASKING_STATES,
    Application,
    Assessment,
    Consent,
    ConsentAnswer,
    MentoringRelationship,
    Party,
)
from inbox_worker.store.models import RelationshipState as State

PARTIES = (Party.PROTEGE, Party.MENTOR)
# A reply found only by its sender (no In-Reply-To naming our mail) is read as an answer only when
# it is this short: a form or a long letter is something else.
SHORT_REPLY_WORDS = 60


def other_party(party: str) -> Party:
    return Party.MENTOR if party == Party.PROTEGE else Party.PROTEGE


def people_of(s: Session, rel: MentoringRelationship) -> dict[str, Application]:
    return {Party.PROTEGE: s.get(Application, rel.protege_id), Party.MENTOR: s.get(Application, rel.mentor_id)}


def consent_of(rel: MentoringRelationship, party: str) -> Consent:
    found = next((c for c in rel.consents if c.party == party), None)
    if found is None:
        raise ProgramError(f"relationship {rel.id} was never proposed to its {words.ROLE_LABELS[party]}.")
    return found


# ---------------------------------------------------------------- approving: the proposal
def approve(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship, now: datetime,
            actor: str) -> MentoringRelationship:
    """Approve a suggestion: check the hard rules, and ask each of the pair in an email of their own."""
    if rel.state != State.SUGGESTED:
        raise ProgramError(f"relationship {rel.id} is {state_words(rel.state)}, not a suggestion waiting for a "
                           f"decision; nothing was changed.")
    people = people_of(s, rel)
    protege, mentor = people[Party.PROTEGE], people[Party.MENTOR]
    problems = lifecycle.hard_rule_problems(s, settings, protege, mentor, now, exclude=rel.id)
    if problems:
        raise ProgramError(f"{protege.email} and {mentor.email} cannot be paired: {'; '.join(problems)}. "
                           f"Reject the suggestion (`inbox-worker matches reject`) and suggest again.")
    rel.state, rel.approved_at, rel.updated_at = State.PROPOSED, now, now
    record(s, now, actor, "match_approved", rel_subject(rel), protege=protege.email, mentor=mentor.email)
    for party in PARTIES:
        rel.consents.append(Consent(party=party, asked_at=now, by_phone=False))
        proposal(s, settings, templates, rel, people, party, now)
    s.flush()
    return rel


def approve_pair(s: Session, settings: Settings, templates: Templates, protege: Application,
                 mentor: Application, now: datetime, actor: str) -> MentoringRelationship:
    """Approve a pair by name: their suggestion if there is one, else the coordinator's own choice."""
    rel = s.scalar(select(MentoringRelationship).where(
        MentoringRelationship.protege_id == protege.id, MentoringRelationship.mentor_id == mentor.id,
        MentoringRelationship.state == State.SUGGESTED))
    if rel is None:
        other = s.scalar(select(MentoringRelationship).where(
            MentoringRelationship.protege_id == protege.id,
            MentoringRelationship.state.in_(lifecycle.RUNNING_STATES)))
        if other is not None:
            raise ProgramError(f"{protege.email} already has a match (relationship {other.id}, "
                               f"{state_words(other.state)}). End it first with `inbox-worker matches end`.")
        # A suggestion to someone else for this protégé gives way to the coordinator's choice.
        for pending in s.scalars(select(MentoringRelationship).where(
                MentoringRelationship.protege_id == protege.id, MentoringRelationship.state == State.SUGGESTED)):
            lifecycle.reject(s, pending, now, actor, f"the coordinator chose {mentor.email} instead")
        rel = MentoringRelationship(protege_id=protege.id, mentor_id=mentor.id, state=State.SUGGESTED,
                                    score=None, explanation={"chosen_by": actor}, suggested_at=now,
                                    updated_at=now)
        s.add(rel)
        s.flush()
        record(s, now, actor, "match_chosen", rel_subject(rel), protege=protege.email, mentor=mentor.email)
    return approve(s, settings, templates, rel, now, actor)


def proposal(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship,
             people: dict[str, Application], party: str, now: datetime, *, reminder: bool = False) -> None:
    """Queue the proposal (or its one reminder) to one of the pair."""
    other = other_party(party)
    asked = consent_of(rel, party).asked_at if reminder else now
    contexts.queue_mail(
        s, settings, templates, key=f"{'proposal-reminder' if reminder else 'proposal'}:{rel.id}:{party}",
        template="proposal_reminder" if reminder else "proposal",
        context=contexts.proposal_context(
            settings, recipient=people[party].record, other=people[other].record, role=party,
            why=fit_sentence(rel.explanation, party, people[other].record, people[party].record),
            asked_on=asked),
        to=[people[party].email], now=now, application_id=people[party].id)


def fit_sentence(explanation: dict, party: str, other: dict, mine: dict) -> str:
    """Why the coordinators think the match fits, in one sentence for one of the pair: the library
    type they share and whether the mentor's strengths meet the protégé's goals, never the other's
    words (their goals or strengths stay with the coordinators until both say yes)."""
    name = contexts.person(other)["name"]
    if not explanation or explanation.get("chosen_by"):
        return f"A coordinator chose {name} for you, thinking your experience and theirs suit each other."
    parts = (explanation.get("score") or {}).get("parts") or {}
    kind = mine.get("library_type")
    bits = []
    if kind and kind == other.get("library_type") and kind != "other":
        bits.append(f"you both work in {kind} libraries")
    if ((parts.get("goals") or {}).get("weighted") or 0) > 0:
        bits.append(f"{name}'s experience meets what you hope to work on" if party == Party.PROTEGE
                    else f"your experience meets what {name} hopes to work on")
    if not bits:
        return f"The coordinators think {name} and you would work well together."
    return "The coordinators think this is a good fit: " + " and ".join(bits) + "."


# ---------------------------------------------------------------- answers
@dataclass(frozen=True)
class Answered:
    """What recording one answer did."""

    # Both have now said yes: the supervisors' notices and the introduction are queued.
    introduced: bool = False
    declined: bool = False
    # The same answer was on record already: nothing changed.
    already: bool = False


def record_answer(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship, party: str,
                  now: datetime, *, accepted: bool, recorded_by: str, by_phone: bool = False,
                  reason: str = "") -> Answered:
    """One of the pair said yes (agreeing to confidentiality) or no, by reply or to a coordinator."""
    consent = consent_of(rel, party)
    wanted = ConsentAnswer.ACCEPTED if accepted else ConsentAnswer.DECLINED
    if consent.answer == wanted:
        return Answered(already=True)
    label = words.ROLE_LABELS[party]
    if rel.state not in ASKING_STATES:
        raise ProgramError(f"relationship {rel.id} is {state_words(rel.state)}; the {label}'s answer can be "
                           f"recorded only while the match is proposed.")
    if consent.answer is not None:
        answered_on = words.day_for_people(consent.answered_at, zone=settings.program.zone)
        raise ProgramError(f"the {label} of relationship {rel.id} already {consent.answer} on "
                           f"{answered_on}; to undo a yes, end the match with "
                           f"`inbox-worker matches end {rel.id}`.")
    consent.answer, consent.answered_at, consent.recorded_by = wanted, now, recorded_by
    consent.by_phone, consent.reason = by_phone, (reason.strip() or None)
    record(s, now, recorded_by, "consent_given" if accepted else "consent_declined", rel_subject(rel),
           party=str(party), by_phone=by_phone, reason=consent.reason or "")
    if not accepted:
        decline(s, settings, templates, rel, party, now, recorded_by)
        return Answered(declined=True)
    if consent_of(rel, other_party(party)).answer == ConsentAnswer.ACCEPTED:
        finalize(s, settings, templates, rel, now)
        return Answered(introduced=True)
    rel.state, rel.updated_at = State.AWAITING_CONSENT, now
    return Answered()


def request_talk(s: Session, rel: MentoringRelationship, party: str, now: datetime, who: str) -> None:
    """They want to talk to a coordinator first: no reminder goes to them while a coordinator is on it."""
    consent = consent_of(rel, party)
    consent.talk_requested_at = consent.talk_requested_at or now
    record(s, now, who, "consent_talk_requested", rel_subject(rel), party=str(party))


def decline(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship, party: str,
            now: datetime, actor: str) -> None:
    """A no ends the proposal: unsent mail about it withdrawn, the other told only that it will not go
    ahead, the protégé waiting again in their place, the coordinators told why (at once if they asked)."""
    keys, prefixes = lifecycle.unsent_keys(rel.id)
    outbox.withdraw(s, keys=keys, prefixes=prefixes, reason=f"not sent: relationship {rel.id} was declined")
    reason = consent_of(rel, party).reason
    rel.state, rel.closed_at, rel.updated_at = State.DECLINED, now, now
    rel.end_reason = f"declined by the {words.ROLE_LABELS[party]}" + (f": {reason}" if reason else "")
    people = people_of(s, rel)
    lifecycle.tell_not_going_ahead(s, settings, templates, rel, people, other_party(party), now)
    if settings.schedule.declines_at_once and settings.program.coordinators:
        contexts.queue_mail(
            s, settings, templates, key=f"declined:{rel.id}", template="consent_declined",
            context=contexts.consent_declined_context(
                settings, relationship_id=rel.id, protege=people[Party.PROTEGE].record,
                mentor=people[Party.MENTOR].record, party=party, reason=reason or ""),
            to=list(settings.program.coordinators), now=now)


def finalize(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship,
             now: datetime) -> None:
    """Both said yes: fix the year's calendar, tell each supervisor a form names, then introduce the pair.

    The notices are queued before the introduction and the outbox sends in order, so each
    supervisor hears before the pair meet.
    """
    people = people_of(s, rel)
    protege, mentor = people[Party.PROTEGE], people[Party.MENTOR]
    problems = lifecycle.hard_rule_problems(s, settings, protege, mentor, now, exclude=rel.id)
    if problems:
        raise ProgramError(f"both said yes, but {protege.email} and {mentor.email} can no longer be paired: "
                           f"{'; '.join(problems)}. End the match with `inbox-worker matches end {rel.id}`.")
    # Both answered before their proposal went out (a coordinator asked them): it would ask too late.
    outbox.withdraw(s, keys=[], prefixes=[f"proposal:{rel.id}:", f"proposal-reminder:{rel.id}:"],
                    reason=f"not sent: both of relationship {rel.id} had said yes")
    # The day it starts where the program is: its check-ins and end fall on days counted from it.
    rel.starts_on = local_day(now, settings.program.zone)
    rel.ends_on = schedule.end_date(rel.starts_on, settings.schedule)
    dates = schedule.assessment_dates(rel.starts_on, settings.schedule)
    for n, day in enumerate(dates, start=1):
        s.add(Assessment(relationship_id=rel.id, number=n, due_on=day))
    for party in PARTIES:
        if people[party].record.get("supervisor_email"):
            _notify_supervisor(s, settings, templates, rel, people, party, now)
    ics = relationship_calendar(rel.id, assessments=dates, ends_on=rel.ends_on,
                                program_name=settings.program.name,
                                domain=address_domain(settings.smtp.from_address), stamp=now,
                                timezone=settings.program.timezone)
    contexts.queue_mail(
        s, settings, templates, key=f"introduction:{rel.id}", template="introduction",
        context=contexts.introduction_context(settings, rel.id, protege.record, mentor.record, assessments=dates,
                                              ends_on=rel.ends_on, starts_on=rel.starts_on),
        to=[protege.email, mentor.email], cc=list(settings.program.coordinators), now=now,
        attachments=[Attachment("mentoring-year.ics", "text/calendar", ics)])
    rel.state, rel.introduced_at, rel.updated_at = State.INTRODUCED, now, now
    record(s, now, "schedule", "introduction_queued", rel_subject(rel))


def _notify_supervisor(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship,
                       people: dict[str, Application], party: str, now: datetime) -> None:
    person = people[party]
    supervisor = person.record["supervisor_email"].strip().lower()
    key = f"supervisor:{rel.id}" if party == Party.PROTEGE else f"supervisor:{rel.id}:mentor"
    contexts.queue_mail(
        s, settings, templates, key=key, template="supervisor_notice",
        context=contexts.supervisor_notice_context(settings, people[Party.PROTEGE].record,
                                                   people[Party.MENTOR].record, about=party),
        to=[supervisor], now=now, application_id=person.id)
    if party == Party.PROTEGE:
        rel.supervisor_notified_at = now
    else:
        rel.mentor_supervisor_notified_at = now
    record(s, now, "schedule", "supervisor_notified", rel_subject(rel), supervisor=supervisor, party=str(party))


# ---------------------------------------------------------------- answers by email
@dataclass(frozen=True)
class Heard:
    """What a reply to a proposal did, for the intake's record of the message."""

    state: str  # processed | review
    reason: str
    # A coordinator should read it now (a review notice).
    notify: bool = False
    relationship_id: int | None = None


def party_of(s: Session, rel: MentoringRelationship, sender: str) -> Party | None:
    for party, person in people_of(s, rel).items():
        if person.email == sender:
            return Party(party)
    return None


def open_proposals(s: Session, sender: str) -> list[tuple[MentoringRelationship, Party]]:
    """The proposals waiting for this address's answer."""
    app = s.scalar(select(Application).where(Application.email == sender))
    if app is None:
        return []
    out = []
    for rel in s.scalars(select(MentoringRelationship).where(
            MentoringRelationship.state.in_(ASKING_STATES),
            (MentoringRelationship.protege_id == app.id) | (MentoringRelationship.mentor_id == app.id))):
        party = Party.PROTEGE if rel.protege_id == app.id else Party.MENTOR
        if consent_of(rel, party).answer is None:
            out.append((rel, party))
    return out


def answer_by_email(s: Session, settings: Settings, templates: Templates, rel: MentoringRelationship,
                    sender: str, text: str, now: datetime) -> Heard:
    """A reply to a proposal (or its reminder): read the answer in the person's own words and act on it.

    Anything not plainly a yes, a no or a wish to talk goes to the coordinators, never guessed.
    """
    party = party_of(s, rel, sender)
    if party is None:
        return Heard("review", f"a reply to the proposal of relationship {rel.id} from {sender}, who is not "
                     f"in that relationship", notify=True, relationship_id=rel.id)
    label = words.ROLE_LABELS[party]
    record_it = f"`inbox-worker matches consent {rel.id} --for {party} --by NAME` (add --declined for a no)"
    reading = consent_answers.read_answer(text)
    if reading.answer is consent_answers.Answer.TALK:
        request_talk(s, rel, party, now, sender)
        return Heard("review", f"the {label} of relationship {rel.id} asks to talk to a coordinator before "
                     f"answering the proposal; once you have, record their answer with {record_it}", notify=True,
                     relationship_id=rel.id)
    if reading.answer is consent_answers.Answer.UNCLEAR:
        return Heard("review", f"a reply from the {label} to the proposal of relationship {rel.id} that does not "
                     f"plainly say yes or no; read it, and record their answer with {record_it}", notify=True,
                     relationship_id=rel.id)
    try:
        accepted = reading.answer is consent_answers.Answer.YES
        done = record_answer(s, settings, templates, rel, party, now, accepted=accepted,
                             recorded_by=sender, reason=reading.reason)
    except ProgramError as e:
        return Heard("review", f"a reply from the {label} to the proposal of relationship {rel.id}: {e}",
                     notify=True, relationship_id=rel.id)
    if done.already:
        return Heard("processed", f"the {label} of relationship {rel.id} answered again, as before",
                     relationship_id=rel.id)
    if done.declined:
        return Heard("processed", f"the {label} declined the proposal of relationship {rel.id}",
                     relationship_id=rel.id)
    return Heard("processed", f"the {label} said yes to the proposal of relationship {rel.id}"
                 + ("; both have, and the introduction is queued" if done.introduced else ""), relationship_id=rel.id)


def answer_by_sender(s: Session, settings: Settings, templates: Templates, sender: str, text: str,
                     now: datetime) -> Heard | None:
    """A message that names none of our mail, from someone with a proposal waiting for their answer:
    an answer only when it is short and plainly one (else None, and intake reads it as usual)."""
    waiting = open_proposals(s, sender)
    if not waiting:
        return None
    reading = consent_answers.read_answer(text)
    if reading.answer is consent_answers.Answer.UNCLEAR or len(reading.words.split()) > SHORT_REPLY_WORDS:
        return None
    if len(waiting) > 1:
        numbers = ", ".join(str(rel.id) for rel, _party in waiting)
        return Heard("review", f"{sender} answered with no reference to which proposal; relationships {numbers} "
                     f"wait for their answer: read it and record it with `inbox-worker matches consent`",
                     notify=True)
    return answer_by_email(s, settings, templates, waiting[0][0], sender, text, now)
